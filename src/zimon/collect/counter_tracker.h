// Turns raw kernel or driver counters into counters that never go backwards.
//
// The sources (/proc/diskstats, /proc/net/dev, NVML ECC counts) reset when a
// device is re-attached or a driver reloads, and 32-bit fields wrap. The
// tracker remembers the last raw value and the accumulated total per series
// key: a rise adds the difference; a drop is read as a reset and adds the new
// raw value whole (the best lower bound for what happened since). A key seen
// for the first time starts at its raw value. Keys are never forgotten unless
// asked, so a device that disappears and comes back continues from its total.
//
// Thread safety: not thread-safe; one collector thread owns it.
#ifndef ZIMON_COLLECT_COUNTER_TRACKER_H_
#define ZIMON_COLLECT_COUNTER_TRACKER_H_

#include <cstdint>
#include <string>
#include <unordered_map>

namespace zimon::collect {

class CounterTracker {
 public:
  // Records a raw reading and returns the monotonic total for `key`.
  double Update(const std::string& key, double raw);

  // Records a raw reading and returns only the increase it contributes
  // (the whole raw value for a new key or after a reset).
  double Advance(const std::string& key, double raw);

  // Drops every key not updated since the previous call to Sweep(). For
  // short-lived keys such as process ids; device keys are never swept.
  void Sweep();

  size_t size() const { return series_.size(); }

 private:
  struct Series {
    double last_raw = 0;
    double total = 0;
    uint64_t generation = 0;
  };
  std::unordered_map<std::string, Series> series_;
  uint64_t generation_ = 1;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_COUNTER_TRACKER_H_
