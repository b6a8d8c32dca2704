#include "zimon/collect/snapshot_collector.h"

#include <utility>

namespace zimon::collect {

void PublishedSnapshot::Publish(std::vector<metrics::FamilySnapshot> families) {
  auto next = std::make_shared<const std::vector<metrics::FamilySnapshot>>(
      std::move(families));
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next);
}

void PublishedSnapshot::AppendTo(
    std::vector<metrics::FamilySnapshot>& out) const {
  std::shared_ptr<const std::vector<metrics::FamilySnapshot>> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = current_;
  }
  if (current) out.insert(out.end(), current->begin(), current->end());
}

metrics::FamilySnapshot MakeFamily(std::string name, std::string help,
                                   metrics::MetricType type) {
  metrics::FamilySnapshot f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddPoint(metrics::FamilySnapshot& family, metrics::Labels labels,
              double value) {
  metrics::MetricPoint p;
  p.labels = std::move(labels);
  p.value = value;
  family.points.push_back(std::move(p));
}

}  // namespace zimon::collect
