#include "zimon/gateway/access_log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "zimon/common/logging.h"
#include "zimon/metrics/registry.h"
#include "zimon/testing/failing_file_system.h"
#include "zimon/testing/fake_clock.h"
#include "zimon/testing/in_memory_file_system.h"
#include "zimon/testing/log_capture.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using testing::FailingFileSystem;
using testing::FsOp;
using testing::InMemoryFileSystem;
using namespace std::chrono_literals;

Clock::WallTime At(int64_t ms) {
  return Clock::WallTime(std::chrono::milliseconds(ms));
}

AccessLogEntry Success() {
  AccessLogEntry e;
  e.request_id = "req-1";
  e.method = "POST";
  e.path = "/v1/images/generations";
  e.status = 200;
  e.outcome = "success";
  e.backend = "gpu-0";
  e.queue_wait = 12ms;
  e.upstream = 1931ms;
  e.total = 1950ms;
  e.size = "1024x1024";
  e.images = 1;
  e.quality_score = 0.82;
  e.bytes_out = 1843210;
  return e;
}

TEST(FormatAccessLogLine, WritesEveryFieldAsJson) {
  std::string line = FormatAccessLogLine(Success(), At(1764335400123));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  // The leading keys match zimon::log lines.
  EXPECT_EQ(line.rfind(R"({"ts":"2025-11-28T13:10:00.123Z","level":"info",)"
                       R"("msg":"access",)",
                       0),
            0u)
      << line;
  json j = json::parse(line);
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/v1/images/generations");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["backend"], "gpu-0");
  EXPECT_DOUBLE_EQ(j["queue_wait_s"].get<double>(), 0.012);
  EXPECT_DOUBLE_EQ(j["upstream_s"].get<double>(), 1.931);
  EXPECT_DOUBLE_EQ(j["total_s"].get<double>(), 1.95);
  EXPECT_EQ(j["size"], "1024x1024");
  EXPECT_EQ(j["images"], 1);
  EXPECT_DOUBLE_EQ(j["quality_score"].get<double>(), 0.82);
  EXPECT_EQ(j["bytes_out"], 1843210);
}

TEST(FormatAccessLogLine, FieldsThatDoNotApplyAreNull) {
  AccessLogEntry e;
  e.request_id = "req-2";
  e.method = "POST";
  e.path = "/v1/images/generations";
  e.status = 429;
  e.outcome = "rejected";
  e.total = 1ms;
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_EQ(j["ts"], "1970-01-01T00:00:00.000Z");
  for (const char* key :
       {"backend", "queue_wait_s", "upstream_s", "size", "quality_score"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_null()) << key;
  }
  EXPECT_EQ(j["images"], 0);
}

TEST(FormatAccessLogLine, EscapesHostileStrings) {
  AccessLogEntry e = Success();
  e.path = "/v1/x\"\n\\\x01";
  e.backend = "b\"}{";
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_EQ(j["path"], "/v1/x\"\n\\\x01");
  EXPECT_EQ(j["backend"], "b\"}{");
}

TEST(FormatAccessLogLine, NonFiniteNumbersAreNull) {
  AccessLogEntry e = Success();
  e.quality_score = std::nan("");
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_TRUE(j["quality_score"].is_null());
}

// The value of zimon_access_log_lost_lines_total{reason=`reason`}.
double Lost(metrics::Registry& registry, std::string_view reason) {
  for (const auto& f : registry.Collect()) {
    if (f.name != "zimon_access_log_lost_lines") continue;
    for (const auto& p : f.points) {
      if (p.labels.size() == 1 && p.labels[0].value == reason) return p.value;
    }
  }
  return -1;
}

// A sink that keeps what it is handed. While held (Hold(), or from the
// start), a call waits in the sink until Release(); while `failing`, calls
// fail.
class TestSink {
 public:
  explicit TestSink(bool held = false) : held_(held) {}

  AccessLog::Sink Sink() {
    return [this](std::string_view lines) -> Status {
      std::unique_lock lock(mu_);
      ++calls_;
      if (held_) {
        ++waiting_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !held_; });
        --waiting_;
      }
      if (failing_) return FailingFileSystem::NoSpace("access.log");
      text_ += lines;
      return OkStatus();
    };
  }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  // Returns once a call waits in the sink: what it writes has left the
  // queue.
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return waiting_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    changed_.notify_all();
  }
  void SetFailing(bool failing) {
    std::lock_guard lock(mu_);
    failing_ = failing;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // The lines written so far, parsed.
  std::vector<json> Lines() {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    std::istringstream in(text_);
    for (std::string line; std::getline(in, line);) {
      out.push_back(json::parse(line));
    }
    EXPECT_TRUE(text_.empty() || text_.back() == '\n');
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_;             // guarded by mu_
  int waiting_ = 0;       // guarded by mu_
  int calls_ = 0;         // guarded by mu_
  bool failing_ = false;  // guarded by mu_
  std::string text_;      // guarded by mu_
};

AccessLogEntry WithId(std::string id) {
  AccessLogEntry e = Success();
  e.request_id = std::move(id);
  return e;
}

TEST(AccessLog, StampsEachLineWithTheTimeItWasWritten) {
  testing::FakeClock clock(At(1000));
  metrics::Registry registry;
  TestSink sink;
  AccessLog log(sink.Sink(), clock, registry);
  log.Write(Success());
  clock.Advance(2500ms);
  log.Write(Success());
  log.Flush();
  auto lines = sink.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ts"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(lines[1]["ts"], "1970-01-01T00:00:03.500Z");
  EXPECT_EQ(lines[0], json::parse(FormatAccessLogLine(Success(), At(1000))));
}

// While the sink is busy, lines gather and go out in one call.
TEST(AccessLog, WritesWhatGatheredInOneCall) {
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  TestSink sink(/*held=*/true);
  AccessLog log(sink.Sink(), clock, registry);
  log.Write(WithId("first"));
  sink.WaitUntilHeld();
  for (int i = 0; i < 100; ++i) log.Write(WithId("r" + std::to_string(i)));
  sink.Release();
  log.Flush();
  EXPECT_EQ(sink.calls(), 2);
  auto lines = sink.Lines();
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines[0]["request_id"], "first");
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(lines[i + 1]["request_id"], "r" + std::to_string(i));
  }
}

TEST(AccessLog, DropsAndCountsLinesPastTheQueueLimit) {
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  TestSink sink(/*held=*/true);
  AccessLog log(sink.Sink(), clock, registry, /*max_pending=*/2);
  log.Write(WithId("a"));
  sink.WaitUntilHeld();  // "a" has left the queue
  log.Write(WithId("b"));
  log.Write(WithId("c"));
  log.Write(WithId("lost"));
  EXPECT_EQ(Lost(registry, "queue_full"), 1);
  sink.Release();
  log.Flush();
  auto lines = sink.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["request_id"], "c");
  EXPECT_EQ(Lost(registry, "write_error"), 0);
}

TEST(AccessLog, ReportsAFullQueueAtMostEveryTenSeconds) {
  testing::LogCapture logs;
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  TestSink sink;
  AccessLog log(sink.Sink(), clock, registry, /*max_pending=*/1);
  // One line in the held sink, one waiting in the queue, one lost.
  const auto lose_one = [&](const std::string& tag) {
    sink.Hold();
    log.Write(WithId(tag + "-taken"));
    sink.WaitUntilHeld();
    log.Write(WithId(tag + "-queued"));
    log.Write(WithId(tag + "-lost"));
    sink.Release();
    log.Flush();
  };
  lose_one("1");
  ASSERT_EQ(logs.With("access log queue full").size(), 1u);
  EXPECT_EQ(logs.With("access log queue full")[0]["lines"], 1);
  // More losses within 10 s: counted, not logged yet.
  clock.Advance(5s);
  lose_one("2");
  EXPECT_EQ(logs.With("access log queue full").size(), 1u);
  clock.Advance(5s);
  log.Write(WithId("e"));
  log.Flush();
  auto reports = logs.With("access log queue full");
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1]["lines"], 1);
  EXPECT_EQ(Lost(registry, "queue_full"), 2);
}

TEST(AccessLog, CountsLinesTheSinkFailedToTake) {
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  TestSink sink;
  AccessLog log(sink.Sink(), clock, registry);
  sink.SetFailing(true);
  log.Write(WithId("a"));
  log.Flush();
  log.Write(WithId("b"));
  log.Write(WithId("c"));
  log.Flush();
  EXPECT_EQ(Lost(registry, "write_error"), 3);
  sink.SetFailing(false);
  log.Write(WithId("d"));
  log.Flush();
  auto lines = sink.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["request_id"], "d");
  EXPECT_EQ(Lost(registry, "write_error"), 3);
  EXPECT_EQ(Lost(registry, "queue_full"), 0);
}

TEST(AccessLog, DestructorWritesWhatIsQueued) {
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  TestSink sink;
  {
    AccessLog log(sink.Sink(), clock, registry);
    for (int i = 0; i < 20; ++i) log.Write(Success());
  }
  EXPECT_EQ(sink.Lines().size(), 20u);
}

TEST(AccessLogFile, AppendsToTheFile) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/access.log", "earlier\n").ok());
  auto file = AccessLogFile::Open(fs, "/access.log");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  AccessLog::Sink sink = (*file)->Sink();
  ASSERT_TRUE(sink("one\n").ok());
  ASSERT_TRUE(sink("two\nthree\n").ok());
  EXPECT_EQ(fs.ReadFile("/access.log").value_or(""),
            "earlier\none\ntwo\nthree\n");
}

TEST(AccessLogFile, NamesAFileItCannotOpen) {
  InMemoryFileSystem fs;
  auto file = AccessLogFile::Open(fs, "/no/such/dir/access.log");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(),
              ::testing::HasSubstr("/no/such/dir/access.log"));
  EXPECT_THAT(file.status().message(), ::testing::HasSubstr("access log"));
}

// Rotation: the file is moved away, then the log reopened at its path.
TEST(AccessLogFile, ReopenWritesToTheFileNowAtThePath) {
  InMemoryFileSystem fs;
  auto file = AccessLogFile::Open(fs, "/access.log");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  AccessLog::Sink sink = (*file)->Sink();
  ASSERT_TRUE(sink("before\n").ok());
  ASSERT_TRUE(fs.Rename("/access.log", "/access.log.1").ok());
  ASSERT_TRUE(sink("late\n").ok());  // still the moved file
  ASSERT_TRUE((*file)->Reopen().ok());
  ASSERT_TRUE(sink("after\n").ok());
  EXPECT_EQ(fs.ReadFile("/access.log.1").value_or(""), "before\nlate\n");
  EXPECT_EQ(fs.ReadFile("/access.log").value_or(""), "after\n");
}

TEST(AccessLogFile, AFailedReopenKeepsTheOpenFile) {
  InMemoryFileSystem mem;
  FailingFileSystem fs(mem);
  auto file = AccessLogFile::Open(fs, "/access.log");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  fs.FailNth(FsOp::kNewAppendableFile, 1,
             FailingFileSystem::NoSpace("/access.log"));
  Status reopened = (*file)->Reopen();
  EXPECT_FALSE(reopened.ok());
  EXPECT_THAT(reopened.message(), ::testing::HasSubstr("/access.log"));
  ASSERT_TRUE((*file)->Sink()("kept\n").ok());
  EXPECT_EQ(mem.ReadFile("/access.log").value_or(""), "kept\n");
}

// A full disk costs lines, counted, and the log goes on once there is room.
TEST(AccessLogFile, AFullDiskLosesLinesUntilThereIsRoom) {
  InMemoryFileSystem mem;
  FailingFileSystem fs(mem);
  fs.FailNth(FsOp::kAppend, 1, FailingFileSystem::NoSpace("/access.log"));
  auto file = AccessLogFile::Open(fs, "/access.log");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  testing::FakeClock clock(At(0));
  metrics::Registry registry;
  AccessLog log((*file)->Sink(), clock, registry);
  log.Write(WithId("lost"));
  log.Flush();
  log.Write(WithId("kept"));
  log.Flush();
  EXPECT_EQ(Lost(registry, "write_error"), 1);
  std::string text = mem.ReadFile("/access.log").value_or("");
  EXPECT_EQ(text.find("lost"), std::string::npos) << text;
  EXPECT_NE(text.find("kept"), std::string::npos) << text;
}

TEST(FdAccessSink, WritesToFileDescriptorOne) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(::dup2(fds[1], STDOUT_FILENO), 0);
  Status status = FdAccessSink()("a line\n");
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fds[1]);
  ASSERT_TRUE(status.ok()) << status.ToString();
  char buf[64];
  ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "a line\n");
}

TEST(FdAccessSink, ReportsAClosedReader) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(::dup2(fds[1], STDOUT_FILENO), 0);
  // SIGPIPE is ignored in zimon (and in this test), so the write fails.
  auto* old = std::signal(SIGPIPE, SIG_IGN);
  Status status = FdAccessSink()("a line\n");
  std::signal(SIGPIPE, old);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fds[1]);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("standard output"));
}

// A reader that stops reading (the pipe stays open and full) costs the
// batch after the timeout, not a writer blocked for good.
TEST(FdAccessSink, AStoppedReaderCostsTheBatchNotTheWriter) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // Fill the pipe, then make its writing end blocking again.
  const int flags = ::fcntl(fds[1], F_GETFL);
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, flags | O_NONBLOCK), 0);
  const std::string page(4096, 'x');
  while (::write(fds[1], page.data(), page.size()) > 0) {
  }
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, flags), 0);
  Status status = FdAccessSink(fds[1], 50ms)("a line\n");
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status.ToString();
  EXPECT_THAT(status.message(), ::testing::HasSubstr("no room"));
}

// A pipe gets a large batch whole, a PIPE_BUF at a time as its reader drains
// it.
TEST(FdAccessSink, APipeGetsALargeBatchWhole) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string batch;
  for (int i = 0; batch.size() < 300000; ++i) {
    batch += "line " + std::to_string(i) + "\n";
  }
  std::string read_back;
  std::thread reader([&] {
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) read_back.append(buf, n);
  });
  Status status = FdAccessSink(fds[1])(batch);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(read_back, batch);
}

TEST(FdAccessSink, ARegularFileGetsTheBatchWhole) {
  testing::TempDir dir;
  const std::string path = dir.Join("out.log");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  const std::string batch(100000, 'y');
  Status status = FdAccessSink(fd)(batch + "\n");
  ::close(fd);
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, batch);
}

TEST(AcceptOrMakeRequestId, KeepsAUsableClientId) {
  EXPECT_EQ(AcceptOrMakeRequestId("abc-123_X.y:z"), "abc-123_X.y:z");
  std::string longest(kMaxRequestIdBytes, 'a');
  EXPECT_EQ(AcceptOrMakeRequestId(longest), longest);
}

TEST(AcceptOrMakeRequestId, ReplacesMissingOrUnsafeIds) {
  for (std::string bad :
       {std::string(), std::string(kMaxRequestIdBytes + 1, 'a'),
        std::string("has space"), std::string("new\nline"),
        std::string("quote\""), std::string("caf\xc3\xa9")}) {
    std::string id = AcceptOrMakeRequestId(bad);
    EXPECT_NE(id, bad);
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    EXPECT_EQ(id.rfind("req_", 0), 0u) << id;
    EXPECT_EQ(id.size(), 40u) << id;
  }
}

TEST(AcceptOrMakeRequestId, GeneratedIdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(AcceptOrMakeRequestId(""));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace zimon::gateway
