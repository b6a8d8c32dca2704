// The out-of-memory texts of the real servers, with the numbers filled in from
// the simulated GPU's state (reference §7.1).
//
// Thread safety: pure functions.
#ifndef ZIMON_SIM_OOM_H_
#define ZIMON_SIM_OOM_H_

#include <cstdint>
#include <string>

namespace zimon::sim {

// The memory state at the moment an allocation failed.
struct OomInfo {
  int gpu_index = 0;
  uint64_t requested_bytes = 0;             // "Tried to allocate"
  uint64_t total_bytes = 0;                 // "total capacity"
  uint64_t free_bytes = 0;                  // "of which ... is free"
  uint64_t process_bytes = 0;               // "this process has ... in use"
  uint64_t allocated_bytes = 0;             // "allocated by PyTorch"
  uint64_t reserved_unallocated_bytes = 0;  // "reserved ... but unallocated"
};

// PyTorch's size format (c10 CUDACachingAllocator format_size): "N bytes",
// then KiB, MiB, GiB with two decimals.
std::string FormatTorchSize(uint64_t bytes);

// "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 30.00 MiB.
// GPU 0 has a total capacity of 31.35 GiB of which 25.50 MiB is free. ..."
// exactly as PyTorch prints it (§7.1, gpustack/gpustack#4026).
std::string TorchOomMessage(const OomInfo& info);

// The exception type name ComfyUI reports for it.
inline constexpr const char* kTorchOomType = "torch.OutOfMemoryError";

// ComfyUI's console line: "!!! Exception during processing !!! Allocation on
// device".
std::string ComfyOomConsoleLine();
// ComfyUI's `exception_message` for an OOM: the exception text, a newline,
// then the tips execution.py appends (§7.1).
std::string ComfyOomExceptionMessage();

}  // namespace zimon::sim

#endif  // ZIMON_SIM_OOM_H_
