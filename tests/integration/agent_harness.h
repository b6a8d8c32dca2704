// Harness for end-to-end tests of `zimon agent`: a running agent (the real
// binary, ZIMON_BINARY) with a temp config file and fake NVML state file, and
// helpers to scrape it and look samples up.
//
// Ownership: RunningAgent owns its temp directory and child process; the
// destructor kills an agent still running. Thread safety: for the test's
// thread only.
#ifndef ZIMON_TESTS_INTEGRATION_AGENT_HARNESS_H_
#define ZIMON_TESTS_INTEGRATION_AGENT_HARNESS_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/exposition_util.h"
#include "zimon/common/status.h"
#include "zimon/http/message.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/testing/subprocess.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::integration {

// Generous for a debug build on a loaded machine; only reached on failure.
inline constexpr std::chrono::seconds kStartTimeout{30};
inline constexpr std::chrono::seconds kChangeTimeout{20};
// server.shutdown_grace in the agent's config.
inline constexpr std::chrono::seconds kGrace{5};

void WriteFile(const std::string& path, const std::string& content);
// As docs/fake-nvml.md asks of writers: a new file renamed over the old one.
void ReplaceFile(const std::string& path, const std::string& content);
// /proc/self/comm: this test's command name.
std::string SelfComm();

// Fake NVML state with two H200s. GPU 0 runs this test process (30 GiB), as
// "another process on the serving GPU", and has one Xid event (79); GPU 1 is
// idle, and lost when `gpu1_lost`.
std::string TwoGpuState(bool gpu1_lost);

struct AgentSetup {
  std::string nvml_library;  // empty: the fake library (ZIMON_FAKE_NVML_PATH)
  std::string listen = "127.0.0.1:0";
  std::string state;  // fake NVML state JSON; empty: TwoGpuState(false)
};

// `zimon agent --config <temp> --listen <listen>`, GPU and host every 1 s,
// watching this test process by pid and by name, with ZIMON_FAKE_NVML_STATE
// set to a temp state file.
class RunningAgent {
 public:
  explicit RunningAgent(const AgentSetup& setup);

  // Whether the agent announced its URL on stdout.
  bool started() const { return !base_url_.empty(); }
  // Why it did not start, with its stderr; empty when it did.
  std::string StartError() const;

  // GET base_url + path with this Accept header.
  StatusOr<http::Response> Get(const std::string& path,
                               const std::string& accept) const;
  // Scrapes /metrics in `format` and parses it; a failure fails the test
  // (EXPECT) and returns an empty exposition.
  metrics::ParsedExposition Scrape(metrics::ExpositionFormat format,
                                   std::string* body = nullptr,
                                   std::string* content_type = nullptr) const;
  // Scrapes (0.0.4) until `done` holds or kChangeTimeout passes; *last is the
  // last scrape.
  bool ScrapeUntil(
      const std::function<bool(const metrics::ParsedExposition&)>& done,
      metrics::ParsedExposition* last) const;

  const std::string& state_path() const { return state_path_; }
  testing::Subprocess& process() { return *child_; }

 private:
  testing::TempDir dir_;
  std::string config_path_;
  std::string state_path_;
  std::unique_ptr<testing::Subprocess> child_;
  std::string base_url_;  // "http://127.0.0.1:PORT"
  std::string start_error_;
};

// Runs `zimon args...` to completion (up to kStartTimeout); a failure to run
// it fails the test and returns an empty Output.
testing::Subprocess::Output RunZimon(std::vector<std::string> args);

}  // namespace zimon::integration

#endif  // ZIMON_TESTS_INTEGRATION_AGENT_HARNESS_H_
