#include "zimon/sim/oom.h"

#include <cstdio>

namespace zimon::sim {

std::string FormatTorchSize(uint64_t bytes) {
  char buf[64];
  if (bytes <= 1024) {
    std::snprintf(buf, sizeof(buf), "%llu bytes",
                  static_cast<unsigned long long>(bytes));
  } else if (bytes <= 1048576) {
    std::snprintf(buf, sizeof(buf), "%.2f KiB", bytes / 1024.0);
  } else if (bytes <= 1073741824ull) {
    std::snprintf(buf, sizeof(buf), "%.2f MiB", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", bytes / 1073741824.0);
  }
  return buf;
}

std::string TorchOomMessage(const OomInfo& info) {
  // Two spaces before "See documentation" and before the URL, as PyTorch
  // prints them.
  return "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate " +
         FormatTorchSize(info.requested_bytes) + ". GPU " +
         std::to_string(info.gpu_index) + " has a total capacity of " +
         FormatTorchSize(info.total_bytes) + " of which " +
         FormatTorchSize(info.free_bytes) +
         " is free. Including non-PyTorch memory, this process has " +
         FormatTorchSize(info.process_bytes) +
         " memory in use. Of the allocated memory " +
         FormatTorchSize(info.allocated_bytes) +
         " is allocated by PyTorch, and " +
         FormatTorchSize(info.reserved_unallocated_bytes) +
         " is reserved by PyTorch but unallocated. If reserved but "
         "unallocated memory is large try setting "
         "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid "
         "fragmentation.  See documentation for Memory Management  "
         "(https://pytorch.org/docs/stable/notes/cuda.html#environment-"
         "variables)";
}

std::string ComfyOomConsoleLine() {
  return "!!! Exception during processing !!! Allocation on device";
}

std::string ComfyOomExceptionMessage() {
  return "Allocation on device\nThis error means you ran out of memory on your "
         "GPU.\n\nTIPS: If the workflow worked before you might have "
         "accidentally set the batch_size to a large number.";
}

}  // namespace zimon::sim
