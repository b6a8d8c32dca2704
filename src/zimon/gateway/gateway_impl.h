// Gateway::Impl: the gateway's state and request flow, shared by its two
// halves. gateway.cc holds start and stop, the health and retention loops,
// admission, the upstream call and the generation route; gateway_deliver.cc
// what follows an attempt (an error answer, or scoring, storing and
// rendering the images) and the image and feedback routes. Internal to the
// gateway library: include gateway.h instead.
//
// Thread safety: as Gateway (gateway.h).
#ifndef ZIMON_GATEWAY_GATEWAY_IMPL_H_
#define ZIMON_GATEWAY_GATEWAY_IMPL_H_

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "zimon/gateway/access_log.h"
#include "zimon/gateway/adapter.h"
#include "zimon/gateway/admission.h"
#include "zimon/gateway/balancer.h"
#include "zimon/gateway/feedback_store.h"
#include "zimon/gateway/gateway.h"
#include "zimon/gateway/image_api.h"
#include "zimon/gateway/image_recorder.h"
#include "zimon/gateway/image_store.h"
#include "zimon/gateway/quality_metrics.h"
#include "zimon/gateway/request_metrics.h"
#include "zimon/http/client.h"

namespace zimon::gateway {

class Gateway::Impl {
 public:
  Impl(GatewayOptions options, metrics::Registry& registry, Clock& clock,
       FileSystem& fs, std::unique_ptr<FeedbackStore> feedback,
       AccessLog::Sink access_sink, std::shared_ptr<AccessLogFile> access_file);

  ~Impl();

  // Names the pool's threads "zimon-work-N": one task per thread, each held
  // until all have started, so that every thread gets exactly one.
  void NameWorkers();

  Status Init();

  Status AddRoutes(http::Router& router);

  Status Start(boost::asio::any_io_executor executor, bool single_threaded);

  void Stop();
  void Flush();
  Status ReopenAccessLog();

  std::vector<BackendView> Backends() const { return admission_.Backends(); }

 private:
  template <typename T>
  using awaitable = boost::asio::awaitable<T>;
  using Seconds = std::chrono::duration<double>;

  // What one attempt at a backend came to.
  struct Attempt {
    std::string backend;  // empty: none was granted
    UpstreamResult result;
    Status admission;  // non-OK: refused or expired before any backend
    std::chrono::seconds retry_after{0};
    std::optional<Seconds> queue_wait;
    std::optional<Seconds> upstream;
  };

  // Everything the access log and metrics need about one request.
  struct Trail {
    Clock::SteadyTime start;
    AccessLogEntry entry;
    RequestOutcome outcome = RequestOutcome::kClientError;
    std::chrono::milliseconds timeout{0};
    // The gateway made entry.request_id (no usable X-Request-Id): the
    // images' ids are derived from it (DerivedImageId).
    bool request_id_made = false;
  };

  // An OpenAI error answer; with Retry-After when the error has one.
  static http::Response Reply(const ApiError& e);

  static AdmissionOptions MakeAdmissionOptions(const GatewayConfig& config);

  // Runs `f` on the worker pool and resumes on the caller's executor.
  template <typename F>
  awaitable<std::invoke_result_t<F>> Offload(F f) {
    std::optional<std::invoke_result_t<F>> out;
    auto work = [&]() -> awaitable<void> {
      out.emplace(f());
      co_return;
    };
    co_await boost::asio::co_spawn(pool_.get_executor(), work,
                                   boost::asio::use_awaitable);
    co_return std::move(*out);
  }

  // Runs `loop` on `executor`, counted until it returns (Stop() waits).
  // False, and `loop` never runs, once Stop() was called.
  bool SpawnLoop(const boost::asio::any_io_executor& executor,
                 awaitable<void> loop);

  // Frees the held slots due at `until` (the admission frees them lazily
  // too, but a queued request should not wait for the next event).
  awaitable<void> EndHoldAt(Clock::SteadyTime until, std::stop_token stop);

  // Deletes image files older than gateway.image_retention: once at start,
  // then every tenth of the retention (1 min to 1 h).
  awaitable<void> RetentionLoop(std::stop_token stop);

  awaitable<void> HealthLoop(std::string name, BackendAdapter& adapter,
                             std::stop_token stop);

  // Waits for a slot (or takes one at once) and calls the backend; retries
  // on another backend while generation never started and the budget and
  // the deadline allow. Fills `attempt` in place: an Attempt handed back
  // through two coroutines was moved a dozen times per request.
  awaitable<void> Dispatch(const ImageRequest& image, int priority,
                           Clock::SteadyTime deadline, std::stop_token stop,
                           Attempt& attempt);

  // Fills `attempt` (empty on entry), as Dispatch does.
  awaitable<void> Admit(const ImageRequest& image, int priority,
                        Clock::SteadyTime deadline,
                        const std::vector<std::string>& exclude,
                        std::stop_token stop, Attempt& attempt);

  // An optimistic bound on when a request queued behind `ahead` others could
  // finish: the first requests granted may take slots that are about to
  // free; beyond the slots every grant waits for a slot to turn over. Each
  // slot is counted as turning over twice as fast as its typical time, and
  // the request's own image as taking half of it (a typical time measured
  // with several requests running at once on a server is longer than one
  // alone), so a request past this bound could not have made it. nullopt
  // when a backend in service has no typical time for this shape yet.
  std::optional<Seconds> SoonestFinish(const ImageRequest& image, int ahead);

  // Typical upstream time per (backend, width, height, n), from successful
  // calls: an exponentially weighted mean (weight 0.2 for the newest).
  // Looked up by a view of the backend's name: no key is built per request.
  struct ServiceShape {
    std::string_view backend;
    int width = 0;
    int height = 0;
    int n = 0;
  };
  struct ServiceShapeKey {
    std::string backend;
    int width = 0;
    int height = 0;
    int n = 0;
  };
  struct ServiceShapeLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Fields(a) < Fields(b);
    }
    template <typename S>
    static auto Fields(const S& s) {
      return std::tuple(std::string_view(s.backend), s.width, s.height, s.n);
    }
  };
  static ServiceShape ShapeOf(std::string_view backend,
                              const ImageRequest& image);
  std::optional<Seconds> TypicalServiceTime(const ServiceShape& shape);
  void RecordServiceTime(const ServiceShape& shape, Seconds took);
  // For an upstream call that was abandoned while the server goes on with
  // the work (UpstreamResult::may_still_run, on a backend that holds
  // abandoned work): when that work would end, `sent` plus the typical
  // service time of its shape (the admission's assumed one before any is
  // known); once that has passed, now plus that time. nullopt when there is
  // nothing to hold.
  std::optional<Clock::SteadyTime> HoldUntil(const std::string& backend,
                                             const ServiceShape& shape,
                                             Clock::SteadyTime sent,
                                             const UpstreamResult& result);
  static std::string FormatSeconds(Seconds s);

  awaitable<http::Response> HandleGenerate(http::Request& req);

  awaitable<http::Response> Generate(http::Request& req, Trail& trail);
  // `url_base`: of the images' URLs when image.response_format is kUrl.
  awaitable<http::Response> Deliver(const ImageRequest& image,
                                    const std::string& url_base,
                                    Attempt& attempt, Trail& trail);
  http::Response FailedAttempt(const Attempt& attempt, Trail& trail) const;

  awaitable<http::Response> HandleImage(http::Request& req);

  bool Authorized(const http::Request& req) const {
    return gateway::Authorized(req.headers.Get("Authorization").value_or(""),
                               options_.config.api_keys);
  }

  awaitable<http::Response> HandleFeedback(http::Request& req);

  awaitable<http::Response> HandleFeedbackReport(http::Request& req);

  const GatewayOptions options_;
  metrics::Registry& registry_;
  Clock& clock_;
  FileSystem& fs_;
  AdmissionController admission_;
  RetryBudget retry_budget_;
  RequestMetrics metrics_;
  QualityMetrics quality_metrics_;
  std::unique_ptr<FeedbackStore> feedback_;
  ImageRecorder recorder_;
  ImageStore images_;
  std::unique_ptr<AccessLog> access_log_;       // null without an access log
  std::shared_ptr<AccessLogFile> access_file_;  // null unless it is a file
  const ImageApiLimits limits_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<http::Client> client_;
  // Written once by Start() before started_ is set; read-only afterwards.
  std::map<std::string, std::unique_ptr<BackendAdapter>> adapters_;
  std::mutex service_mu_;
  // Guarded by service_mu_.
  std::map<ServiceShapeKey, double, ServiceShapeLess> service_times_;
  metrics::Counter& doomed_ = registry_
                                  .AddCounter("zimon_requests_shed_total",
                                              "Requests answered 504 before "
                                              "reaching a backend because "
                                              "their deadline would pass "
                                              "before one could finish them "
                                              "(when queued or when granted "
                                              "a backend).")
                                  .WithLabels({});
  // Backends whose servers go on with abandoned work (HoldsAbandonedWork).
  const std::set<std::string, std::less<>> hold_abandoned_;
  const std::string models_json_;  // GET /v1/models
  metrics::Family<metrics::Counter>& abandoned_holds_ = registry_.AddCounter(
      "zimon_abandoned_holds_total",
      "Requests abandoned (client gone or deadline passed) while the backend "
      "went on with the work; their slot stayed taken until it would end.",
      {"backend"});
  metrics::Counter& expired_ =
      registry_
          .AddCounter("zimon_images_expired_total",
                      "Image files deleted from gateway.image_dir for being "
                      "older than gateway.image_retention.")
          .WithLabels({});
  metrics::Counter& sweep_errors_ =
      registry_
          .AddCounter("zimon_image_sweep_errors_total",
                      "Sweeps of gateway.image_dir that failed or could not "
                      "delete an expired image.")
          .WithLabels({});
  std::atomic<bool> started_{false};
  std::stop_source stop_;
  std::mutex loops_mu_;
  std::condition_variable loops_done_;
  int loops_ = 0;  // health and retention loops running; guarded by loops_mu_
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_GATEWAY_IMPL_H_
