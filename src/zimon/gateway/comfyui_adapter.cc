#include "zimon/gateway/comfyui_adapter.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cinttypes>
#include <cstdio>
#include <optional>

#include "zimon/common/logging.h"
#include "zimon/gateway/adapter_util.h"
#include "zimon/http/async.h"
#include "zimon/http/websocket.h"

namespace zimon::gateway {

namespace asio = boost::asio;
namespace internal = adapter_internal;
using internal::StringAt;
using nlohmann::json;
using Duration = std::chrono::steady_clock::duration;
using namespace std::chrono_literals;

namespace {

constexpr auto kReplace = json::error_handler_t::replace;
constexpr Duration kAbandonTimeout = 2s;
constexpr Duration kMaxHandshake = 10s;
constexpr Duration kFirstPoll = 50ms;
constexpr Duration kMaxPoll = 500ms;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

// A random (version 4) UUID, the form of ComfyUI's own prompt ids.
std::string Uuid() {
  std::string h = Hex(internal::RandomU64()) + Hex(internal::RandomU64());
  h[12] = '4';
  h[16] = "89ab"[internal::RandomU64() % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
         h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace

// The state of one Generate() after the prompt was queued.
struct ComfyUiAdapter::Wait {
  enum class State { kWaiting, kDone, kError, kInterrupted, kLost };

  Wait(const ImageRequest& r, Duration timeout, std::stop_token s)
      : request(r), deadline(timeout), stop(std::move(s)) {}

  const ImageRequest& request;
  internal::Deadline deadline;
  std::stop_token stop;
  std::string prompt_id;
  std::optional<http::WebSocket> ws;

  State state = State::kWaiting;
  json error;              // kError: the execution_error data
  json entry;              // kDone after PollHistory: the history entry
  UpstreamResult failure;  // kLost: why the history could not be read
};

ComfyUiAdapter::ComfyUiAdapter(std::string base_url,
                               ComfyWorkflowTemplate workflow,
                               http::Client& client,
                               ComfyUiAdapterOptions options)
    : base_url_(std::move(base_url)),
      workflow_(std::move(workflow)),
      client_(client),
      options_(options) {
  std::string_view rest = base_url_;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  ws_url_ = internal::JoinUrl("ws://" + std::string(rest), "/ws?clientId=");
}

boost::asio::awaitable<UpstreamResult> ComfyUiAdapter::Generate(
    const ImageRequest& request, Duration timeout, std::stop_token stop) {
  Wait wait(request, timeout, stop);
  uint64_t seed = request.seed ? static_cast<uint64_t>(*request.seed)
                               : internal::RandomU64() >> 11;
  std::string client_id = "zimon-" + Hex(internal::RandomU64());

  // The socket first, so that no message about the prompt is missed.
  if (options_.use_websocket) {
    asio::any_io_executor executor = co_await asio::this_coro::executor;
    http::WebSocketOptions ws_options;
    ws_options.handshake_timeout =
        std::min<Duration>(wait.deadline.Remaining(), kMaxHandshake);
    std::string url = ws_url_ + client_id;
    StatusOr<http::WebSocket> ws =
        co_await http::WebSocket::Connect(executor, url, ws_options);
    if (ws.ok()) {
      websockets_opened_++;
      wait.ws.emplace(std::move(*ws));
    } else {
      websocket_failures_++;
      log::Warn("comfyui websocket unavailable; polling /history",
                {{"backend", base_url_}, {"error", ws.status()}});
    }
  }
  auto drop_socket = [&wait] {
    if (wait.ws) wait.ws->Abort();
  };

  // Our own prompt_id (ComfyUI takes one), so that a prompt can be cancelled
  // even when stop or the deadline comes before the answer to POST /prompt.
  std::string own_id = Uuid();
  json prompt = {{"prompt", workflow_.Instantiate(request, seed)},
                 {"client_id", client_id},
                 {"prompt_id", own_id}};
  std::string submit_url = internal::JoinUrl(base_url_, "/prompt");
  http::ClientRequest submit("POST", submit_url,
                             prompt.dump(-1, ' ', false, kReplace));
  submit.headers.Set("Content-Type", "application/json");
  if (!request.request_id.empty()) {
    submit.headers.Set("X-Request-Id", request.request_id);
  }
  submit.timeout = wait.deadline.Remaining();
  StatusOr<http::Response> submitted =
      co_await client_.Send(std::move(submit), stop);
  if (!submitted.ok()) {
    drop_socket();
    UpstreamResult failed =
        internal::FromTransportError(submitted.status(), "POST " + submit_url);
    if (failed.outcome != UpstreamOutcome::kNotStarted) {
      // It may have been queued.
      failed.may_still_run = !co_await Abandon(own_id);
    }
    co_return failed;
  }
  if (submitted->status != 200) {
    drop_socket();
    co_return FromSubmitError(submitted->status, submitted->body);
  }
  wait.prompt_id = StringAt(
      json::parse(submitted->body, nullptr, /*allow_exceptions=*/false),
      "prompt_id");
  if (wait.prompt_id.empty()) {
    drop_socket();
    co_return internal::MakeResult(
        UpstreamOutcome::kFailure,
        DataLossError("POST " + submit_url + ": no prompt_id in the answer"),
        200);
  }

  if (wait.ws) co_await FollowWebSocket(wait);
  drop_socket();
  // Without a socket, after a broken one, and for the outputs of a prompt
  // that finished: the history.
  if (wait.state == Wait::State::kWaiting || wait.state == Wait::State::kDone) {
    co_await PollHistory(wait);
  }
  if (stop.stop_requested() ||
      (wait.state == Wait::State::kWaiting && wait.deadline.Passed())) {
    const bool stopped = co_await Abandon(wait.prompt_id);
    UpstreamResult abandoned =
        stop.stop_requested()
            ? internal::MakeResult(
                  UpstreamOutcome::kCancelled,
                  CancelledError("comfyui prompt " + wait.prompt_id +
                                 " cancelled"))
            : internal::MakeResult(
                  UpstreamOutcome::kFailure,
                  DeadlineExceededError("comfyui prompt " + wait.prompt_id +
                                        " did not finish in time"));
    abandoned.may_still_run = !stopped;
    co_return abandoned;
  }
  switch (wait.state) {
    case Wait::State::kError:
      co_return FromExecutionError(wait.error);
    case Wait::State::kInterrupted:
      co_return internal::MakeResult(
          UpstreamOutcome::kFailure,
          AbortedError("comfyui prompt " + wait.prompt_id +
                       " was interrupted on the server"));
    case Wait::State::kLost:
      co_return wait.failure;
    case Wait::State::kWaiting:  // not reached: PollHistory ends otherwise
    case Wait::State::kDone:
      break;
  }
  UpstreamResult result = co_await FetchImages(wait);
  co_return result;
}

boost::asio::awaitable<void> ComfyUiAdapter::FollowWebSocket(Wait& wait) {
  http::WebSocket ws = *wait.ws;
  // Receive() has no timeout: the deadline and `stop` end it by dropping the
  // connection.
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto timer =
      std::make_shared<asio::steady_timer>(executor, wait.deadline.at());
  timer->async_wait([ws](const boost::system::error_code& ec) mutable {
    if (!ec) ws.Abort();
  });
  std::stop_callback on_stop(wait.stop, [ws]() mutable { ws.Abort(); });
  while (wait.state == Wait::State::kWaiting) {
    StatusOr<std::string> text = co_await ws.Receive();
    if (!text.ok()) break;  // dropped, closed or failed: the caller sorts out
    if (ws.last_was_binary()) continue;  // previews
    json message = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object()) continue;
    const json& data = message.contains("data") ? message["data"] : json();
    if (StringAt(data, "prompt_id") != wait.prompt_id) continue;
    std::string type = StringAt(message, "type");
    if (type == "execution_success" ||
        (type == "executing" && data.contains("node") &&
         data["node"].is_null())) {
      wait.state = Wait::State::kDone;
    } else if (type == "execution_error") {
      wait.state = Wait::State::kError;
      wait.error = data;
    } else if (type == "execution_interrupted") {
      wait.state = Wait::State::kInterrupted;
    }
  }
  timer->cancel();
}

boost::asio::awaitable<void> ComfyUiAdapter::PollHistory(Wait& wait) {
  std::string url = internal::JoinUrl(
      base_url_, "/history/" + http::PercentEncode(wait.prompt_id));
  Duration interval = kFirstPoll;
  while (!wait.stop.stop_requested() && !wait.deadline.Passed()) {
    http::ClientRequest get(url);
    get.timeout = wait.deadline.Remaining();
    history_polls_++;
    StatusOr<http::Response> response =
        co_await client_.Send(std::move(get), wait.stop);
    if (!response.ok()) {
      if (wait.stop.stop_requested() || wait.deadline.Passed()) co_return;
      // The prompt is queued: whatever broke, it is no longer "not started".
      wait.state = Wait::State::kLost;
      wait.failure = internal::MakeResult(
          UpstreamOutcome::kFailure,
          Status(
              response.status().code() == StatusCode::kUnavailable
                  ? StatusCode::kAborted
                  : response.status().code(),
              "GET " + url + ": " + std::string(response.status().message())));
      co_return;
    }
    if (response->status != 200) {
      wait.state = Wait::State::kLost;
      wait.failure = internal::FromHttpError(response->status, response->body,
                                             "GET " + url);
      if (wait.failure.outcome != UpstreamOutcome::kOom) {
        wait.failure.outcome = UpstreamOutcome::kFailure;
      }
      co_return;
    }
    json history = json::parse(response->body, nullptr, false);
    if (history.is_object() && history.contains(wait.prompt_id) &&
        history[wait.prompt_id].is_object()) {
      wait.entry = std::move(history[wait.prompt_id]);
      wait.state = Wait::State::kDone;
      const json& status =
          wait.entry.contains("status") ? wait.entry["status"] : json::object();
      if (StringAt(status, "status_str") != "error") co_return;
      // The messages say why: [[event, data], ...].
      wait.state = Wait::State::kInterrupted;
      if (status.contains("messages") && status["messages"].is_array()) {
        for (const json& m : status["messages"]) {
          if (m.is_array() && m.size() == 2 && m[0] == "execution_error") {
            wait.state = Wait::State::kError;
            wait.error = m[1];
          }
        }
      }
      co_return;
    }
    Duration pause = std::min(interval, wait.deadline.Remaining());
    Status slept = co_await http::SleepFor(pause, wait.stop);
    if (!slept.ok()) co_return;
    interval = std::min(interval * 2, kMaxPoll);
  }
}

boost::asio::awaitable<UpstreamResult> ComfyUiAdapter::FetchImages(
    const Wait& wait) {
  struct Ref {
    std::string filename, subfolder, type;
  };
  std::vector<Ref> refs;
  const json& outputs =
      wait.entry.contains("outputs") ? wait.entry["outputs"] : json::object();
  if (outputs.is_object()) {
    for (const auto& [node, output] : outputs.items()) {
      if (!output.is_object() || !output.contains("images") ||
          !output["images"].is_array()) {
        continue;
      }
      for (const json& image : output["images"]) {
        Ref ref{StringAt(image, "filename"), StringAt(image, "subfolder"),
                StringAt(image, "type")};
        if (!ref.filename.empty()) refs.push_back(std::move(ref));
      }
    }
  }
  int n = wait.request.n;
  if (static_cast<int>(refs.size()) < n) {
    co_return internal::MakeResult(
        UpstreamOutcome::kFailure,
        DataLossError("comfyui prompt " + wait.prompt_id + " produced " +
                      std::to_string(refs.size()) + " of " + std::to_string(n) +
                      " images"));
  }
  UpstreamResult result;
  for (int i = 0; i < n; ++i) {
    const Ref& ref = refs[static_cast<size_t>(i)];
    std::string url = internal::JoinUrl(
        base_url_,
        "/view?filename=" + http::PercentEncode(ref.filename) +
            "&subfolder=" + http::PercentEncode(ref.subfolder) + "&type=" +
            http::PercentEncode(ref.type.empty() ? "output" : ref.type));
    http::ClientRequest get(url);
    get.timeout = wait.deadline.Remaining();
    StatusOr<http::Response> response =
        co_await client_.Send(std::move(get), wait.stop);
    if (!response.ok()) {
      UpstreamResult failed =
          internal::FromTransportError(response.status(), "GET " + url);
      if (failed.outcome == UpstreamOutcome::kNotStarted) {
        failed.outcome = UpstreamOutcome::kFailure;
      }
      co_return failed;
    }
    if (response->status != 200) {
      co_return internal::MakeResult(
          UpstreamOutcome::kFailure,
          InternalError("GET " + url + " answered " +
                        std::to_string(response->status)),
          response->status);
    }
    GeneratedImage image;
    image.media_type = std::string(SniffImageType(response->body));
    image.bytes = std::move(response->body);
    result.images.push_back(std::move(image));
  }
  result.outcome = UpstreamOutcome::kSuccess;
  result.http_status = 200;
  co_return result;
}

boost::asio::awaitable<bool> ComfyUiAdapter::Abandon(
    const std::string& prompt_id) {
  // Delete first: a prompt that starts between the two calls is still
  // interrupted.
  json remove = {{"delete", json::array({prompt_id})}};
  http::ClientRequest dequeue("POST", internal::JoinUrl(base_url_, "/queue"),
                              remove.dump());
  dequeue.headers.Set("Content-Type", "application/json");
  dequeue.timeout = kAbandonTimeout;
  StatusOr<http::Response> r1 = co_await client_.Send(std::move(dequeue));
  json which = {{"prompt_id", prompt_id}};
  http::ClientRequest interrupt(
      "POST", internal::JoinUrl(base_url_, "/interrupt"), which.dump());
  interrupt.headers.Set("Content-Type", "application/json");
  interrupt.timeout = kAbandonTimeout;
  StatusOr<http::Response> r2 = co_await client_.Send(std::move(interrupt));
  auto answered = [](const StatusOr<http::Response>& r) {
    if (!r.ok()) return r.status();
    if (r->status < 200 || r->status > 299) {
      return UnavailableError("answered " + std::to_string(r->status));
    }
    return OkStatus();
  };
  Status dequeued = answered(r1);
  Status interrupted = answered(r2);
  if (dequeued.ok() && interrupted.ok()) co_return true;
  log::Warn("comfyui prompt not cancelled",
            {{"backend", base_url_},
             {"prompt_id", prompt_id},
             {"error", !dequeued.ok()
                           ? "POST /queue: " + dequeued.ToString()
                           : "POST /interrupt: " + interrupted.ToString()}});
  co_return false;
}

UpstreamResult ComfyUiAdapter::FromSubmitError(int http_status,
                                               const std::string& body) {
  std::string what = "POST " + internal::JoinUrl(base_url_, "/prompt");
  if (http_status != 400) {
    return internal::FromHttpError(http_status, body, what);
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  const json& error =
      j.is_object() && j.contains("error") ? j["error"] : json::object();
  std::string message = what + " answered 400: " + StringAt(error, "message");
  std::string details = StringAt(error, "details");
  if (!details.empty()) message += ": " + details;
  bool request_nodes_only = false;
  if (j.is_object() && j.contains("node_errors") &&
      j["node_errors"].is_object() && !j["node_errors"].empty()) {
    request_nodes_only = true;
    for (const auto& [node, node_error] : j["node_errors"].items()) {
      if (!workflow_.IsRequestNode(node)) request_nodes_only = false;
      if (!node_error.is_object() || !node_error.contains("errors")) continue;
      for (const json& e : node_error["errors"]) {
        message += "; node " + node + ": " + StringAt(e, "message");
        std::string d = StringAt(e, "details");
        if (!d.empty()) message += " (" + d + ")";
      }
    }
  }
  if (request_nodes_only) {
    return internal::MakeResult(UpstreamOutcome::kClientError,
                                InvalidArgumentError(message), 400);
  }
  // The template does not suit this server (unknown node, missing model).
  return internal::MakeResult(UpstreamOutcome::kFailure,
                              FailedPreconditionError(message), 400);
}

UpstreamResult ComfyUiAdapter::FromExecutionError(const json& data) {
  std::string text = StringAt(data, "exception_type") + ": " +
                     StringAt(data, "exception_message");
  std::string message = "comfyui node " + StringAt(data, "node_id") + " (" +
                        StringAt(data, "node_type") + ") failed: " + text;
  if (internal::LooksLikeOom(text)) {
    return internal::MakeResult(UpstreamOutcome::kOom,
                                ResourceExhaustedError(message));
  }
  return internal::MakeResult(UpstreamOutcome::kFailure,
                              InternalError(message));
}

ComfyUiAdapterStats ComfyUiAdapter::stats() const {
  ComfyUiAdapterStats s;
  s.websockets_opened = websockets_opened_.load();
  s.websocket_failures = websocket_failures_.load();
  s.history_polls = history_polls_.load();
  return s;
}

boost::asio::awaitable<Status> ComfyUiAdapter::CheckHealth(
    Duration timeout, std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/system_stats");
  Status status =
      co_await internal::GetHealth(client_, std::move(url), timeout, stop);
  co_return status;
}

}  // namespace zimon::gateway
