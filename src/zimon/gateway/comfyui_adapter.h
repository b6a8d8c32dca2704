// ComfyUiAdapter: the BackendAdapter (adapter.h) for ComfyUI (reference
// zimage-turbo.md §8.5), driving a workflow template
// (comfyui_workflow_template.h).
//
// One Generate():
//   1. opens GET {url}/ws?clientId=<fresh id> (before submitting, so no
//      message about the prompt is missed);
//   2. POST {url}/prompt {"prompt": <filled-in graph>, "client_id",
//      "prompt_id": <a fresh UUID>};
//      -> 200 {"prompt_id"}; a 400 whose node_errors name only the nodes the
//      request fills in is kClientError, any other 400 (the template does not
//      suit this server: unknown node, missing model file) kFailure;
//   3. waits for "executing" with node null (or execution_success /
//      execution_error / execution_interrupted) for that prompt_id on the
//      WebSocket; without one, or if it breaks, polls GET
//      {url}/history/{prompt_id} (50 ms doubling to 500 ms) until the entry
//      appears;
//   4. reads the outputs from the history entry and fetches each image with
//      GET {url}/view?filename=&subfolder=&type=.
// An execution_error whose exception is ComfyUI's OOM ("Allocation on
// device", torch.OutOfMemoryError) is kOom; other errors kFailure.
// On stop or timeout (also while POST /prompt is unanswered: the prompt may
// be queued already) it removes the prompt from the queue and interrupts it
// (POST /queue {"delete": [id]}, POST /interrupt {"prompt_id": id}; best
// effort, 2 s each) before returning kCancelled or kFailure
// (kDeadlineExceeded). An unset seed is replaced by a random one: ComfyUI
// answers an identical graph from its cache.
// Health: GET {url}/system_stats answers 200.
//
// Ownership and thread safety: see adapter.h. Generate() opens its WebSocket
// on the executor it runs on.
#ifndef ZIMON_GATEWAY_COMFYUI_ADAPTER_H_
#define ZIMON_GATEWAY_COMFYUI_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "zimon/gateway/adapter.h"
#include "zimon/gateway/comfyui_workflow_template.h"

namespace zimon::gateway {

struct ComfyUiAdapterOptions {
  // Follow progress on /ws; false: poll /history only.
  bool use_websocket = true;
};

// Counters since construction.
struct ComfyUiAdapterStats {
  uint64_t websockets_opened = 0;   // Generate() calls that followed /ws
  uint64_t websocket_failures = 0;  // /ws could not be opened
  uint64_t history_polls = 0;       // GET /history/{id} calls
};

class ComfyUiAdapter : public BackendAdapter {
 public:
  // `base_url` is "http://host:port" (an optional path prefix is kept).
  ComfyUiAdapter(std::string base_url, ComfyWorkflowTemplate workflow,
                 http::Client& client, ComfyUiAdapterOptions options = {});

  std::string_view kind() const override { return "comfyui"; }
  boost::asio::awaitable<UpstreamResult> Generate(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;
  boost::asio::awaitable<Status> CheckHealth(
      std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;

  const ComfyWorkflowTemplate& workflow() const { return workflow_; }
  ComfyUiAdapterStats stats() const;

 private:
  struct Wait;
  boost::asio::awaitable<void> FollowWebSocket(Wait& wait);
  boost::asio::awaitable<void> PollHistory(Wait& wait);
  boost::asio::awaitable<UpstreamResult> FetchImages(const Wait& wait);
  // Deletes the prompt from ComfyUI's queue and interrupts it: true when
  // both calls were answered 2xx, false (logged) when the prompt may go on.
  boost::asio::awaitable<bool> Abandon(const std::string& prompt_id);
  UpstreamResult FromSubmitError(int http_status, const std::string& body);
  UpstreamResult FromExecutionError(const nlohmann::json& data);

  std::string base_url_;
  std::string ws_url_;  // ws://host:port[prefix]/ws?clientId=
  ComfyWorkflowTemplate workflow_;
  http::Client& client_;
  ComfyUiAdapterOptions options_;
  std::atomic<uint64_t> websockets_opened_{0};
  std::atomic<uint64_t> websocket_failures_{0};
  std::atomic<uint64_t> history_polls_{0};
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_COMFYUI_ADAPTER_H_
