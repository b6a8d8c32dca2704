// The zimon binary: everything is in the cli module, except the choice of
// allocator for the gateway (allocator.h).
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "zimon/cli/cli.h"
#include "zimon/common/logging.h"

#ifdef ZIMON_HAVE_MIMALLOC
#include "allocator.h"

namespace {

// `serve` and `demo` run the gateway, whose small requests make about a
// hundred short-lived allocations each; mimalloc takes them for a fifth less
// CPU than glibc's malloc. ZIMON_MALLOC=system keeps glibc's (for a memory
// debugger, say).
void ChooseAllocator(int argc, char** argv) {
  if (argc < 2) return;
  const std::string_view command = argv[1];
  if (command != "serve" && command != "demo") return;
  const char* choice = std::getenv("ZIMON_MALLOC");
  if (choice != nullptr && std::string_view(choice) == "system") return;
  std::string error;
  if (!zimon::app::UseMimalloc(&error)) {
    zimon::log::Warn("mimalloc not available; the gateway uses malloc",
                     {{"error", error}});
  }
}

}  // namespace
#endif

int main(int argc, char** argv) {
#ifdef ZIMON_HAVE_MIMALLOC
  ChooseAllocator(argc, argv);
#endif
  return zimon::cli::Run(argc, argv, std::cout, std::cerr);
}
