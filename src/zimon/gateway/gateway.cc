#include "zimon/gateway/gateway.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>

#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"
#include "zimon/gateway/access_log.h"
#include "zimon/gateway/adapter.h"
#include "zimon/gateway/admission.h"
#include "zimon/gateway/balancer.h"
#include "zimon/gateway/feedback_json.h"
#include "zimon/gateway/feedback_store.h"
#include "zimon/gateway/image_api.h"
#include "zimon/gateway/image_recorder.h"
#include "zimon/gateway/image_store.h"
#include "zimon/gateway/quality_metrics.h"
#include "zimon/gateway/request_metrics.h"
#include "zimon/http/async.h"
#include "zimon/http/client.h"

namespace zimon::gateway {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
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
};

std::string BackendsJson(const std::vector<BackendView>& views) {
  std::string out = "{\"backends\":[";
  bool first = true;
  for (const BackendView& v : views) {
    if (!first) out += ',';
    first = false;
    out +=
        "{\"name\":" + http::JsonQuote(v.name) +
        ",\"limit\":" + std::to_string(v.limit) +
        ",\"effective_limit\":" + std::to_string(v.effective_limit) +
        ",\"inflight\":" + std::to_string(v.inflight) +
        ",\"healthy\":" + (v.healthy ? "true" : "false") +
        ",\"ejected\":" + (v.ejected ? "true" : "false") +
        ",\"removed\":" + (v.removed ? "true" : "false") +
        ",\"consecutive_failures\":" + std::to_string(v.consecutive_failures) +
        ",\"ejections\":" + std::to_string(v.ejections) + "}";
  }
  out += "]}";
  return out;
}

http::Response Reply(const ApiError& e) {
  http::Response r = http::Response::Json(e.http_status, ErrorJson(e));
  if (e.retry_after) {
    r.headers.Set("Retry-After",
                  std::to_string(std::max<int64_t>(1, e.retry_after->count())));
  }
  return r;
}

ApiError MakeApiError(int status, std::string type, std::string message,
                      std::string code) {
  ApiError e;
  e.http_status = status;
  e.type = std::move(type);
  e.message = std::move(message);
  e.code = std::move(code);
  return e;
}

// gateway.quality_sample: true for that share of calls, at random.
bool SampleForScoring(double share) {
  if (share >= 1) return true;
  if (share <= 0) return false;
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(engine) < share;
}

AccessLog::Sink MakeAccessSink(const std::string& target) {
  if (target.empty()) return [](std::string_view) {};
  if (target == "-") return nullptr;  // stdout
  auto file = std::make_shared<std::ofstream>(target, std::ios::app);
  auto mu = std::make_shared<std::mutex>();
  return [file, mu](std::string_view line) {
    std::lock_guard lock(*mu);
    *file << line << '\n';
    file->flush();
  };
}

}  // namespace

class Gateway::Impl {
 public:
  Impl(GatewayOptions options, metrics::Registry& registry, Clock& clock,
       FileSystem& fs, std::unique_ptr<FeedbackStore> feedback)
      : options_(std::move(options)),
        registry_(registry),
        clock_(clock),
        fs_(fs),
        admission_(MakeAdmissionOptions(options_.config), clock, registry),
        retry_budget_({.ratio = options_.config.retry_ratio}, clock),
        metrics_(registry),
        quality_metrics_(registry),
        feedback_(std::move(feedback)),
        recorder_(*feedback_, registry),
        images_(fs, options_.config.image_dir),
        access_log_(MakeAccessSink(options_.access_log), clock),
        limits_(LimitsFrom(options_.config)),
        pool_(static_cast<size_t>(std::max(1, options_.worker_threads))) {
    NameWorkers();
  }

  ~Impl() {
    Stop();
    pool_.join();
  }

  // Names the pool's threads "zimon-work-N": one task per thread, each held
  // until all have started, so that every thread gets exactly one.
  void NameWorkers() {
    const int n = std::max(1, options_.worker_threads);
    auto started = std::make_shared<std::latch>(n);
    for (int i = 0; i < n; ++i) {
      asio::post(pool_, [i, started] {
        SetThreadName("zimon-work-" + std::to_string(i));
        started->arrive_and_wait();
      });
    }
    started->wait();
  }

  Status Init() {
    for (const BackendConfig& b : options_.config.backends) {
      ZIMON_RETURN_IF_ERROR(admission_.AddBackend(b.name, b.max_concurrent));
    }
    return OkStatus();
  }

  Status AddRoutes(http::Router& router) {
    ZIMON_RETURN_IF_ERROR(
        router.Handle("POST", "/v1/images/generations",
                      [this](http::Request& r) { return HandleGenerate(r); }));
    ZIMON_RETURN_IF_ERROR(
        router.Handle("GET", "/images/{file}",
                      [this](http::Request& r) { return HandleImage(r); }));
    ZIMON_RETURN_IF_ERROR(
        router.Handle("POST", "/v1/feedback",
                      [this](http::Request& r) { return HandleFeedback(r); }));
    ZIMON_RETURN_IF_ERROR(router.Handle(
        "GET", "/v1/feedback",
        [this](http::Request& r) { return HandleFeedbackReport(r); }));
    return router.HandleSync("GET", "/v1/backends", [this](http::Request&) {
      return http::Response::Json(200, BackendsJson(admission_.Backends()));
    });
  }

  Status Start(asio::any_io_executor executor, bool single_threaded) {
    http::ClientOptions client_options;
    client_options.single_threaded = single_threaded;
    client_options.request_timeout = options_.config.max_request_timeout;
    client_options.max_response_body_bytes = 256 * 1024 * 1024;
    // Keep a connection per request in flight, or a busy backend costs a
    // TCP handshake per request once the pool's default depth is exceeded.
    size_t most_inflight = 0;
    for (const BackendConfig& b : options_.config.backends) {
      most_inflight = std::max<size_t>(
          most_inflight, b.max_concurrent > 0 ? b.max_concurrent
                                              : options_.config.max_concurrent);
    }
    client_options.max_idle_per_host =
        std::max(client_options.max_idle_per_host, most_inflight);
    // Below the servers' own keep-alive timeouts (uvicorn, which serves
    // vLLM-Omni, closes idle connections after 5 s): reusing a connection the
    // server is closing at that moment would cost the request.
    client_options.idle_timeout = std::chrono::seconds(4);
    client_options.long_lived_executor = true;  // the server's io_context
    client_ = std::make_unique<http::Client>(executor, client_options);
    std::map<std::string, std::unique_ptr<BackendAdapter>> adapters;
    for (const BackendConfig& b : options_.config.backends) {
      StatusOr<std::unique_ptr<BackendAdapter>> adapter =
          MakeAdapter(b, *client_, fs_);
      if (!adapter.ok()) {
        return Status(adapter.status().code(),
                      "backend \"" + b.name +
                          "\": " + std::string(adapter.status().message()));
      }
      adapters.emplace(b.name, std::move(*adapter));
    }
    adapters_ = std::move(adapters);
    started_.store(true, std::memory_order_release);
    for (const auto& [name, adapter] : adapters_) {
      SpawnLoop(executor, HealthLoop(name, *adapter, stop_.get_token()));
    }
    if (options_.config.image_retention > std::chrono::milliseconds(0)) {
      SpawnLoop(executor, RetentionLoop(stop_.get_token()));
    }
    log::Info("gateway started",
              {{"backends", static_cast<int64_t>(adapters_.size())}});
    return OkStatus();
  }

  void Stop() {
    stop_.request_stop();
    // The loops reference this object: wait until they have returned (a
    // health check in progress sees the stop and cancels its call).
    std::unique_lock lock(loops_mu_);
    if (!loops_done_.wait_for(lock, std::chrono::seconds(10),
                              [this] { return loops_ == 0; })) {
      log::Error("health checks or image sweeps did not stop within 10 s",
                 {{"running", loops_}});
    }
  }

  std::vector<BackendView> Backends() const { return admission_.Backends(); }

 private:
  static AdmissionOptions MakeAdmissionOptions(const GatewayConfig& config) {
    AdmissionOptions o;
    o.queue_capacity = config.queue_capacity;
    o.default_max_concurrent = config.max_concurrent;
    return o;
  }

  // Runs `f` on the worker pool and resumes on the caller's executor.
  template <typename F>
  awaitable<std::invoke_result_t<F>> Offload(F f) {
    std::optional<std::invoke_result_t<F>> out;
    auto work = [&]() -> awaitable<void> {
      out.emplace(f());
      co_return;
    };
    co_await asio::co_spawn(pool_.get_executor(), work, asio::use_awaitable);
    co_return std::move(*out);
  }

  // Runs `loop` on `executor`, counted until it returns (Stop() waits).
  void SpawnLoop(const asio::any_io_executor& executor, awaitable<void> loop) {
    {
      std::lock_guard lock(loops_mu_);
      ++loops_;
    }
    asio::co_spawn(executor, std::move(loop), [this](std::exception_ptr) {
      std::lock_guard lock(loops_mu_);
      --loops_;
      loops_done_.notify_all();
    });
  }

  // Deletes image files older than gateway.image_retention: once at start,
  // then every tenth of the retention (1 min to 1 h).
  awaitable<void> RetentionLoop(std::stop_token stop) {
    const auto retention = options_.config.image_retention;
    const auto interval = std::clamp<std::chrono::milliseconds>(
        retention / 10, std::chrono::minutes(1), std::chrono::hours(1));
    while (!stop.stop_requested()) {
      const Clock::WallTime cutoff = clock_.Now() - retention;
      StatusOr<size_t> removed = co_await Offload(
          [this, cutoff] { return images_.DeleteOlderThan(cutoff); });
      if (removed.ok()) {
        expired_.Inc(static_cast<double>(*removed));
        if (*removed > 0) {
          log::Info("expired images deleted",
                    {{"images", static_cast<int64_t>(*removed)},
                     {"dir", images_.dir()}});
        }
      } else {
        sweep_errors_.Inc();
        log::Warn(
            "cannot delete expired images",
            {{"dir", images_.dir()}, {"error", removed.status().ToString()}});
      }
      Status slept = co_await http::SleepFor(interval, stop);
      if (!slept.ok()) break;
    }
  }

  awaitable<void> HealthLoop(std::string name, BackendAdapter& adapter,
                             std::stop_token stop) {
    bool last_ok = true;
    auto interval = options_.config.health_interval;
    // Independent of the interval: a short interval must not make a busy
    // backend look dead because its answer took longer than the interval.
    constexpr auto timeout = std::chrono::seconds(5);
    while (!stop.stop_requested()) {
      Status health = co_await adapter.CheckHealth(timeout, stop);
      if (stop.stop_requested()) break;
      admission_.ReportHealth(name, health.ok());
      if (health.ok() != last_ok) {
        if (health.ok()) {
          log::Info("backend healthy again", {{"backend", name}});
        } else {
          log::Warn("backend health check failed",
                    {{"backend", name}, {"error", health.ToString()}});
        }
        last_ok = health.ok();
      }
      Status slept = co_await http::SleepFor(interval, stop);
      if (!slept.ok()) break;
    }
  }

  // Waits for a slot (or takes one at once) and calls the backend; retries
  // on another backend while generation never started and the budget and
  // the deadline allow. Fills `attempt` in place: an Attempt handed back
  // through two coroutines was moved a dozen times per request.
  awaitable<void> Dispatch(const ImageRequest& image, int priority,
                           Clock::SteadyTime deadline, std::stop_token stop,
                           Attempt& attempt) {
    std::vector<std::string> tried;
    retry_budget_.RecordRequest();
    while (true) {
      attempt = Attempt{};
      co_await Admit(image, priority, deadline, tried, stop, attempt);
      if (!attempt.admission.ok()) co_return;
      tried.push_back(attempt.backend);
      if (attempt.result.outcome != UpstreamOutcome::kNotStarted ||
          clock_.SteadyNow() >= deadline || stop.stop_requested() ||
          tried.size() >= adapters_.size() || !retry_budget_.TryRetry()) {
        co_return;
      }
      log::Info("retrying on another backend",
                {{"request_id", image.request_id},
                 {"backend", attempt.backend},
                 {"error", attempt.result.status.ToString()}});
    }
  }

  // Fills `attempt` (empty on entry), as Dispatch does.
  awaitable<void> Admit(const ImageRequest& image, int priority,
                        Clock::SteadyTime deadline,
                        const std::vector<std::string>& exclude,
                        std::stop_token stop, Attempt& attempt) {
    struct Waiter {
      std::mutex mu;
      std::optional<StatusOr<Grant>> result;
      http::AsyncNotification done;
    };
    auto waiter = std::make_shared<Waiter>();
    AdmissionRequest request;
    request.priority = priority;
    request.deadline = deadline;
    request.exclude = exclude;
    request.on_done = [waiter](StatusOr<Grant> grant) {
      {
        std::lock_guard lock(waiter->mu);
        waiter->result.emplace(std::move(grant));
      }
      waiter->done.Notify();
    };
    SubmitResult submitted = admission_.Submit(std::move(request));
    if (!submitted.status.ok()) {
      attempt.admission = submitted.status;
      attempt.retry_after = submitted.retry_after;
      co_return;
    }
    std::optional<Grant> grant = std::move(submitted.grant);
    if (!grant) {
      auto remaining = deadline - clock_.SteadyNow();
      std::optional<Seconds> soonest = SoonestFinish(image, submitted.ahead);
      if (soonest && *soonest > remaining) {
        // Even with every slot turning over at its typical pace, the
        // requests ahead leave too little time: answer now rather than
        // after a wait that cannot end well.
        (void)admission_.Cancel(submitted.ticket);
        doomed_.Inc();
        attempt.admission = DeadlineExceededError(
            "the deadline would pass before a backend could finish (" +
            std::to_string(submitted.ahead) + " requests ahead; at least " +
            FormatSeconds(*soonest) + " needed, " + FormatSeconds(remaining) +
            " left)");
        co_return;
      }
      Status waited = co_await waiter->done.Wait(stop, remaining);
      if (!waited.ok()) {
        // Deadline or disconnect: leave the queue. A grant that raced in is
        // handed back at once, unused.
        (void)admission_.Cancel(submitted.ticket);
        attempt.admission = waited.code() == StatusCode::kCancelled
                                ? CancelledError("the client went away")
                                : DeadlineExceededError(
                                      "the deadline passed while the request "
                                      "waited for a backend");
        co_return;
      }
      StatusOr<Grant> result = [&] {
        std::lock_guard lock(waiter->mu);
        return std::move(*waiter->result);
      }();
      if (!result.ok()) {
        attempt.admission = result.status();
        attempt.retry_after = admission_.RetryAfter();
        co_return;
      }
      grant = std::move(*result);
    }
    attempt.backend = grant->backend;
    attempt.queue_wait = Seconds(grant->queue_wait);
    // Admission and the adapters come from the same backend list, fixed at
    // start: every granted backend has an adapter.
    BackendAdapter& adapter = *adapters_.at(grant->backend);
    auto upstream_start = clock_.SteadyNow();
    auto remaining = deadline - upstream_start;
    std::string shape = ServiceKey(grant->backend, image);
    std::optional<Seconds> typical = TypicalServiceTime(shape);
    if (typical && remaining < *typical) {
      // It cannot finish in time: answer now and leave the GPU to a request
      // that can, instead of starting work the client will not wait for.
      (void)admission_.Release(grant->ticket, UpstreamOutcome::kCancelled);
      doomed_.Inc();
      attempt.admission = DeadlineExceededError(
          "the deadline would pass before backend \"" + grant->backend +
          "\" could finish (typically " + FormatSeconds(*typical) + ", " +
          FormatSeconds(remaining) + " left)");
      co_return;
    }
    attempt.result = co_await adapter.Generate(image, remaining, stop);
    attempt.upstream = Seconds(clock_.SteadyNow() - upstream_start);
    if (attempt.result.outcome == UpstreamOutcome::kSuccess) {
      RecordServiceTime(shape, *attempt.upstream);
    }
    bool unreachable = attempt.result.outcome == UpstreamOutcome::kNotStarted &&
                       attempt.result.http_status == 0;
    bool connection_lost = attempt.result.http_status == 0 &&
                           attempt.result.status.code() == StatusCode::kAborted;
    if (unreachable || connection_lost) {
      // Nothing answered (connection refused), or the connection died under
      // the request: the server is most likely down. Take it out of service
      // before Release frees its slot, or late binding hands queued requests
      // to it, each refused at once or sent on one of its dead pooled
      // connections, until ejection or the next health check. The health
      // check puts it back when it answers again.
      log::Warn(
          "backend unreachable; out of service until its health "
          "check passes",
          {{"backend", grant->backend},
           {"error", attempt.result.status.ToString()}});
      admission_.ReportHealth(grant->backend, false);
    }
    (void)admission_.Release(grant->ticket, attempt.result.outcome);
    metrics_.Upstream(attempt.backend, attempt.upstream->count(),
                      static_cast<int>(attempt.result.images.size()));
    co_return;
  }

  // An optimistic bound on when a request queued behind `ahead` others could
  // finish: the first requests granted may take slots that are about to
  // free; beyond the slots every grant waits for a slot to turn over. Each
  // slot is counted as turning over twice as fast as its typical time, and
  // the request's own image as taking half of it (a typical time measured
  // with several requests running at once on a server is longer than one
  // alone), so a request past this bound could not have made it. nullopt
  // when a backend in service has no typical time for this shape yet.
  std::optional<Seconds> SoonestFinish(const ImageRequest& image, int ahead) {
    double slots = 0;
    double per_second = 0;
    std::optional<Seconds> quickest;
    for (const BackendView& b : admission_.Backends()) {
      if (!b.healthy || b.ejected || b.removed || b.effective_limit <= 0) {
        continue;
      }
      std::optional<Seconds> typical =
          TypicalServiceTime(ServiceKey(b.name, image));
      if (!typical || typical->count() <= 0) return std::nullopt;
      slots += b.effective_limit;
      per_second += 2 * b.effective_limit / typical->count();
      if (!quickest || *typical < *quickest) quickest = typical;
    }
    if (!quickest) return std::nullopt;
    const double turnovers = std::max(0.0, ahead + 1 - slots);
    return Seconds(turnovers / per_second) + *quickest / 2;
  }

  // Typical upstream time per (backend, size, n), from successful calls: an
  // exponentially weighted mean (weight 0.2 for the newest).
  static std::string ServiceKey(const std::string& backend,
                                const ImageRequest& image) {
    // Built in one string: this runs once or twice per request.
    const std::string size = image.SizeString();
    const std::string n = std::to_string(image.n);
    std::string key;
    key.reserve(backend.size() + size.size() + n.size() + 2);
    key.append(backend).append("/").append(size).append("/").append(n);
    return key;
  }
  std::optional<Seconds> TypicalServiceTime(const std::string& key) {
    std::lock_guard lock(service_mu_);
    auto it = service_times_.find(key);
    if (it == service_times_.end()) return std::nullopt;
    return Seconds(it->second);
  }
  void RecordServiceTime(const std::string& key, Seconds took) {
    std::lock_guard lock(service_mu_);
    auto [it, fresh] = service_times_.try_emplace(key, took.count());
    if (!fresh) it->second = 0.8 * it->second + 0.2 * took.count();
  }
  static std::string FormatSeconds(Seconds s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", std::max(0.0, s.count()));
    return buf;
  }

  awaitable<http::Response> HandleGenerate(http::Request& req) {
    Trail trail;
    trail.start = clock_.SteadyNow();
    trail.entry.request_id =
        AcceptOrMakeRequestId(req.headers.Get("X-Request-Id").value_or(""));
    trail.entry.method = req.method;
    trail.entry.path = req.path;
    http::Response response = co_await Generate(req, trail);
    response.headers.Set("X-Request-Id", trail.entry.request_id);
    trail.entry.status = response.status;
    trail.entry.outcome = std::string(RequestOutcomeName(trail.outcome));
    trail.entry.total = Seconds(clock_.SteadyNow() - trail.start);
    trail.entry.bytes_out = response.BodySize();
    if (access_log_enabled_) access_log_.Write(trail.entry);
    metrics_.Finish(
        trail.entry.backend.empty() ? kNoBackend : trail.entry.backend,
        trail.outcome, trail.entry.total.count());
    co_return response;
  }

  awaitable<http::Response> Generate(http::Request& req, Trail& trail);
  awaitable<http::Response> Deliver(const ImageRequest& image,
                                    const http::Request& req, Attempt& attempt,
                                    Trail& trail);
  http::Response FailedAttempt(const Attempt& attempt, Trail& trail) const;

  awaitable<http::Response> HandleImage(http::Request& req) {
    std::string file(req.PathParam("file"));
    std::optional<std::string> key = ImageIdFromFileName(file);
    StatusOr<std::string> bytes = NotFoundError("no image " + file);
    if (key) {
      bytes = co_await Offload([this, &key] { return images_.Get(*key); });
    }
    if (!bytes.ok()) {
      if (bytes.status().code() == StatusCode::kNotFound) {
        co_return Reply(MakeApiError(404, "invalid_request_error",
                                     "no image " + file, "image_not_found"));
      }
      log::Error("cannot read stored image",
                 {{"file", file}, {"error", bytes.status().ToString()}});
      co_return Reply(ApiErrorFromStatus(bytes.status()));
    }
    std::string_view type = SniffImageType(*bytes);
    http::Response response;
    response.status = 200;
    response.headers.Set("Content-Type", type.empty() ? "image/png" : type);
    response.headers.Set("Cache-Control", "public, max-age=3600, immutable");
    response.body = std::move(*bytes);
    co_return response;
  }

  bool Authorized(const http::Request& req) const {
    return gateway::Authorized(req.headers.Get("Authorization").value_or(""),
                               options_.config.api_keys);
  }

  awaitable<http::Response> HandleFeedback(http::Request& req) {
    if (!Authorized(req)) co_return Reply(Unauthorized());
    StatusOr<FeedbackRequest> parsed = ParseFeedbackRequest(req.body);
    if (!parsed.ok()) {
      co_return http::Response::Json(400, FeedbackErrorJson(parsed.status()));
    }
    FeedbackRequest feedback = std::move(*parsed);
    StatusOr<Feedback> stored = co_await Offload([this, &feedback] {
      recorder_.Flush();  // images delivered before this call are findable
      return feedback_->AddFeedback(feedback);
    });
    if (!stored.ok()) {
      co_return http::Response::Json(HttpStatusFor(stored.status().code()),
                                     FeedbackErrorJson(stored.status()));
    }
    co_return http::Response::Json(200, FeedbackResponseJson(*stored));
  }

  awaitable<http::Response> HandleFeedbackReport(http::Request& req) {
    if (!Authorized(req)) co_return Reply(Unauthorized());
    auto report = co_await Offload([this]() -> StatusOr<std::string> {
      ZIMON_ASSIGN_OR_RETURN(RatingDistribution distribution,
                             feedback_->GetRatingDistribution());
      ZIMON_ASSIGN_OR_RETURN(std::vector<Feedback> recent,
                             feedback_->RecentFeedback(20));
      return FeedbackReportJson(distribution, recent);
    });
    if (!report.ok()) co_return http::Response::FromStatus(report.status());
    co_return http::Response::Json(200, std::move(*report));
  }

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
  AccessLog access_log_;
  const bool access_log_enabled_ = !options_.access_log.empty();
  const ImageApiLimits limits_;
  asio::thread_pool pool_;
  std::unique_ptr<http::Client> client_;
  // Written once by Start() before started_ is set; read-only afterwards.
  std::map<std::string, std::unique_ptr<BackendAdapter>> adapters_;
  std::mutex service_mu_;
  std::map<std::string, double> service_times_;  // guarded by service_mu_
  metrics::Counter& doomed_ = registry_
                                  .AddCounter("zimon_requests_shed_total",
                                              "Requests answered 504 before "
                                              "reaching a backend because "
                                              "their deadline would pass "
                                              "before one could finish them "
                                              "(when queued or when granted "
                                              "a backend).")
                                  .WithLabels({});
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

awaitable<http::Response> Gateway::Impl::Generate(http::Request& req,
                                                  Trail& trail) {
  trail.outcome = RequestOutcome::kClientError;
  if (!started_.load(std::memory_order_acquire)) {
    trail.outcome = RequestOutcome::kRejected;
    co_return Reply(MakeApiError(503, "server_error", "the gateway is starting",
                                 "starting"));
  }
  const GatewayConfig& config = options_.config;
  if (!Authorized(req)) co_return Reply(Unauthorized());
  StatusOr<RequestHeaders> headers = ParseRequestHeaders(
      req.headers, config.request_timeout, config.max_request_timeout);
  if (!headers.ok()) {
    co_return Reply(InvalidHeader(headers.status()));
  }
  ParsedImageRequest parsed = ParseImageRequest(req.body, limits_);
  if (!parsed.ok()) co_return Reply(parsed.error());
  ImageRequest image = std::move(parsed.request);
  image.request_id = trail.entry.request_id;
  trail.entry.size = image.SizeString();
  Clock::SteadyTime deadline = trail.start + headers->timeout;
  trail.timeout = headers->timeout;

  Attempt attempt;
  co_await Dispatch(image, headers->priority, deadline, req.stop, attempt);
  trail.entry.backend = attempt.backend;
  trail.entry.queue_wait = attempt.queue_wait;
  trail.entry.upstream = attempt.upstream;
  if (!attempt.admission.ok() ||
      attempt.result.outcome != UpstreamOutcome::kSuccess) {
    co_return FailedAttempt(attempt, trail);
  }
  co_return co_await Deliver(image, req, attempt, trail);
}

http::Response Gateway::Impl::FailedAttempt(const Attempt& attempt,
                                            Trail& trail) const {
  const Status& admission = attempt.admission;
  if (!admission.ok()) {
    switch (admission.code()) {
      case StatusCode::kResourceExhausted:
        trail.outcome = RequestOutcome::kRejected;
        return Reply(QueueFull(attempt.retry_after));
      case StatusCode::kDeadlineExceeded:
        trail.outcome = RequestOutcome::kTimeout;
        return Reply(Timeout(trail.timeout));
      case StatusCode::kCancelled:
        // The client left (or the gateway is stopping); nobody reads this.
        trail.outcome = RequestOutcome::kClientError;
        return Reply(MakeApiError(503, "server_error",
                                  std::string(admission.message()),
                                  "cancelled"));
      default:
        trail.outcome = RequestOutcome::kRejected;
        return Reply(NoHealthyBackend(
            std::max(std::chrono::seconds(1), admission_.RetryAfter())));
    }
  }
  const UpstreamResult& r = attempt.result;
  std::string from = "backend \"" + attempt.backend + "\": ";
  switch (r.outcome) {
    case UpstreamOutcome::kSuccess:
      break;
    case UpstreamOutcome::kNotStarted: {
      trail.outcome = RequestOutcome::kBackendError;
      ApiError e = NoHealthyBackend(std::chrono::seconds(1));
      e.message = "No backend could start the request; the last one tried, " +
                  from + std::string(r.status.message());
      return Reply(e);
    }
    case UpstreamOutcome::kOom: {
      trail.outcome = RequestOutcome::kOom;
      ApiError e = MakeApiError(503, "server_error",
                                from + "ran out of GPU memory", "oom");
      e.retry_after = std::chrono::seconds(1);
      return Reply(e);
    }
    case UpstreamOutcome::kFailure:
      if (r.status.code() == StatusCode::kDeadlineExceeded) {
        trail.outcome = RequestOutcome::kTimeout;
        return Reply(Timeout(trail.timeout));
      }
      break;
    case UpstreamOutcome::kCancelled:
      trail.outcome = RequestOutcome::kClientError;
      return Reply(MakeApiError(503, "server_error", "the client went away",
                                "cancelled"));
    case UpstreamOutcome::kClientError:
      trail.outcome = RequestOutcome::kClientError;
      return Reply(InvalidRequest(from + std::string(r.status.message()), "",
                                  "rejected_by_backend"));
  }
  trail.outcome = RequestOutcome::kBackendError;
  return Reply(BackendError(from + std::string(r.status.message())));
}

awaitable<http::Response> Gateway::Impl::Deliver(const ImageRequest& image,
                                                 const http::Request& req,
                                                 Attempt& attempt,
                                                 Trail& trail) {
  struct Scored {
    std::vector<std::optional<QualityReport>> reports;  // nullopt: unscored
    std::vector<std::string> ids;
    Status stored;
  };
  std::vector<GeneratedImage>& images = attempt.result.images;
  bool to_files = image.response_format == ResponseFormat::kUrl;
  // gateway.quality_sample: which images are scored. Images neither scored
  // nor written to a file stay base64 text from the backend to the client.
  std::vector<bool> score(images.size());
  bool blocking_work = to_files;
  for (size_t i = 0; i < images.size(); ++i) {
    score[i] = SampleForScoring(options_.config.quality_sample);
    blocking_work = blocking_work || score[i];
  }
  auto score_and_store = [&] {
    Scored out;
    for (size_t i = 0; i < images.size(); ++i) {
      GeneratedImage& img = images[i];
      // Adapters check base64 before handing it over: DecodeImage only
      // fails on a bug, and the image then scores as undecodable.
      Status decoded = score[i] || to_files ? DecodeImage(img) : OkStatus();
      if (score[i]) {
        StatusOr<QualityReport> report =
            ScoreImage(img.bytes, options_.quality);
        out.reports.push_back(report.ok() ? std::move(*report)
                                          : QualityReport{});
      } else {
        out.reports.push_back(std::nullopt);
      }
      out.ids.push_back(ImageStore::NewImageId());
      if (to_files && out.stored.ok()) {
        out.stored =
            decoded.ok() ? images_.Put(out.ids.back(), img.bytes) : decoded;
      }
    }
    return out;
  };
  Scored scored;
  if (blocking_work) {
    scored = co_await Offload(score_and_store);
  } else {
    scored = score_and_store();  // nothing that blocks: no thread hop
  }
  bool bad = false;
  std::optional<double> lowest;
  for (const std::optional<QualityReport>& sampled : scored.reports) {
    if (!sampled) continue;
    const QualityReport& report = *sampled;
    quality_metrics_.Record(report);
    bad = bad || report.IsBad();
    if (report.width > 0 && (!lowest || report.score < *lowest)) {
      lowest = report.score;
    }
  }
  trail.entry.quality_score = lowest;
  if (bad && options_.config.bad_image_is_failure) {
    trail.outcome = RequestOutcome::kBadImage;
    log::Warn("backend returned a bad image",
              {{"request_id", image.request_id}, {"backend", attempt.backend}});
    co_return Reply(MakeApiError(502, "server_error",
                                 "backend \"" + attempt.backend +
                                     "\" returned a black, blank or "
                                     "undecodable image",
                                 "bad_image"));
  }
  if (!scored.stored.ok()) {
    trail.outcome = RequestOutcome::kBackendError;
    log::Error("cannot store generated image",
               {{"request_id", image.request_id},
                {"error", scored.stored.ToString()}});
    co_return Reply(InternalServerError("cannot store the image for its URL"));
  }
  std::string base;  // of the images' URLs
  if (to_files) {
    base = options_.config.public_url;
    if (base.empty()) {
      base = "http://" +
             std::string(req.headers.Get("Host").value_or("localhost"));
    }
  }
  const std::string size = image.SizeString();
  std::vector<RenderedImage> rendered;
  rendered.reserve(images.size());
  std::string ids_header;
  for (size_t i = 0; i < images.size(); ++i) {
    ImageRecord record;
    record.request_id = image.request_id;
    record.image_id = scored.ids[i];
    record.backend = attempt.backend;
    record.size = size;
    if (scored.reports[i] && scored.reports[i]->width > 0) {
      record.quality_score = scored.reports[i]->score;
    }
    recorder_.Record(std::move(record));
    RenderedImage out;
    if (to_files) {
      out.url = ImageUrl(base, scored.ids[i]);
    } else if (!images[i].b64.empty()) {
      out.b64 = std::move(images[i].b64);
    } else {
      out.bytes = std::move(images[i].bytes);
    }
    rendered.push_back(std::move(out));
    if (!ids_header.empty()) ids_header += ',';
    ids_header += scored.ids[i];
  }
  trail.outcome = RequestOutcome::kSuccess;
  trail.entry.images = static_cast<int>(rendered.size());
  metrics_.Delivered(size, static_cast<int>(rendered.size()));
  auto created = std::chrono::duration_cast<std::chrono::seconds>(
                     clock_.Now().time_since_epoch())
                     .count();
  http::Response response;
  response.headers.Set("Content-Type", "application/json");
  response.body_parts = RenderImagesResponseParts(created, rendered);
  response.headers.Set("X-Image-Ids", ids_header);
  co_return response;
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;

StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options,
                                                   metrics::Registry& registry,
                                                   Clock& clock,
                                                   FileSystem& fs) {
  ZIMON_RETURN_IF_ERROR(ValidateQualityOptions(options.quality));
  StatusOr<std::unique_ptr<FeedbackStore>> feedback =
      FeedbackStore::Open(options.config.feedback_db, registry, clock);
  if (!feedback.ok()) {
    return Status(
        feedback.status().code(),
        "gateway.feedback_db: " + std::string(feedback.status().message()));
  }
  auto impl = std::make_unique<Impl>(std::move(options), registry, clock, fs,
                                     std::move(*feedback));
  ZIMON_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Status Gateway::AddRoutes(http::Router& router) {
  return impl_->AddRoutes(router);
}

Status Gateway::Start(boost::asio::any_io_executor executor,
                      bool single_threaded) {
  return impl_->Start(std::move(executor), single_threaded);
}

void Gateway::Stop() { impl_->Stop(); }

std::vector<BackendView> Gateway::Backends() const { return impl_->Backends(); }

}  // namespace zimon::gateway
