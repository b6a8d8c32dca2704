// The sim's state file read back through the fake NVML library's C API, the
// path `zimon agent` takes.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "zimon/collect/nvml_types.h"
#include "zimon/sim/engine_test_util.h"
#include "zimon/sim/nvml_state.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::sim {
namespace {

using testing::Harness;
using testing::Options;

template <typename Fn>
Fn Sym(void* lib, const char* name) {
  void* p = dlsym(lib, name);
  EXPECT_NE(p, nullptr) << name;
  return reinterpret_cast<Fn>(p);
}

TEST(NvmlRoundTrip, TwoSimsAppearAsTwoGpusThroughNvml) {
  zimon::testing::TempDir dir;
  std::string path = dir.Join("state.json");
  ASSERT_EQ(setenv("ZIMON_FAKE_NVML_STATE", path.c_str(), 1), 0);

  SimOptions a = Options("h100");
  a.gpu_index = 0;
  a.pid = 1111;
  SimOptions b = Options("rtx5090");
  b.gpu_index = 1;
  b.pid = 2222;
  b.faults.noisy_neighbour = NoisyNeighbour{2 * kGiB, 0.2, 3333, "miner"};
  Harness ha(a), hb(b);
  ha.WarmUp();
  NvmlStatePublisher pa(*ha.engine, ha.loop, path, std::chrono::seconds(1));
  NvmlStatePublisher pb(*hb.engine, hb.loop, path, std::chrono::seconds(1));

  void* lib = dlopen(ZIMON_FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  auto init = Sym<nvmlReturn_t (*)()>(lib, "nvmlInit_v2");
  auto count = Sym<nvmlReturn_t (*)(unsigned*)>(lib, "nvmlDeviceGetCount_v2");
  auto handle = Sym<nvmlReturn_t (*)(unsigned, nvmlDevice_t*)>(
      lib, "nvmlDeviceGetHandleByIndex_v2");
  auto name = Sym<nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned)>(
      lib, "nvmlDeviceGetName");
  auto memory = Sym<nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t*)>(
      lib, "nvmlDeviceGetMemoryInfo");
  auto procs =
      Sym<nvmlReturn_t (*)(nvmlDevice_t, unsigned*, nvmlProcessInfo_v2_t*)>(
          lib, "nvmlDeviceGetComputeRunningProcesses_v3");
  auto shutdown = Sym<nvmlReturn_t (*)()>(lib, "nvmlShutdown");
  ASSERT_TRUE(init && count && handle && name && memory && procs && shutdown);

  ASSERT_EQ(init(), NVML_SUCCESS);
  unsigned n = 0;
  ASSERT_EQ(count(&n), NVML_SUCCESS);
  EXPECT_EQ(n, 2u);

  nvmlDevice_t d0, d1;
  ASSERT_EQ(handle(0, &d0), NVML_SUCCESS);
  ASSERT_EQ(handle(1, &d1), NVML_SUCCESS);
  char buf[96];
  ASSERT_EQ(name(d0, buf, sizeof(buf)), NVML_SUCCESS);
  EXPECT_STREQ(buf, "NVIDIA H100 80GB HBM3 (simulated)");
  ASSERT_EQ(name(d1, buf, sizeof(buf)), NVML_SUCCESS);
  EXPECT_STREQ(buf, "NVIDIA GeForce RTX 5090 (simulated)");

  nvmlMemory_t m0;
  ASSERT_EQ(memory(d0, &m0), NVML_SUCCESS);
  EXPECT_EQ(m0.total, 80 * kGiB);
  EXPECT_EQ(m0.used, ha.engine->Gpu().UsedBytes());
  EXPECT_GT(m0.used, 19 * kGiB);  // weights resident after the warm-up

  nvmlProcessInfo_v2_t p[4];
  unsigned np = 4;
  ASSERT_EQ(procs(d1, &np, p), NVML_SUCCESS);
  ASSERT_EQ(np, 2u);  // the server (context only: not loaded yet) + neighbour
  EXPECT_EQ(p[0].pid, 2222u);
  EXPECT_EQ(p[1].pid, 3333u);
  EXPECT_EQ(p[1].usedGpuMemory, 2 * kGiB);

  EXPECT_EQ(shutdown(), NVML_SUCCESS);
  dlclose(lib);
}

}  // namespace
}  // namespace zimon::sim
