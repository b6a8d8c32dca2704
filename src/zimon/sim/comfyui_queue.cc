#include "zimon/sim/comfyui_queue.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "zimon/common/logging.h"
#include "zimon/sim/oom.h"

namespace zimon::sim::comfy {

using json = nlohmann::json;

std::string NewUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t a, b;
  {
    std::lock_guard<std::mutex> lock(mu);
    a = rng();
    b = rng();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char out[37];
  std::snprintf(
      out, sizeof(out), "%08x-%04x-%04x-%04x-%012llx",
      static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
      static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
      static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// ComfyUI prints integral numbers as ints.
json NumberJson(double n) {
  if (n == static_cast<double>(static_cast<int64_t>(n))) {
    return static_cast<int64_t>(n);
  }
  return n;
}

json StatusData(size_t remaining) {
  return {{"status", {{"exec_info", {{"queue_remaining", remaining}}}}}};
}

std::string Message(const std::string& type, const json& data) {
  return json{{"type", type}, {"data", data}}.dump();
}

}  // namespace

ComfyQueue::ComfyQueue(SimEngine& engine) : engine_(engine) {}

double ComfyQueue::Enqueue(PromptSubmission submission) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry entry;
  double number = next_number_;
  if (submission.front) number = -number;
  next_number_ += 1;
  if (submission.number) number = *submission.number;
  entry.number = number;
  entry.seq = next_seq_++;
  entry.sub = std::move(submission);
  auto pos = std::upper_bound(
      pending_.begin(), pending_.end(), entry,
      [](const Entry& a, const Entry& b) {
        return a.number != b.number ? a.number < b.number : a.seq < b.seq;
      });
  pending_.insert(pos, std::move(entry));
  BroadcastStatusLocked();
  PumpLocked();
  return number;
}

json ComfyQueue::QueueItem(const Entry& e) const {
  return json::array({NumberJson(e.number), e.sub.prompt_id, e.sub.graph,
                      e.sub.extra_data, e.sub.job.outputs});
}

json ComfyQueue::QueueJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json running = json::array(), pending = json::array();
  for (const auto& [id, exec] : running_)
    running.push_back(QueueItem(exec.entry));
  for (const Entry& e : pending_) pending.push_back(QueueItem(e));
  return {{"queue_running", running}, {"queue_pending", pending}};
}

size_t ComfyQueue::Remaining() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size() + running_.size();
}

bool ComfyQueue::Knows(const std::string& prompt_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_.count(prompt_id) || history_.count(prompt_id)) return true;
  return std::any_of(pending_.begin(), pending_.end(), [&](const Entry& e) {
    return e.sub.prompt_id == prompt_id;
  });
}

void ComfyQueue::DeletePending(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t before = pending_.size();
  std::erase_if(pending_, [&](const Entry& e) {
    return std::find(ids.begin(), ids.end(), e.sub.prompt_id) != ids.end();
  });
  if (pending_.size() != before) BroadcastStatusLocked();
}

void ComfyQueue::ClearPending() {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.clear();
  BroadcastStatusLocked();
}

void ComfyQueue::Interrupt(const std::string& prompt_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, exec] : running_) {
    if (!prompt_id.empty() && id != prompt_id) continue;
    if (exec.interrupted) continue;
    exec.interrupted = true;
    // on_done(kCancelled) follows on the loop.
    Status cancelled = engine_.Cancel(exec.engine_id);
    if (!cancelled.ok()) {
      log::Warn("comfyui interrupt: engine cancel failed",
                {{"prompt_id", id}, {"error", cancelled.ToString()}});
    }
  }
}

void ComfyQueue::Free(bool unload_models, bool free_memory) {
  std::lock_guard<std::mutex> lock(mu_);
  free_pending_ = free_pending_ || free_memory;
  unload_pending_ = unload_pending_ || unload_models;
  if (running_.empty()) ApplyFreeLocked();
}

void ComfyQueue::ApplyFreeLocked() {
  // Unloading makes the next prompt load the models again; only safe with
  // nothing queued in the engine.
  if (unload_pending_ && pending_.empty()) {
    engine_.Restart();
    unload_pending_ = false;
    free_pending_ = false;
  }
  if (free_pending_) {
    engine_.FreeMemory();
    free_pending_ = false;
  }
}

json ComfyQueue::HistoryFor(const std::string& prompt_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = history_.find(prompt_id);
  if (it == history_.end()) return json::object();
  return {{prompt_id, it->second}};
}

json ComfyQueue::History(std::optional<int64_t> max_items,
                         int64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t size = static_cast<int64_t>(history_order_.size());
  if (offset < 0 && max_items) offset = size - *max_items;
  offset = std::clamp<int64_t>(offset, 0, size);
  int64_t end = max_items
                    ? std::min(size, offset + std::max<int64_t>(*max_items, 0))
                    : size;
  json out = json::object();
  for (int64_t i = offset; i < end; ++i) {
    const std::string& id = history_order_[static_cast<size_t>(i)];
    out[id] = history_.at(id);
  }
  return out;
}

void ComfyQueue::DeleteHistory(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : ids) {
    if (history_.erase(id)) std::erase(history_order_, id);
  }
}

void ComfyQueue::ClearHistory() {
  std::lock_guard<std::mutex> lock(mu_);
  history_.clear();
  history_order_.clear();
}

std::optional<std::string> ComfyQueue::Image(
    const std::string& subfolder, const std::string& filename) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = images_.find(subfolder + "/" + filename);
  if (it == images_.end()) return std::nullopt;
  return it->second;
}

uint64_t ComfyQueue::AddClient(const std::string& sid, http::WebSocket socket) {
  std::lock_guard<std::mutex> lock(mu_);
  json data = StatusData(pending_.size() + running_.size());
  data["sid"] = sid;
  socket.PostText(Message("status", data));
  uint64_t token = next_client_++;
  clients_.emplace(token, Client{sid, std::move(socket)});
  return token;
}

void ComfyQueue::RemoveClient(uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(token);
}

void ComfyQueue::SendLocked(const std::string& client, const std::string& type,
                            const json& data, bool broadcast_if_none) {
  if (client.empty() && !broadcast_if_none) return;
  std::string text = Message(type, data);
  for (auto& [token, c] : clients_) {
    if (client.empty() || c.sid == client) c.socket.PostText(text);
  }
}

void ComfyQueue::BroadcastStatusLocked() {
  SendLocked("", "status", StatusData(pending_.size() + running_.size()), true);
}

void ComfyQueue::RecordLocked(Execution& exec, const std::string& type,
                              json data, bool broadcast) {
  data["timestamp"] = UnixMillis();
  exec.messages.push_back(json::array({type, data}));
  SendLocked(exec.entry.sub.client_id, type, data, broadcast);
}

size_t ComfyQueue::CapacityLocked() const {
  if (engine_.options().mode == SchedulingMode::kParallel) return SIZE_MAX;
  return static_cast<size_t>(std::max(1, engine_.options().max_batch));
}

void ComfyQueue::PumpLocked() {
  if (pumping_) return;  // a prompt that finished at once; the loop goes on
  pumping_ = true;
  while (!pending_.empty() && running_.size() < CapacityLocked()) {
    Entry entry = std::move(pending_.front());
    pending_.erase(pending_.begin());
    StartLocked(std::move(entry));
  }
  pumping_ = false;
}

void ComfyQueue::StartLocked(Entry entry) {
  const std::string id = entry.sub.prompt_id;
  Execution& exec = running_[id];
  exec.entry = std::move(entry);
  const WorkflowJob& job = exec.entry.sub.job;
  const std::string& client = exec.entry.sub.client_id;
  RecordLocked(exec, "execution_start", {{"prompt_id", id}}, false);
  // ComfyUI lists cached nodes in prompt order: numeric ids ascending.
  std::vector<std::string> cached_ids;
  for (const std::string& node : job.order) {
    if (cache_.count(job.signature.at(node))) cached_ids.push_back(node);
  }
  std::sort(cached_ids.begin(), cached_ids.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() != b.size() ? a.size() < b.size() : a < b;
            });
  json cached = cached_ids;
  RecordLocked(exec, "execution_cached", {{"nodes", cached}, {"prompt_id", id}},
               false);
  bool all_cached = cached_ids.size() == job.order.size();
  if (all_cached) {
    json outputs = json::object();
    for (const std::string& out : job.outputs) {
      json ui = cached_ui_[job.signature.at(out)];
      outputs[out] = ui;
      SendLocked(client, "executed",
                 {{"node", out},
                  {"display_node", out},
                  {"output", ui},
                  {"prompt_id", id}},
                 true);
    }
    FinishLocked(exec, std::move(outputs), true);
    return;
  }
  // The nodes before the sampler run (or are cached) before the GPU work.
  for (const std::string& node : job.order) {
    if (node == job.sampler_node) break;
    if (cache_.count(job.signature.at(node))) continue;
    SendLocked(client, "executing",
               {{"node", node}, {"display_node", node}, {"prompt_id", id}},
               true);
    exec.executed.push_back(node);
  }
  ImageRequest request;
  request.prompt = job.prompt;
  request.size = ImageSize{job.width, job.height};
  request.steps = job.steps;
  request.n = job.batch_size;
  request.seed = job.seed;
  RequestCallbacks callbacks;
  std::weak_ptr<ComfyQueue> weak = weak_from_this();
  std::string sampler = job.sampler_node;
  callbacks.on_start = [weak, id, sampler, client](uint64_t) {
    auto self = weak.lock();
    if (!self) return;
    std::lock_guard<std::mutex> lock(self->mu_);
    self->SendLocked(
        client, "executing",
        {{"node", sampler}, {"display_node", sampler}, {"prompt_id", id}},
        true);
  };
  callbacks.on_progress = [weak, id](uint64_t, int step, int steps) {
    if (auto self = weak.lock()) self->OnProgress(id, step, steps);
  };
  callbacks.on_done = [weak, id](ImageResult result) {
    if (auto self = weak.lock()) self->OnDone(id, std::move(result));
  };
  StatusOr<uint64_t> engine_id = engine_.Submit(request, std::move(callbacks));
  if (!engine_id.ok()) {
    RecordLocked(exec, "execution_error",
                 {{"prompt_id", id},
                  {"node_id", sampler},
                  {"node_type", "KSampler"},
                  {"executed", exec.executed},
                  {"exception_message", engine_id.status().message()},
                  {"exception_type", "RuntimeError"},
                  {"traceback", json::array()},
                  {"current_inputs", json::object()},
                  {"current_outputs", json::array()}},
                 false);
    FinishLocked(exec, json::object(), false);
    return;
  }
  exec.engine_id = *engine_id;
}

void ComfyQueue::OnProgress(const std::string& id, int step, int steps) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end() || it->second.interrupted) return;
  Execution& exec = it->second;
  const WorkflowJob& job = exec.entry.sub.job;
  const std::string& client = exec.entry.sub.client_id;
  SendLocked(client, "progress",
             {{"value", step},
              {"max", steps},
              {"prompt_id", id},
              {"node", job.sampler_node}},
             true);
  if (step != steps) return;
  exec.executed.push_back(job.sampler_node);
  // VAEDecode and the other nodes between the sampler and the outputs.
  bool after = false;
  for (const std::string& node : job.order) {
    if (node == job.sampler_node) {
      after = true;
      continue;
    }
    if (!after || job.class_type.at(node) == "SaveImage") continue;
    SendLocked(client, "executing",
               {{"node", node}, {"display_node", node}, {"prompt_id", id}},
               true);
    exec.executed.push_back(node);
  }
}

json ComfyQueue::SaveImagesLocked(Execution& exec, const ImageResult& result,
                                  std::string* error) {
  json outputs = json::object();
  for (const std::string& out : exec.entry.sub.job.outputs) {
    std::string prefix = exec.entry.sub.job.filename_prefix.at(out);
    size_t slash = prefix.find_last_of('/');
    std::string subfolder =
        slash == std::string::npos ? "" : prefix.substr(0, slash);
    std::string base =
        slash == std::string::npos ? prefix : prefix.substr(slash + 1);
    if (subfolder.starts_with("/") ||
        subfolder.find("..") != std::string::npos) {
      *error =
          "**** ERROR: Saving image outside the output folder is not "
          "allowed.\n full_output_folder: " +
          subfolder;
      return json::object();
    }
    json images = json::array();
    for (const std::string& png : result.images) {
      int counter = ++counters_[prefix];
      char name[32];
      std::snprintf(name, sizeof(name), "_%05d_.png", counter);
      std::string filename = base + name;
      std::string key = subfolder + "/" + filename;
      images_[key] = png;
      image_order_.push_back(key);
      while (image_order_.size() > kMaxImages) {
        images_.erase(image_order_.front());
        image_order_.pop_front();
      }
      images.push_back({{"filename", filename},
                        {"subfolder", subfolder},
                        {"type", "output"}});
    }
    outputs[out] = {{"images", images}};
  }
  return outputs;
}

void ComfyQueue::OnDone(const std::string& id, ImageResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return;
  Execution& exec = it->second;
  const WorkflowJob& job = exec.entry.sub.job;
  const std::string& client = exec.entry.sub.client_id;
  if (exec.interrupted || result.outcome == Outcome::kCancelled) {
    RecordLocked(exec, "execution_interrupted",
                 {{"prompt_id", id},
                  {"node_id", job.sampler_node},
                  {"node_type", "KSampler"},
                  {"executed", exec.executed}},
                 true);
    FinishLocked(exec, json::object(), false);
    return;
  }
  std::string error_type = result.error_type, error_message = result.error;
  json outputs = json::object();
  std::string failed_node = job.sampler_node;
  if (result.outcome == Outcome::kOk) {
    std::string save_error;
    outputs = SaveImagesLocked(exec, result, &save_error);
    if (!save_error.empty()) {
      error_type = "Exception";
      error_message = save_error;
      failed_node = job.outputs.front();
    }
  } else if (result.outcome == Outcome::kOom) {
    log::Error(ComfyOomConsoleLine(), {{"prompt_id", id}});
    error_type = kTorchOomType;
    error_message = ComfyOomExceptionMessage();
  }
  if (!error_type.empty() || result.outcome != Outcome::kOk) {
    const json& inputs = exec.entry.sub.graph[failed_node]["inputs"];
    json current = json::object();
    for (const auto& [name, v] : inputs.items()) {
      if (!v.is_array()) current[name] = json::array({v});
    }
    RecordLocked(exec, "execution_error",
                 {{"prompt_id", id},
                  {"node_id", failed_node},
                  {"node_type", job.class_type.at(failed_node)},
                  {"executed", exec.executed},
                  {"exception_message", error_message},
                  {"exception_type", error_type},
                  {"traceback", json::array({"  File \"execution.py\", line "
                                             "496, in execute\n"})},
                  {"current_inputs", current},
                  {"current_outputs", json::array()}},
                 false);
    FinishLocked(exec, json::object(), false);
    return;
  }
  for (const std::string& out : job.outputs) {
    SendLocked(client, "executing",
               {{"node", out}, {"display_node", out}, {"prompt_id", id}}, true);
    SendLocked(client, "executed",
               {{"node", out},
                {"display_node", out},
                {"output", outputs[out]},
                {"prompt_id", id}},
               true);
    exec.executed.push_back(out);
    cached_ui_[job.signature.at(out)] = outputs[out];
  }
  FinishLocked(exec, std::move(outputs), true);
}

void ComfyQueue::FinishLocked(Execution& exec, json outputs, bool success) {
  const std::string id = exec.entry.sub.prompt_id;
  const WorkflowJob& job = exec.entry.sub.job;
  // ComfyUI keeps the outputs of this prompt's nodes for the next one.
  std::set<std::string> cache;
  for (const std::string& node : job.order) {
    const std::string& sig = job.signature.at(node);
    bool ran = std::find(exec.executed.begin(), exec.executed.end(), node) !=
               exec.executed.end();
    if (ran || cache_.count(sig)) cache.insert(sig);
  }
  cache_ = std::move(cache);
  std::erase_if(cached_ui_,
                [&](const auto& kv) { return !cache_.count(kv.first); });
  if (success) {
    RecordLocked(exec, "execution_success", {{"prompt_id", id}}, false);
  }
  SendLocked(exec.entry.sub.client_id, "executing",
             {{"node", nullptr}, {"prompt_id", id}}, true);
  json meta = json::object();
  for (const auto& [node, out] : outputs.items()) {
    meta[node] = {{"node_id", node},
                  {"display_node", node},
                  {"parent_node", nullptr},
                  {"real_node_id", node}};
  }
  json entry = {{"prompt", QueueItem(exec.entry)},
                {"outputs", std::move(outputs)},
                {"status",
                 {{"status_str", success ? "success" : "error"},
                  {"completed", success},
                  {"messages", std::move(exec.messages)}}},
                {"meta", std::move(meta)}};
  if (history_.emplace(id, std::move(entry)).second) {
    history_order_.push_back(id);
  }
  while (history_order_.size() > kMaxHistory) {
    history_.erase(history_order_.front());
    history_order_.pop_front();
  }
  running_.erase(id);  // `exec` is gone from here on
  if (running_.empty()) ApplyFreeLocked();
  BroadcastStatusLocked();
  PumpLocked();
}

}  // namespace zimon::sim::comfy
