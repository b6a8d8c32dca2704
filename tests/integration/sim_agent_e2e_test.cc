// zimon sim writes its simulated GPU to the fake NVML state file and zimon
// agent reports it through the real NVML code path (dlopen of the fake
// libnvidia-ml.so.1): the simulated GPU's name, its memory, and a noisy
// neighbour process holding memory on it.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "tests/integration/agent_harness.h"
#include "zimon/testing/subprocess.h"

namespace zimon::integration {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

TEST(SimAgentE2E, AgentReportsTheSimulatedGpuAndItsNeighbour) {
  AgentSetup setup;
  setup.state = R"({"driver_version": "550.54.15", "devices": []})";
  RunningAgent agent(setup);
  ASSERT_TRUE(agent.started()) << agent.StartError();

  testing::SubprocessOptions options;
  options.args = {"sim",
                  "--listen",
                  "127.0.0.1:0",
                  "--profile",
                  "h100",
                  "--nvml-state",
                  agent.state_path(),
                  "--gpu-index",
                  "0",
                  "--noisy-neighbour-bytes",
                  "6GiB"};
  auto sim = testing::Subprocess::Start(ZIMON_BINARY, options);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  StatusOr<std::string> line = (*sim)->ReadLine(kStartTimeout);
  ASSERT_TRUE(line.ok()) << line.status().ToString() << (*sim)->StderrSoFar();
  EXPECT_NE(line->find("serving http://127.0.0.1:"), std::string::npos)
      << *line;

  metrics::ParsedExposition m;
  bool seen = agent.ScrapeUntil(
      [](const metrics::ParsedExposition& p) {
        return Count(p, "zimon_gpu_process_memory_used_bytes") >= 2;
      },
      &m);
  ASSERT_TRUE(seen) << "the agent never saw the simulated GPU's processes";

  // The GPU: named as simulated, 80 GiB, with the weights and the
  // neighbour's 6 GiB in use.
  bool simulated_name = false;
  for (const metrics::ParsedSample& s : m.samples) {
    if (s.name != "zimon_gpu_memory_total_bytes") continue;
    for (const metrics::Label& l : s.labels) {
      if (l.name == "name" &&
          l.value.find("(simulated)") != std::string::npos) {
        simulated_name = true;
        EXPECT_GT(s.value, 70 * kGiB);
      }
    }
  }
  EXPECT_TRUE(simulated_name) << "no GPU named (simulated)";
  std::optional<double> used =
      Find(m, "zimon_gpu_memory_used_bytes", {{"gpu", "0"}});
  ASSERT_TRUE(used.has_value());
  EXPECT_GT(*used, 6 * kGiB);

  // Who holds memory: the sim itself and the neighbour (6 GiB).
  bool sim_process = false, neighbour = false;
  for (const metrics::ParsedSample& s : m.samples) {
    if (s.name != "zimon_gpu_process_memory_used_bytes") continue;
    for (const metrics::Label& l : s.labels) {
      if (l.name == "pid" && l.value == std::to_string((*sim)->pid()))
        sim_process = true;
    }
    if (s.value == 6 * kGiB) neighbour = true;
  }
  EXPECT_TRUE(sim_process) << "the sim's own pid is not on the GPU";
  EXPECT_TRUE(neighbour) << "the 6 GiB neighbour is not on the GPU";

  ASSERT_TRUE((*sim)->Signal(SIGTERM).ok());
  StatusOr<testing::ExitStatus> exit = (*sim)->Wait(kGrace * 2);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_TRUE(exit->success()) << exit->ToString();
}

}  // namespace
}  // namespace zimon::integration
