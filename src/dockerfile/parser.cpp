#include "src/dockerfile/parser.hpp"
