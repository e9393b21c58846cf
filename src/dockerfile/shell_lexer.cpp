#include "src/dockerfile/shell_lexer.hpp"
