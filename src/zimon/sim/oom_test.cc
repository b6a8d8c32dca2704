#include "zimon/sim/oom.h"

#include <gtest/gtest.h>

#include "zimon/sim/profiles.h"

namespace zimon::sim {
namespace {

TEST(FormatTorchSize, UsesPyTorchUnitsAndTwoDecimals) {
  EXPECT_EQ(FormatTorchSize(0), "0 bytes");
  EXPECT_EQ(FormatTorchSize(1024), "1024 bytes");
  EXPECT_EQ(FormatTorchSize(1536), "1.50 KiB");
  EXPECT_EQ(FormatTorchSize(30 * kMiB), "30.00 MiB");
  EXPECT_EQ(FormatTorchSize(kGiB), "1024.00 MiB");
  EXPECT_EQ(FormatTorchSize(kGiB + 1), "1.00 GiB");
}

TEST(TorchOomMessage, ReproducesTheReferenceTextExactly) {
  // gpustack/gpustack#4026, quoted in the reference §7.1.
  OomInfo info;
  info.gpu_index = 0;
  info.requested_bytes = 30 * kMiB;
  info.total_bytes = static_cast<uint64_t>(31.35 * kGiB);
  info.free_bytes = static_cast<uint64_t>(25.50 * kMiB);
  info.process_bytes = static_cast<uint64_t>(31.31 * kGiB);
  info.allocated_bytes = static_cast<uint64_t>(25.72 * kGiB);
  info.reserved_unallocated_bytes = static_cast<uint64_t>(313.95 * kMiB);
  EXPECT_EQ(
      TorchOomMessage(info),
      "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 30.00 "
      "MiB. GPU 0 has a total capacity of 31.35 GiB of which 25.50 MiB is "
      "free. Including non-PyTorch memory, this process has 31.31 GiB memory "
      "in use. Of the allocated memory 25.72 GiB is allocated by PyTorch, and "
      "313.95 MiB is reserved by PyTorch but unallocated. If reserved but "
      "unallocated memory is large try setting "
      "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid "
      "fragmentation.  See documentation for Memory Management  "
      "(https://pytorch.org/docs/stable/notes/cuda.html#environment-"
      "variables)");
}

TEST(ComfyOom, MatchesComfyUiTexts) {
  EXPECT_EQ(ComfyOomConsoleLine(),
            "!!! Exception during processing !!! Allocation on device");
  EXPECT_EQ(ComfyOomExceptionMessage(),
            "Allocation on device\nThis error means you ran out of memory on "
            "your GPU.\n\nTIPS: If the workflow worked before you might have "
            "accidentally set the batch_size to a large number.");
}

}  // namespace
}  // namespace zimon::sim
