#include "src/cli/cli.hpp"

int main(int argc, char** argv) {
    return hoist::cli::run(argc, argv);
}
