#include "src/dockerfile/instructions.hpp"
