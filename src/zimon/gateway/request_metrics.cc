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

void RequestMetrics::Finish(std::string_view backend, RequestOutcome outcome,
                            double total_seconds) {
  requests_.WithLabels({backend, RequestOutcomeName(outcome)}).Inc();
  request_duration_.WithLabels({backend}).Observe(total_seconds);
}

void RequestMetrics::Upstream(std::string_view backend, double seconds,
                              int images) {
  backend_duration_.WithLabels({backend}).Observe(seconds);
  if (images > 0) batch_size_.Observe(images);
}

void RequestMetrics::Delivered(std::string_view size, int count) {
  if (count > 0) images_.WithLabels({size}).Inc(count);
}

}  // namespace zimon::gateway
