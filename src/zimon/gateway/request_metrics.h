// RequestMetrics: the gateway's per-request families of the metric contract
// (ARCHITECTURE.md §5) and the outcome classification behind
// zimon_requests_total{backend,outcome}.
//
//   RequestMetrics m(registry);
//   m.Finish("gpu-0", RequestOutcome::kSuccess, total_seconds);
//
// Admission and backend state (queue depth and wait, in-flight, limits, up,
// ejections), quality and feedback have their own metric owners
// (admission.h, backend_state.h, quality_metrics.h, feedback_store.h).
//
// Ownership: references families owned by the registry, which must outlive it.
// Thread safety: thread-safe.
#ifndef ZIMON_GATEWAY_REQUEST_METRICS_H_
#define ZIMON_GATEWAY_REQUEST_METRICS_H_

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "zimon/metrics/registry.h"

namespace zimon::gateway {

// How a request ended, from the client's side.
enum class RequestOutcome {
  kSuccess,       // images returned
  kRejected,      // 429 queue full, 503 no healthy backend
  kTimeout,       // 504: the deadline passed, queued or upstream
  kOom,           // the backend ran out of GPU memory
  kBackendError,  // any other backend failure (502, 503 after retries)
  kBadImage,      // a black, blank or undecodable image came back
  kClientError,   // the request was invalid, unauthorised, or the client left
};

std::string_view RequestOutcomeName(RequestOutcome outcome);

// The `backend` label of requests that never reached one.
inline constexpr std::string_view kNoBackend = "none";

class RequestMetrics {
 public:
  explicit RequestMetrics(metrics::Registry& registry);

  // A request ended: counts it and observes its end-to-end duration.
  void Finish(std::string_view backend, RequestOutcome outcome,
              double total_seconds);
  // One upstream call ended after `seconds`, carrying `images` images.
  void Upstream(std::string_view backend, double seconds, int images);
  // `count` images of `size` ("1024x1024") were delivered.
  void Delivered(std::string_view size, int count);

 private:
  static constexpr size_t kOutcomes =
      static_cast<size_t>(RequestOutcome::kClientError) + 1;
  // A backend's children, each looked up once, when first used (WithLabels
  // takes the family's lock and searches its children; this runs several
  // times per request). Null until then: a child exists, and is exported,
  // only once something was counted in it.
  struct BackendChildren {
    std::array<metrics::Counter*, kOutcomes> requests{};
    metrics::Histogram* request_duration = nullptr;
    metrics::Histogram* backend_duration = nullptr;
  };
  // Lock `mu_` and find or make `backend`'s entry.
  BackendChildren& ChildrenLocked(std::string_view backend);

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& request_duration_;
  metrics::Family<metrics::Histogram>& backend_duration_;
  metrics::Family<metrics::Counter>& images_;
  metrics::Histogram& batch_size_;
  std::mutex mu_;
  // Guarded by mu_; entries are never removed (one per backend and size).
  std::map<std::string, std::unique_ptr<BackendChildren>, std::less<>>
      backends_;
  std::map<std::string, metrics::Counter*, std::less<>> images_by_size_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_REQUEST_METRICS_H_
