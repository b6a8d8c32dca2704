#include "zimon/collect/counter_tracker.h"

#include <iterator>

namespace zimon::collect {

double CounterTracker::Advance(const std::string& key, double raw) {
  auto [it, inserted] = series_.try_emplace(key);
  Series& s = it->second;
  double delta = (inserted || raw < s.last_raw) ? raw : raw - s.last_raw;
  s.last_raw = raw;
  s.total += delta;
  s.generation = generation_;
  return delta;
}

double CounterTracker::Update(const std::string& key, double raw) {
  Advance(key, raw);
  return series_.find(key)->second.total;
}

void CounterTracker::Sweep() {
  for (auto it = series_.begin(); it != series_.end();) {
    it = it->second.generation == generation_ ? std::next(it)
                                              : series_.erase(it);
  }
  ++generation_;
}

}  // namespace zimon::collect
