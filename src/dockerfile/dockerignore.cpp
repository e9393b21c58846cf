#include "src/dockerfile/dockerignore.hpp"
