#include "registry/credentials.hpp"
