// LogCapture: keeps zimon's own log lines (log::Info and the rest) while
// alive, for tests that check what was logged.
//
//   testing::LogCapture logs;
//   ... code that logs ...
//   auto warnings = logs.With("access log queue full");
//   EXPECT_EQ(warnings[0]["lines"], 1);
//
// Thread safety: lines may be logged from any thread.
#ifndef ZIMON_TESTING_LOG_CAPTURE_H_
#define ZIMON_TESTING_LOG_CAPTURE_H_

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/logging.h"

namespace zimon::testing {

class LogCapture {
 public:
  LogCapture() {
    log::SetSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { log::SetSink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The captured lines whose "msg" starts with `prefix`, parsed.
  std::vector<nlohmann::json> With(std::string_view prefix) {
    std::lock_guard lock(mu_);
    std::vector<nlohmann::json> out;
    for (const std::string& line : lines_) {
      nlohmann::json j = nlohmann::json::parse(line);
      if (j.value("msg", "").starts_with(prefix)) out.push_back(j);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_LOG_CAPTURE_H_
