#include "zimon/sim/sdcpp_front_jobs.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "zimon/common/logging.h"
#include "zimon/sim/front_common.h"
#include "zimon/sim/sdcpp_front_params.h"

namespace zimon::sim {
namespace {

using nlohmann::json;

http::Response Error(int status, std::string_view message) {
  return http::Response::Json(status, json{{"error", message}}.dump());
}

enum class JobStatus { kQueued, kGenerating, kCompleted, kFailed, kCancelled };

const char* StatusName(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued:
      return "queued";
    case JobStatus::kGenerating:
      return "generating";
    case JobStatus::kCompleted:
      return "completed";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kCancelled:
      return "cancelled";
  }
  return "failed";
}

struct Job {
  std::string id;
  JobStatus status = JobStatus::kQueued;
  int64_t created = 0, started = 0, completed = 0;
  uint64_t engine_id = 0;
  bool submitted = false;  // engine_id is valid
  std::vector<std::string> images_b64;
  std::string error_code, error_message;
};

// The job table of one server.
class Jobs : public std::enable_shared_from_this<Jobs> {
 public:
  Jobs(SimEngine& engine, size_t max_pending)
      : engine_(engine), max_pending_(max_pending) {}

  http::Response Submit(const std::string& text);
  http::Response Get(const std::string& id);
  http::Response Cancel(const std::string& id);

 private:
  void Purge();                       // requires mu_
  size_t Pending() const;             // requires mu_
  json ToJson(const Job& job) const;  // requires mu_
  // 404/410 for a job not in the table; requires mu_.
  http::Response Missing(const std::string& id) const;
  void OnStart(const std::string& id);
  void OnDone(const std::string& id, ImageResult result);

  SimEngine& engine_;
  const size_t max_pending_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Job>> jobs_;
  std::unordered_map<std::string, int64_t> expired_;  // id -> forget at
  uint64_t next_id_ = 0;
};

void Jobs::Purge() {
  int64_t now = UnixSeconds();
  std::erase_if(expired_, [now](const auto& e) { return e.second <= now; });
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = *it->second;
    if (job.completed != 0 && now - job.completed >= kSdcppJobTtlSeconds) {
      expired_[job.id] = now + std::max<int64_t>(kSdcppJobTtlSeconds, 60);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t Jobs::Pending() const {
  size_t n = 0;
  for (const auto& [id, job] : jobs_) {
    if (job->status == JobStatus::kQueued ||
        job->status == JobStatus::kGenerating) {
      ++n;
    }
  }
  return n;
}

json Jobs::ToJson(const Job& job) const {
  json r = {
      {"id", job.id},
      {"kind", "img_gen"},
      {"status", StatusName(job.status)},
      {"created", job.created},
      {"started", job.started == 0 ? json(nullptr) : json(job.started)},
      {"completed", job.completed == 0 ? json(nullptr) : json(job.completed)},
      {"queue_position", 0},
      {"result", nullptr},
      {"error", nullptr}};
  if (job.status == JobStatus::kQueued && job.submitted) {
    std::optional<size_t> pos = engine_.QueuePosition(job.engine_id);
    if (pos) r["queue_position"] = *pos + 1;
  }
  if (job.status == JobStatus::kCompleted) {
    json images = json::array();
    for (size_t i = 0; i < job.images_b64.size(); ++i) {
      images.push_back({{"index", i}, {"b64_json", job.images_b64[i]}});
    }
    r["result"] = {{"output_format", "png"}, {"images", std::move(images)}};
  } else if (job.status == JobStatus::kFailed ||
             job.status == JobStatus::kCancelled) {
    r["error"] = {{"code", job.error_code}, {"message", job.error_message}};
  }
  return r;
}

http::Response Jobs::Missing(const std::string& id) const {
  if (expired_.contains(id)) return Error(410, "job expired");
  return Error(404, "job not found");
}

http::Response Jobs::Submit(const std::string& text) {
  if (text.empty()) return Error(400, "empty body");
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return http::Response::Json(
        400, json{{"error", "invalid json"},
                  {"message",
                   "[json.exception.parse_error.101] parse error: "
                   "syntax error while parsing value"}}
                 .dump());
  }
  SdcppGenParams params;
  if (!ApplySdcppJson(body, params) || params.prompt.empty() ||
      !ValidateSdcppParams(params).ok()) {
    return Error(400, "invalid generation parameters");
  }
  if (body.contains("output_format") &&
      (!body["output_format"].is_string() ||
       (body["output_format"] != "png" && body["output_format"] != "jpeg" &&
        body["output_format"] != "webp"))) {
    return Error(400, "invalid output_format");
  }

  auto job = std::make_shared<Job>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    Purge();
    if (max_pending_ > 0 && Pending() >= max_pending_) {
      return Error(429, "job queue is full");
    }
    job->created = UnixSeconds();
    char id[64];
    std::snprintf(id, sizeof(id), "job_%llx_%08llx",
                  static_cast<unsigned long long>(job->created),
                  static_cast<unsigned long long>(next_id_++));
    job->id = id;
    jobs_[job->id] = job;
  }

  std::weak_ptr<Jobs> weak = weak_from_this();
  std::string id = job->id;
  RequestCallbacks callbacks;
  callbacks.on_start = [weak, id](uint64_t) {
    if (auto self = weak.lock()) self->OnStart(id);
  };
  callbacks.on_done = [weak, id](ImageResult result) {
    if (auto self = weak.lock()) self->OnDone(id, std::move(result));
  };
  StatusOr<uint64_t> engine_id =
      engine_.Submit(ToImageRequest(params), std::move(callbacks));
  std::lock_guard<std::mutex> lock(mu_);
  if (!engine_id.ok()) {
    jobs_.erase(job->id);
    return http::Response::Json(500,
                                json{{"error", "server_error"},
                                     {"message", engine_id.status().message()}}
                                    .dump());
  }
  job->engine_id = *engine_id;
  job->submitted = true;
  json out = {{"id", job->id},
              {"kind", "img_gen"},
              {"status", "queued"},
              {"created", job->created},
              {"poll_url", "/sdcpp/v1/jobs/" + job->id}};
  return http::Response::Json(202, out.dump());
}

void Jobs::OnStart(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->status != JobStatus::kQueued) return;
  it->second->status = JobStatus::kGenerating;
  it->second->started = UnixSeconds();
}

void Jobs::OnDone(const std::string& id, ImageResult result) {
  // Encode outside the lock: a 1024² PNG takes a moment.
  std::vector<std::string> images;
  if (result.outcome == Outcome::kOk) {
    for (const std::string& png : result.images) {
      images.push_back(Base64Encode(png));
    }
  } else if (result.outcome != Outcome::kCancelled) {
    log::Error("generate_image failed", {{"error_type", result.error_type},
                                         {"error", result.error},
                                         {"job", id},
                                         {"simulated", true}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  Job& job = *it->second;
  if (job.status == JobStatus::kCancelled) return;  // cancelled by the client
  job.completed = UnixSeconds();
  if (job.started == 0) job.started = job.completed;
  switch (result.outcome) {
    case Outcome::kOk:
      job.status = JobStatus::kCompleted;
      job.images_b64 = std::move(images);
      break;
    case Outcome::kCancelled:
      job.status = JobStatus::kCancelled;
      job.error_code = "cancelled";
      job.error_message = "job cancelled";
      break;
    default:
      job.status = JobStatus::kFailed;
      job.error_code = "generation_failed";
      job.error_message = "generate_image returned no results";
      break;
  }
}

http::Response Jobs::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Purge();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Missing(id);
  return http::Response::Json(200, ToJson(*it->second).dump());
}

http::Response Jobs::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Purge();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Missing(id);
  Job& job = *it->second;
  if (job.status == JobStatus::kGenerating) {
    return Error(409,
                 "job is currently generating and cannot be interrupted yet");
  }
  if (job.status == JobStatus::kQueued) {
    // The engine answers on the loop, never inside Cancel, so holding mu_
    // here is safe; OnDone then sees the job already cancelled.
    if (!job.submitted || !engine_.Cancel(job.engine_id).ok()) {
      return Error(409, "job queue state changed before cancellation");
    }
    job.status = JobStatus::kCancelled;
    job.completed = UnixSeconds();
    job.error_code = "cancelled";
    job.error_message = "job cancelled by client";
  }
  return http::Response::Json(200, ToJson(job).dump());
}

}  // namespace

Status RegisterSdcppJobRoutes(http::Router& router, SimContext& ctx) {
  auto jobs = std::make_shared<Jobs>(ctx.engine, ctx.max_queue);
  ZIMON_RETURN_IF_ERROR(router.HandleSync(
      "POST", "/sdcpp/v1/img_gen",
      [jobs](http::Request& request) { return jobs->Submit(request.body); }));
  ZIMON_RETURN_IF_ERROR(router.HandleSync(
      "GET", "/sdcpp/v1/jobs/{id}", [jobs](http::Request& request) {
        return jobs->Get(std::string(request.PathParam("id")));
      }));
  ZIMON_RETURN_IF_ERROR(router.HandleSync(
      "POST", "/sdcpp/v1/jobs/{id}/cancel", [jobs](http::Request& request) {
        return jobs->Cancel(std::string(request.PathParam("id")));
      }));
  size_t max_queue = ctx.max_queue;
  return router.HandleSync(
      "GET", "/sdcpp/v1/capabilities", [max_queue](http::Request&) {
        json defaults = {
            {"prompt", ""},
            {"negative_prompt", ""},
            {"width", 512},
            {"height", 512},
            {"seed", 42},
            {"batch_count", 1},
            {"output_format", "png"},
            {"output_compression", 100},
            {"sample_params",
             {{"sample_steps", 20}, {"guidance", {{"txt_cfg", 7.0}}}}}};
        json body = {{"current_mode", "img_gen"},
                     {"supported_modes", {"img_gen"}},
                     {"defaults", defaults},
                     {"limits",
                      {{"min_width", 64},
                       {"max_width", 4096},
                       {"min_height", 64},
                       {"max_height", 4096},
                       {"max_batch_count", kSdcppMaxBatch},
                       {"max_queue_size", max_queue}}},
                     {"output_formats", {"png"}},
                     {"features",
                      {{"cancel_queued", true}, {"cancel_generating", false}}}};
        return http::Response::Json(200, body.dump());
      });
}

}  // namespace zimon::sim
