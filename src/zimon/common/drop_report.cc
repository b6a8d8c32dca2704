#include "zimon/common/drop_report.h"

#include <utility>

#include "zimon/common/logging.h"

namespace zimon {

DropReport::DropReport(std::string message, std::string unit, Clock& clock,
                       std::chrono::seconds every)
    : message_(std::move(message)),
      unit_(std::move(unit)),
      clock_(clock),
      every_(every) {}

DropReport::~DropReport() {
  pending_ += unreported_.exchange(0, std::memory_order_relaxed);
  if (pending_ > 0) Log();
}

void DropReport::Report() {
  pending_ += unreported_.exchange(0, std::memory_order_relaxed);
  if (pending_ == 0) return;
  const Clock::SteadyTime now = clock_.SteadyNow();
  if (reported_ && now - *reported_ < every_) return;
  Log();
  reported_ = now;
}

void DropReport::Log() {
  log::Warn(message_, {{unit_, pending_}});
  pending_ = 0;
}

}  // namespace zimon
