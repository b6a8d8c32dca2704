#include "zimon/gateway/request_metrics.h"

namespace zimon::gateway {

std::string_view RequestOutcomeName(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kSuccess:
      return "success";
    case RequestOutcome::kRejected:
      return "rejected";
    case RequestOutcome::kTimeout:
      return "timeout";
    case RequestOutcome::kOom:
      return "oom";
    case RequestOutcome::kBackendError:
      return "backend_error";
    case RequestOutcome::kBadImage:
      return "bad_image";
    case RequestOutcome::kClientError:
      return "client_error";
  }
  return "backend_error";
}

RequestMetrics::RequestMetrics(metrics::Registry& registry)
    : requests_(registry.AddCounter(
          "zimon_requests_total",
          "Image requests by the backend that served them (\"none\" when none "
          "did) and how they ended.",
          {"backend", "outcome"})),
      request_duration_(registry.AddHistogram(
          "zimon_request_duration_seconds",
          "End-to-end request time as the client sees it.", {"backend"},
          metrics::DefaultLatencyBuckets())),
      backend_duration_(
          registry.AddHistogram("zimon_backend_duration_seconds",
                                "Time of one upstream call to a backend.",
                                {"backend"}, metrics::DefaultLatencyBuckets())),
      images_(registry.AddCounter("zimon_images_generated_total",
                                  "Images delivered to clients, by size.",
                                  {"size"})),
      batch_size_(registry
                      .AddHistogram("zimon_batch_size",
                                    "Images per upstream call.", {},
                                    metrics::LinearBuckets(1, 1, 10))
                      .WithLabels({})) {}

RequestMetrics::BackendChildren& RequestMetrics::ChildrenLocked(
    std::string_view backend) {
  auto it = backends_.find(backend);
  if (it == backends_.end()) {
    it = backends_
             .emplace(std::string(backend), std::make_unique<BackendChildren>())
             .first;
  }
  return *it->second;
}

void RequestMetrics::Finish(std::string_view backend, RequestOutcome outcome,
                            double total_seconds) {
  metrics::Counter* requests;
  metrics::Histogram* duration;
  {
    std::lock_guard lock(mu_);
    BackendChildren& children = ChildrenLocked(backend);
    metrics::Counter*& counter =
        children.requests[static_cast<size_t>(outcome)];
    if (counter == nullptr) {
      counter = &requests_.WithLabels({backend, RequestOutcomeName(outcome)});
    }
    requests = counter;
    if (children.request_duration == nullptr) {
      children.request_duration = &request_duration_.WithLabels({backend});
    }
    duration = children.request_duration;
  }
  requests->Inc();
  duration->Observe(total_seconds);
}

void RequestMetrics::Upstream(std::string_view backend, double seconds,
                              int images) {
  metrics::Histogram* duration;
  {
    std::lock_guard lock(mu_);
    BackendChildren& children = ChildrenLocked(backend);
    if (children.backend_duration == nullptr) {
      children.backend_duration = &backend_duration_.WithLabels({backend});
    }
    duration = children.backend_duration;
  }
  duration->Observe(seconds);
  if (images > 0) batch_size_.Observe(images);
}

void RequestMetrics::Delivered(std::string_view size, int count) {
  if (count <= 0) return;
  metrics::Counter* counter;
  {
    std::lock_guard lock(mu_);
    auto it = images_by_size_.find(size);
    if (it == images_by_size_.end()) {
      it = images_by_size_
               .emplace(std::string(size), &images_.WithLabels({size}))
               .first;
    }
    counter = it->second;
  }
  counter->Inc(count);
}

}  // namespace zimon::gateway
