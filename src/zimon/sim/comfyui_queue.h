// ComfyQueue: the state behind the simulator's ComfyUI front: the prompt
// queue, the executor that runs prompts on the SimEngine and reports them
// over WebSocket the way ComfyUI's execution.py does, the history and the
// saved images.
//
// Execution of one prompt (ComfyUI order): execution_start, execution_cached
// (nodes whose inputs are unchanged since the last prompt), executing per
// node up to the KSampler, progress per engine step, executing VAEDecode,
// executing SaveImage, executed (the images), execution_success, then
// executing with node null. Failures send execution_error (CUDA OOM in
// ComfyUI's wording; CUDA runtime errors) or, after /interrupt,
// execution_interrupted, then executing null; the history says
// status_str "error". A prompt whose outputs are all cached finishes at once.
// Messages go to the sockets of the prompt's client_id; without one, ComfyUI
// broadcasts executing, progress, executed and execution_interrupted and
// drops the rest. "status" (queue_remaining) goes to everyone when the queue
// changes, and to a new socket with its sid.
//
// Scheduling: one prompt at a time as ComfyUI does; with the engine in
// kParallel mode every prompt starts at once, with max_batch > 1 up to that
// many run together so the engine can batch them.
//
// Images are kept in memory, the newest `kMaxImages`; history holds the
// newest 10,000 prompts, as ComfyUI caps it.
//
// Thread safety: all methods are thread-safe (one mutex); engine callbacks
// take it too. Engine calls are made with it held, which is safe because the
// engine never calls back inside its own methods.
#ifndef ZIMON_SIM_COMFYUI_QUEUE_H_
#define ZIMON_SIM_COMFYUI_QUEUE_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zimon/http/websocket.h"
#include "zimon/sim/comfyui_workflow.h"
#include "zimon/sim/engine.h"

namespace zimon::sim::comfy {

// A validated prompt as POST /prompt hands it over.
struct PromptSubmission {
  std::string prompt_id;
  nlohmann::json graph;
  nlohmann::json extra_data = nlohmann::json::object();
  std::string client_id;
  std::optional<double> number;  // "number" from the request
  bool front = false;            // "front": true
  WorkflowJob job;
};

class ComfyQueue : public std::enable_shared_from_this<ComfyQueue> {
 public:
  static constexpr size_t kMaxImages = 256;
  static constexpr size_t kMaxHistory = 10000;

  // `engine` must outlive every callback it runs (the SimServer ensures it).
  explicit ComfyQueue(SimEngine& engine);

  // Queues a prompt; returns its number.
  double Enqueue(PromptSubmission submission);

  // {"queue_running": [...], "queue_pending": [...]}
  nlohmann::json QueueJson() const;
  size_t Remaining() const;  // pending + running
  bool Knows(const std::string& prompt_id) const;
  void DeletePending(const std::vector<std::string>& prompt_ids);
  void ClearPending();
  // Interrupts `prompt_id` if it runs, or every running prompt when empty.
  void Interrupt(const std::string& prompt_id);
  // POST /free: applied when no prompt runs (at once when idle).
  void Free(bool unload_models, bool free_memory);

  // {} when unknown or not finished.
  nlohmann::json HistoryFor(const std::string& prompt_id) const;
  // ComfyUI's get_history(max_items, offset): offset < 0 with max_items
  // means the newest max_items.
  nlohmann::json History(std::optional<int64_t> max_items,
                         int64_t offset) const;
  void DeleteHistory(const std::vector<std::string>& prompt_ids);
  void ClearHistory();

  std::optional<std::string> Image(const std::string& subfolder,
                                   const std::string& filename) const;

  // A WebSocket client. Sends it the status message with its sid; returns a
  // token for RemoveClient.
  uint64_t AddClient(const std::string& sid, http::WebSocket socket);
  void RemoveClient(uint64_t token);

 private:
  struct Entry {
    PromptSubmission sub;
    double number = 0;
    uint64_t seq = 0;
  };
  struct Execution {
    Entry entry;
    uint64_t engine_id = 0;
    std::vector<std::string> executed;
    nlohmann::json messages = nlohmann::json::array();
    bool interrupted = false;
  };
  struct Client {
    std::string sid;
    http::WebSocket socket;
  };

  nlohmann::json QueueItem(const Entry& e) const;
  // Starts pending prompts while there is room. mu_ held.
  void PumpLocked();
  void StartLocked(Entry entry);
  void OnProgress(const std::string& prompt_id, int step, int steps);
  void OnDone(const std::string& prompt_id, ImageResult result);
  // Completes `exec` (moved into history). mu_ held.
  void FinishLocked(Execution& exec, nlohmann::json outputs, bool success);
  nlohmann::json SaveImagesLocked(Execution& exec, const ImageResult& result,
                                  std::string* error);
  // An add_message (history + websocket), with timestamp. mu_ held.
  void RecordLocked(Execution& exec, const std::string& type,
                    nlohmann::json data, bool broadcast);
  // Sends to the client's sockets, or to all when `client` is empty and
  // `broadcast_if_none`. mu_ held.
  void SendLocked(const std::string& client, const std::string& type,
                  const nlohmann::json& data, bool broadcast_if_none);
  void BroadcastStatusLocked();
  void ApplyFreeLocked();
  size_t CapacityLocked() const;

  SimEngine& engine_;
  mutable std::mutex mu_;
  double next_number_ = 0;                         // guarded by mu_
  uint64_t next_seq_ = 0;                          // guarded by mu_
  std::vector<Entry> pending_;                     // sorted; guarded by mu_
  std::map<std::string, Execution> running_;       // guarded by mu_
  std::map<std::string, nlohmann::json> history_;  // guarded by mu_
  std::deque<std::string> history_order_;          // guarded by mu_
  std::set<std::string> cache_;  // node signatures; guarded by mu_
  std::map<std::string, nlohmann::json> cached_ui_;  // sig -> output
  std::map<std::string, std::string> images_;        // "sub/name" -> PNG; mu_
  std::deque<std::string> image_order_;              // guarded by mu_
  std::map<std::string, int> counters_;              // prefix -> last; mu_
  std::map<uint64_t, Client> clients_;               // guarded by mu_
  uint64_t next_client_ = 1;                         // guarded by mu_
  bool free_pending_ = false, unload_pending_ = false;  // guarded by mu_
  bool pumping_ = false;                                // guarded by mu_
};

// A random UUID4 string ("6f1c...-...").
std::string NewUuid();
// Milliseconds since the Unix epoch (ComfyUI's timestamps).
int64_t UnixMillis();

}  // namespace zimon::sim::comfy

#endif  // ZIMON_SIM_COMFYUI_QUEUE_H_
