#include "zimon/sim/comfyui_front.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "zimon/sim/comfyui_queue.h"
#include "zimon/sim/comfyui_workflow.h"

namespace zimon::sim {
namespace {

using comfy::ComfyQueue;
using nlohmann::json;

http::Response Json(int status, const json& j) {
  return http::Response::Json(status, j.dump());
}

// ComfyUI's POST /prompt 400 body.
http::Response PromptError(std::string type, std::string message,
                           std::string details) {
  json body = {{"error",
                {{"type", std::move(type)},
                 {"message", std::move(message)},
                 {"details", std::move(details)},
                 {"extra_info", json::object()}}},
               {"node_errors", json::object()}};
  return Json(400, body);
}

// Parses a JSON object body; an empty body is {}.
std::optional<json> ObjectBody(const std::string& body) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

http::Response BadBody() {
  return Json(400, {{"error", "request body must be a JSON object"}});
}

http::Response PostPrompt(ComfyQueue& queue, http::Request& req) {
  std::optional<json> body = ObjectBody(req.body);
  if (!body) {
    return PromptError("invalid_prompt", "Invalid JSON in request body",
                       "The request body must be a JSON object.");
  }
  if (!body->contains("prompt")) {
    return PromptError("no_prompt", "No prompt provided", "No prompt provided");
  }
  auto validated = comfy::ValidateWorkflow((*body)["prompt"]);
  if (auto* error = std::get_if<comfy::WorkflowError>(&validated)) {
    return Json(400, error->ToJson());
  }
  comfy::PromptSubmission sub;
  sub.job = std::move(std::get<comfy::WorkflowJob>(validated));
  sub.graph = (*body)["prompt"];
  if (body->contains("extra_data") && (*body)["extra_data"].is_object()) {
    sub.extra_data = (*body)["extra_data"];
  }
  if (body->contains("client_id") && (*body)["client_id"].is_string()) {
    sub.client_id = (*body)["client_id"].get<std::string>();
    sub.extra_data["client_id"] = sub.client_id;
  } else if (sub.extra_data.contains("client_id") &&
             sub.extra_data["client_id"].is_string()) {
    sub.client_id = sub.extra_data["client_id"].get<std::string>();
  }
  if (body->contains("prompt_id") && (*body)["prompt_id"].is_string() &&
      !(*body)["prompt_id"].get<std::string>().empty()) {
    sub.prompt_id = (*body)["prompt_id"].get<std::string>();
    if (queue.Knows(sub.prompt_id)) {
      return PromptError("invalid_prompt", "prompt_id already exists",
                         "prompt_id '" + sub.prompt_id + "' is in use");
    }
  } else {
    sub.prompt_id = comfy::NewUuid();
  }
  if (body->contains("number")) {
    const json& n = (*body)["number"];
    if (!n.is_number()) {
      return PromptError("invalid_prompt", "number must be a number", n.dump());
    }
    sub.number = n.get<double>();
  }
  sub.front = body->value("front", false) == true;
  json node_errors = sub.job.node_errors;
  std::string prompt_id = sub.prompt_id;
  double number = queue.Enqueue(std::move(sub));
  json answer = {{"prompt_id", prompt_id}, {"node_errors", node_errors}};
  if (number == static_cast<double>(static_cast<int64_t>(number))) {
    answer["number"] = static_cast<int64_t>(number);
  } else {
    answer["number"] = number;
  }
  return Json(200, answer);
}

// {"clear": true} / {"delete": [...]} bodies of POST /queue and /history.
http::Response ClearOrDelete(
    http::Request& req, const std::function<void()>& clear,
    const std::function<void(const std::vector<std::string>&)>& remove) {
  std::optional<json> body = ObjectBody(req.body);
  if (!body) return BadBody();
  if (body->value("clear", false) == true) clear();
  if (body->contains("delete")) {
    const json& ids = (*body)["delete"];
    if (!ids.is_array()) return BadBody();
    std::vector<std::string> list;
    for (const json& id : ids) {
      if (id.is_string()) list.push_back(id.get<std::string>());
    }
    remove(list);
  }
  return http::Response::Text(200, "");
}

http::Response View(ComfyQueue& queue, http::Request& req) {
  auto filename = req.query.Get("filename");
  if (!filename) return http::Response::Text(404, "404: Not Found");
  std::string name(*filename);
  std::string subfolder(req.query.Get("subfolder").value_or(""));
  std::string type(req.query.Get("type").value_or("output"));
  if (name.empty() || name.front() == '/' ||
      name.find("..") != std::string::npos ||
      subfolder.find("..") != std::string::npos ||
      (type != "output" && type != "input" && type != "temp")) {
    return http::Response::Text(400, "400: Bad Request");
  }
  std::optional<std::string> png;
  if (type == "output") png = queue.Image(subfolder, name);
  if (!png) return http::Response::Text(404, "404: Not Found");
  http::Response r;
  r.status = 200;
  r.body = std::move(*png);
  r.headers.Set("Content-Type", "image/png");
  r.headers.Set("Content-Disposition", "filename=\"" + name + "\"");
  return r;
}

json SystemStats(const SimContext& ctx) {
  GpuView gpu = ctx.engine.Gpu();
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t ram_total = page * static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES));
  uint64_t ram_free = page * static_cast<uint64_t>(sysconf(_SC_AVPHYS_PAGES));
  uint64_t used = gpu.UsedBytes();
  uint64_t reserved = gpu.process_bytes;
  uint64_t allocated = std::min(gpu.allocated_bytes, reserved);
  json device = {{"name", "cuda:" + std::to_string(gpu.index) + " " + gpu.name +
                              " : cudaMallocAsync"},
                 {"type", "cuda"},
                 {"index", gpu.index},
                 {"vram_total", gpu.total_bytes},
                 {"vram_free", gpu.total_bytes - used},
                 {"torch_vram_total", reserved},
                 {"torch_vram_free", reserved - allocated}};
  return {{"system",
           {{"os", "posix"},
            {"ram_total", ram_total},
            {"ram_free", ram_free},
            {"comfyui_version", "0.3.64 (simulated)"},
            {"required_frontend_version", "1.27.10"},
            {"installed_templates_version", "0.1.94"},
            {"python_version", "3.12.3 (simulated)"},
            {"pytorch_version", "2.8.0+cu128"},
            {"embedded_python", false},
            {"argv", {"main.py", "--listen"}}}},
          {"devices", json::array({device})}};
}

// Registers `pattern` and "/api" + pattern.
Status Both(http::Router& router, const char* method,
            const std::string& pattern, http::SyncHandler handler) {
  ZIMON_RETURN_IF_ERROR(router.HandleSync(method, pattern, handler));
  return router.HandleSync(method, "/api" + pattern, std::move(handler));
}

}  // namespace

Status RegisterComfyUiApi(http::Router& router, SimContext& ctx) {
  auto queue = std::make_shared<ComfyQueue>(ctx.engine);
  ZIMON_RETURN_IF_ERROR(
      Both(router, "POST", "/prompt",
           [queue](http::Request& req) { return PostPrompt(*queue, req); }));
  ZIMON_RETURN_IF_ERROR(Both(router, "GET", "/prompt", [queue](http::Request&) {
    return Json(200,
                {{"exec_info", {{"queue_remaining", queue->Remaining()}}}});
  }));
  ZIMON_RETURN_IF_ERROR(Both(router, "GET", "/queue", [queue](http::Request&) {
    return Json(200, queue->QueueJson());
  }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "POST", "/queue", [queue](http::Request& req) {
        return ClearOrDelete(
            req, [&] { queue->ClearPending(); },
            [&](const std::vector<std::string>& ids) {
              queue->DeletePending(ids);
            });
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "POST", "/interrupt", [queue](http::Request& req) {
        std::optional<json> body = ObjectBody(req.body);
        if (!body) return BadBody();
        std::string id;
        if (body->contains("prompt_id") && (*body)["prompt_id"].is_string()) {
          id = (*body)["prompt_id"].get<std::string>();
        }
        queue->Interrupt(id);
        return http::Response::Text(200, "");
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "POST", "/free", [queue](http::Request& req) {
        std::optional<json> body = ObjectBody(req.body);
        if (!body) return BadBody();
        queue->Free(body->value("unload_models", false) == true,
                    body->value("free_memory", false) == true);
        return http::Response::Text(200, "");
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "GET", "/history", [queue](http::Request& req) {
        std::optional<int64_t> max_items;
        int64_t offset = -1;
        try {
          if (auto m = req.query.Get("max_items"))
            max_items = std::stoll(std::string(*m));
          if (auto o = req.query.Get("offset"))
            offset = std::stoll(std::string(*o));
        } catch (const std::exception&) {
          return Json(400,
                      {{"error", "max_items and offset must be integers"}});
        }
        return Json(200, queue->History(max_items, offset));
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "GET", "/history/{prompt_id}", [queue](http::Request& req) {
        return Json(200,
                    queue->HistoryFor(std::string(req.PathParam("prompt_id"))));
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "POST", "/history", [queue](http::Request& req) {
        return ClearOrDelete(
            req, [&] { queue->ClearHistory(); },
            [&](const std::vector<std::string>& ids) {
              queue->DeleteHistory(ids);
            });
      }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "GET", "/view",
           [queue](http::Request& req) { return View(*queue, req); }));
  SimContext* context = &ctx;
  ZIMON_RETURN_IF_ERROR(Both(
      router, "GET", "/system_stats",
      [context](http::Request&) { return Json(200, SystemStats(*context)); }));
  ZIMON_RETURN_IF_ERROR(Both(router, "GET", "/object_info", [](http::Request&) {
    return Json(200, comfy::ObjectInfo());
  }));
  ZIMON_RETURN_IF_ERROR(
      Both(router, "GET", "/object_info/{node_class}", [](http::Request& req) {
        json all = comfy::ObjectInfo();
        std::string name(req.PathParam("node_class"));
        if (!all.contains(name)) return Json(200, json::object());
        return Json(200, {{name, all[name]}});
      }));
  auto ws = [queue](http::Request& req,
                    http::WebSocket& socket) -> boost::asio::awaitable<void> {
    std::string sid(req.query.Get("clientId").value_or(""));
    if (sid.empty()) {
      sid = comfy::NewUuid();
      std::erase(sid, '-');
    }
    uint64_t token = queue->AddClient(sid, socket);
    while (true) {  // ComfyUI ignores what clients send
      StatusOr<std::string> msg = co_await socket.Receive();
      if (!msg.ok()) break;
    }
    queue->RemoveClient(token);
  };
  ZIMON_RETURN_IF_ERROR(router.HandleWebSocket("/ws", ws));
  return router.HandleWebSocket("/api/ws", ws);
}

}  // namespace zimon::sim
