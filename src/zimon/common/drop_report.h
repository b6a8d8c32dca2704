// DropReport: counts items that a bounded queue turned away, on any thread,
// and logs them from the thread that drains the queue: one warning at most
// every `every`, not one per item.
//
//   DropReport dropped("access log queue full: lines lost", "lines", clock);
//   if (!worker.Add(std::move(line))) dropped.Add();  // any thread
//   dropped.Report();  // the writer, before each batch
//
// A count still unlogged when the report is destroyed is logged then, so a
// graceful stop leaves no loss unsaid. Callers keep their own metric: the
// log line is for people, the counter for alerts.
//
// Ownership: references the clock, which must outlive it.
// Thread safety: Add() is thread-safe and lock-free; Report() and the
// destructor run on one thread at a time.
#ifndef ZIMON_COMMON_DROP_REPORT_H_
#define ZIMON_COMMON_DROP_REPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "zimon/common/clock.h"

namespace zimon {

class DropReport {
 public:
  static constexpr std::chrono::seconds kEvery{10};

  // `message`: the warning's text; `unit`: the field that carries the count
  // ("lines", "records").
  DropReport(std::string message, std::string unit, Clock& clock,
             std::chrono::seconds every = kEvery);
  ~DropReport();
  DropReport(const DropReport&) = delete;
  DropReport& operator=(const DropReport&) = delete;

  void Add(uint64_t n = 1) {
    unreported_.fetch_add(n, std::memory_order_relaxed);
  }
  // Logs what was dropped since the last warning, unless one was logged
  // less than `every` ago (the count then waits for a later call).
  void Report();

 private:
  void Log();

  const std::string message_;
  const std::string unit_;
  Clock& clock_;
  const std::chrono::seconds every_;
  std::atomic<uint64_t> unreported_{0};
  // The reporting thread's: drops taken but not yet logged, and when the
  // last warning went out.
  uint64_t pending_ = 0;
  std::optional<Clock::SteadyTime> reported_;
};

}  // namespace zimon

#endif  // ZIMON_COMMON_DROP_REPORT_H_
