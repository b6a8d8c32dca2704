// The zimon binary: everything is in the cli module.
#include <iostream>

#include "zimon/cli/cli.h"

int main(int argc, char** argv) {
  return zimon::cli::Run(argc, argv, std::cout, std::cerr);
}
