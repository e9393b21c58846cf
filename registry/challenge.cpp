#include "registry/challenge.hpp"
