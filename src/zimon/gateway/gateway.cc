#include "zimon/gateway/gateway.h"

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
#include <latch>

#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"
#include "zimon/gateway/gateway_impl.h"
#include "zimon/http/async.h"

namespace zimon::gateway {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

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
        ",\"held\":" + std::to_string(v.held) +
        ",\"healthy\":" + (v.healthy ? "true" : "false") +
        ",\"ejected\":" + (v.ejected ? "true" : "false") +
        ",\"removed\":" + (v.removed ? "true" : "false") +
        ",\"consecutive_failures\":" + std::to_string(v.consecutive_failures) +
        ",\"ejections\":" + std::to_string(v.ejections) + "}";
  }
  out += "]}";
  return out;
}

std::set<std::string, std::less<>> HoldingBackends(
    const GatewayConfig& config) {
  std::set<std::string, std::less<>> names;
  for (const BackendConfig& b : config.backends) {
    if (HoldsAbandonedWork(b)) names.insert(b.name);
  }
  return names;
}

// OpenAI's model list: the backends' configured `model` names, or the model
// zimon fronts when none is set.
std::string ModelsJson(const GatewayConfig& config, Clock::WallTime created) {
  std::set<std::string> ids;
  for (const BackendConfig& b : config.backends) {
    if (!b.model.empty()) ids.insert(b.model);
  }
  if (ids.empty()) ids.insert("Tongyi-MAI/Z-Image-Turbo");
  const std::string since =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         created.time_since_epoch())
                         .count());
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (const std::string& id : ids) {
    if (out.back() != '[') out += ',';
    out += "{\"id\":" + http::JsonQuote(id) +
           ",\"object\":\"model\",\"created\":" + since +
           ",\"owned_by\":\"zimon\"}";
  }
  out += "]}";
  return out;
}

}  // namespace

Gateway::Impl::Impl(GatewayOptions options, metrics::Registry& registry,
                    Clock& clock, FileSystem& fs,
                    std::unique_ptr<FeedbackStore> feedback,
                    AccessLog::Sink access_sink,
                    std::shared_ptr<AccessLogFile> access_file)
    : options_(std::move(options)),
      registry_(registry),
      clock_(clock),
      fs_(fs),
      admission_(MakeAdmissionOptions(options_.config), clock, registry),
      retry_budget_({.ratio = options_.config.retry_ratio}, clock),
      metrics_(registry),
      quality_metrics_(registry),
      feedback_(std::move(feedback)),
      recorder_(*feedback_, registry, clock),
      images_(fs, options_.config.image_dir),
      access_log_(access_sink ? std::make_unique<AccessLog>(
                                    std::move(access_sink), clock, registry)
                              : nullptr),
      access_file_(std::move(access_file)),
      limits_(LimitsFrom(options_.config)),
      pool_(static_cast<size_t>(std::max(1, options_.worker_threads))),
      hold_abandoned_(HoldingBackends(options_.config)),
      models_json_(ModelsJson(options_.config, clock.Now())) {
  NameWorkers();
}

Gateway::Impl::~Impl() {
  Stop();
  pool_.join();
}

void Gateway::Impl::NameWorkers() {
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

Status Gateway::Impl::ReopenAccessLog() {
  return access_file_ ? access_file_->Reopen() : OkStatus();
}

void Gateway::Impl::Flush() {
  recorder_.Flush();
  if (access_log_) access_log_->Flush();
}

Status Gateway::Impl::Init() {
  for (const BackendConfig& b : options_.config.backends) {
    ZIMON_RETURN_IF_ERROR(admission_.AddBackend(b.name, b.max_concurrent));
  }
  return OkStatus();
}

Status Gateway::Impl::AddRoutes(http::Router& router) {
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
  ZIMON_RETURN_IF_ERROR(
      router.HandleSync("GET", "/v1/models", [this](http::Request& r) {
        if (!Authorized(r)) return Reply(Unauthorized());
        return http::Response::Json(200, models_json_);
      }));
  return router.HandleSync("GET", "/v1/backends", [this](http::Request&) {
    return http::Response::Json(200, BackendsJson(admission_.Backends()));
  });
}

Status Gateway::Impl::Start(asio::any_io_executor executor,
                            bool single_threaded) {
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
    if (!adapter.ok()) return adapter.status();  // names the backend
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

void Gateway::Impl::Stop() {
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

AdmissionOptions Gateway::Impl::MakeAdmissionOptions(
    const GatewayConfig& config) {
  AdmissionOptions o;
  o.queue_capacity = config.queue_capacity;
  o.default_max_concurrent = config.max_concurrent;
  return o;
}

bool Gateway::Impl::SpawnLoop(const asio::any_io_executor& executor,
                              awaitable<void> loop) {
  {
    // Stop() requests the stop before it waits under this lock: a loop
    // counted here is one it waits for.
    std::lock_guard lock(loops_mu_);
    if (stop_.stop_requested()) return false;
    ++loops_;
  }
  asio::co_spawn(executor, std::move(loop), [this](std::exception_ptr) {
    std::lock_guard lock(loops_mu_);
    --loops_;
    loops_done_.notify_all();
  });
  return true;
}

awaitable<void> Gateway::Impl::RetentionLoop(std::stop_token stop) {
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

awaitable<void> Gateway::Impl::HealthLoop(std::string name,
                                          BackendAdapter& adapter,
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

awaitable<void> Gateway::Impl::Dispatch(const ImageRequest& image, int priority,
                                        Clock::SteadyTime deadline,
                                        std::stop_token stop,
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

awaitable<void> Gateway::Impl::Admit(const ImageRequest& image, int priority,
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
  const ServiceShape shape = ShapeOf(grant->backend, image);
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
  std::optional<Clock::SteadyTime> hold_until =
      HoldUntil(grant->backend, shape, upstream_start, attempt.result);
  if (hold_until && !SpawnLoop(co_await asio::this_coro::executor,
                               EndHoldAt(*hold_until, stop_.get_token()))) {
    hold_until.reset();  // stopping: nothing is waiting for the slot
  }
  if (hold_until) {
    abandoned_holds_.WithLabels({grant->backend}).Inc();
    log::Info(
        "slot held for abandoned work",
        {{"request_id", image.request_id},
         {"backend", grant->backend},
         {"hold_seconds", Seconds(*hold_until - clock_.SteadyNow()).count()},
         {"error", attempt.result.status.ToString()}});
  }
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
  (void)admission_.Release(grant->ticket, attempt.result.outcome,
                           hold_until.value_or(Clock::SteadyTime{}));
  metrics_.Upstream(attempt.backend, attempt.upstream->count(),
                    static_cast<int>(attempt.result.images.size()));
  co_return;
}

auto Gateway::Impl::SoonestFinish(const ImageRequest& image, int ahead)
    -> std::optional<Seconds> {
  double slots = 0;
  double per_second = 0;
  std::optional<Seconds> quickest;
  for (const BackendView& b : admission_.Backends()) {
    if (!b.healthy || b.ejected || b.removed || b.effective_limit <= 0) {
      continue;
    }
    std::optional<Seconds> typical = TypicalServiceTime(ShapeOf(b.name, image));
    if (!typical || typical->count() <= 0) return std::nullopt;
    slots += b.effective_limit;
    per_second += 2 * b.effective_limit / typical->count();
    if (!quickest || *typical < *quickest) quickest = typical;
  }
  if (!quickest) return std::nullopt;
  const double turnovers = std::max(0.0, ahead + 1 - slots);
  return Seconds(turnovers / per_second) + *quickest / 2;
}

auto Gateway::Impl::ShapeOf(std::string_view backend, const ImageRequest& image)
    -> ServiceShape {
  return {backend, image.width, image.height, image.n};
}

auto Gateway::Impl::TypicalServiceTime(const ServiceShape& shape)
    -> std::optional<Seconds> {
  std::lock_guard lock(service_mu_);
  auto it = service_times_.find(shape);
  if (it == service_times_.end()) return std::nullopt;
  return Seconds(it->second);
}

void Gateway::Impl::RecordServiceTime(const ServiceShape& shape, Seconds took) {
  std::lock_guard lock(service_mu_);
  auto it = service_times_.find(shape);
  if (it == service_times_.end()) {
    service_times_.emplace(ServiceShapeKey{std::string(shape.backend),
                                           shape.width, shape.height, shape.n},
                           took.count());
  } else {
    it->second = 0.8 * it->second + 0.2 * took.count();
  }
}

auto Gateway::Impl::HoldUntil(const std::string& backend,
                              const ServiceShape& shape, Clock::SteadyTime sent,
                              const UpstreamResult& result)
    -> std::optional<Clock::SteadyTime> {
  if (!result.may_still_run || !hold_abandoned_.contains(backend)) {
    return std::nullopt;
  }
  std::optional<Seconds> typical = TypicalServiceTime(shape);
  const auto takes =
      typical
          ? std::chrono::duration_cast<Clock::SteadyTime::duration>(*typical)
          : AdmissionOptions().assumed_service_time;
  const Clock::SteadyTime now = clock_.SteadyNow();
  if (sent + takes > now) return sent + takes;
  // The request has been in the server longer than an image takes, so it
  // waited there behind other work (or the server is running slow). Started
  // or not, it may run for up to one whole image from now.
  return now + takes;
}

awaitable<void> Gateway::Impl::EndHoldAt(Clock::SteadyTime until,
                                         std::stop_token stop) {
  Status slept = co_await http::SleepFor(until - clock_.SteadyNow(), stop);
  if (slept.ok()) admission_.ExpireDue();
}

std::string Gateway::Impl::FormatSeconds(Seconds s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", std::max(0.0, s.count()));
  return buf;
}

awaitable<http::Response> Gateway::Impl::HandleGenerate(http::Request& req) {
  Trail trail;
  trail.start = clock_.SteadyNow();
  const std::string_view client_id =
      req.headers.Get("X-Request-Id").value_or("");
  trail.entry.request_id = AcceptOrMakeRequestId(client_id);
  trail.request_id_made = trail.entry.request_id != client_id;
  if (access_log_) {  // the entry's only reader of these two
    trail.entry.method = req.method;
    trail.entry.path = req.path;
  }
  http::Response response = co_await Generate(req, trail);
  response.headers.Set("X-Request-Id", trail.entry.request_id);
  trail.entry.status = response.status;
  trail.entry.outcome = std::string(RequestOutcomeName(trail.outcome));
  trail.entry.total = Seconds(clock_.SteadyNow() - trail.start);
  trail.entry.bytes_out = response.BodySize();
  metrics_.Finish(
      trail.entry.backend.empty() ? kNoBackend : trail.entry.backend,
      trail.outcome, trail.entry.total.count());
  if (access_log_) access_log_->Write(std::move(trail.entry));
  co_return response;
}

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
  std::string url_base;  // of `url` images, checked before any GPU time
  if (parsed.request.response_format == ResponseFormat::kUrl) {
    StatusOr<std::string> base =
        ImageUrlBase(config.public_url, req.headers.Get("Host"));
    if (!base.ok()) co_return Reply(InvalidHeader(base.status()));
    url_base = std::move(*base);
  }
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
  co_return co_await Deliver(image, url_base, attempt, trail);
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
  // The access log: "" none, "-" standard output, else a file.
  AccessLog::Sink access_sink;
  std::shared_ptr<AccessLogFile> access_file;
  if (options.access_log == "-") {
    access_sink = FdAccessSink();
  } else if (!options.access_log.empty()) {
    StatusOr<std::shared_ptr<AccessLogFile>> file =
        AccessLogFile::Open(fs, options.access_log);
    if (!file.ok()) return file.status();
    access_file = std::move(*file);
    access_sink = access_file->Sink();
  }
  auto impl = std::make_unique<Impl>(
      std::move(options), registry, clock, fs, std::move(*feedback),
      std::move(access_sink), std::move(access_file));
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

void Gateway::Flush() { impl_->Flush(); }

Status Gateway::ReopenAccessLog() { return impl_->ReopenAccessLog(); }

std::vector<BackendView> Gateway::Backends() const { return impl_->Backends(); }

}  // namespace zimon::gateway
