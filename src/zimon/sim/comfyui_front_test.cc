#include "zimon/sim/comfyui_front.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "zimon/http/websocket.h"
#include "zimon/sim/comfyui_workflow.h"
#include "zimon/sim/image.h"
#include "zimon/sim/oom.h"
#include "zimon/sim/sim_server_test_util.h"

namespace zimon::sim {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::Call;
using testing::FastOptions;
using testing::MustStart;

// A ComfyUI /ws client on its own thread that records every JSON message.
class WsRecorder {
 public:
  // Returns once the server has registered the client (its first message,
  // the status with the sid, has arrived): messages for a client id that is
  // not connected yet are dropped, as ComfyUI does, and a test that posts
  // prompts at once would otherwise race the connection on a busy machine.
  explicit WsRecorder(const std::string& url) {
    thread_ = std::thread([this, url] {
      boost::asio::co_spawn(ioc_, Run(url), boost::asio::detached);
      ioc_.run();
    });
    json hello = WaitFor([](const json& m) {
      return m["type"] == "status" && m["data"].contains("sid");
    });
    EXPECT_FALSE(hello.is_null()) << "no status message after connecting";
  }
  ~WsRecorder() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ws_) ws_->Abort();
      stopped_ = true;
    }
    thread_.join();
  }

  // Waits until a message satisfies `pred`; returns it (null on timeout).
  json WaitFor(const std::function<bool(const json&)>& pred,
               std::chrono::milliseconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu_);
    json found;
    cv_.wait_for(lock, timeout, [&] {
      for (const json& m : messages_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  json WaitForType(const std::string& type, const std::string& prompt_id) {
    return WaitFor([&](const json& m) {
      return m["type"] == type && m["data"].value("prompt_id", "") == prompt_id;
    });
  }
  json WaitDone(const std::string& prompt_id) {
    return WaitFor([&](const json& m) {
      return m["type"] == "executing" && m["data"]["node"].is_null() &&
             m["data"]["prompt_id"] == prompt_id;
    });
  }
  // The messages about `prompt_id`, in order.
  std::vector<json> For(const std::string& prompt_id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<json> out;
    for (const json& m : messages_) {
      if (m["data"].is_object() &&
          m["data"].value("prompt_id", "") == prompt_id)
        out.push_back(m);
    }
    return out;
  }

 private:
  boost::asio::awaitable<void> Run(std::string url) {
    StatusOr<http::WebSocket> ws =
        co_await http::WebSocket::Connect(ioc_.get_executor(), url);
    EXPECT_TRUE(ws.ok()) << ws.status().ToString();
    if (!ws.ok()) co_return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) co_return;
      ws_.emplace(*ws);
    }
    while (true) {
      StatusOr<std::string> text = co_await ws->Receive();
      if (!text.ok()) break;
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(json::parse(*text, nullptr, false));
      cv_.notify_all();
    }
  }

  boost::asio::io_context ioc_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> messages_;
  std::optional<http::WebSocket> ws_;
  bool stopped_ = false;
  std::thread thread_;
};

std::string WsUrl(const SimServer& sim, const std::string& client) {
  return "ws://127.0.0.1:" + std::to_string(sim.port()) +
         "/ws?clientId=" + client;
}

json TemplateWorkflow() {
  std::ifstream in(std::string(ZIMON_SOURCE_DIR) +
                   "/deploy/comfyui/zimage_turbo_workflow.json");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  EXPECT_TRUE(j.is_object()) << "template did not parse";
  return j;
}

std::string PromptBody(const json& graph, const std::string& client) {
  return json{{"prompt", graph}, {"client_id", client}}.dump();
}

TEST(ComfyUiFront, RunsTheTemplateWorkflowOverHttpAndWebSocket) {
  auto sim = MustStart(FastOptions(ApiFlavour::kComfyUi, RegisterComfyUiApi));
  ASSERT_NE(sim, nullptr);
  WsRecorder ws(WsUrl(*sim, "abc"));
  json hello = ws.WaitFor([](const json& m) { return m["type"] == "status"; });
  EXPECT_EQ(hello["data"]["sid"], "abc");
  EXPECT_EQ(hello["data"]["status"]["exec_info"]["queue_remaining"], 0);

  json graph = TemplateWorkflow();
  graph["5"]["inputs"]["text"] = "a lighthouse in a storm";
  graph["7"]["inputs"]["width"] = 512;
  graph["7"]["inputs"]["height"] = 768;
  graph["8"]["inputs"]["seed"] = 42;
  auto r = Call("POST", sim->base_url() + "/prompt", PromptBody(graph, "abc"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = r.json["prompt_id"];
  EXPECT_EQ(r.json["number"], 0);
  EXPECT_EQ(r.json["node_errors"], json::object());
  ASSERT_FALSE(ws.WaitDone(id).is_null());

  // The message sequence, as ComfyUI sends it.
  std::vector<std::string> types;
  std::vector<int> progress;
  json executed;
  for (const json& m : ws.For(id)) {
    types.push_back(m["type"]);
    if (m["type"] == "progress") {
      progress.push_back(m["data"]["value"]);
      EXPECT_EQ(m["data"]["max"], 8);
      EXPECT_EQ(m["data"]["node"], "8");
    }
    if (m["type"] == "executed") executed = m["data"];
  }
  ASSERT_GE(types.size(), 6u);
  EXPECT_EQ(types[0], "execution_start");
  EXPECT_EQ(types[1], "execution_cached");
  EXPECT_EQ(progress, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(types[types.size() - 2], "execution_success");
  EXPECT_EQ(types.back(), "executing");
  EXPECT_EQ(executed["node"], "10");
  json image = executed["output"]["images"][0];
  EXPECT_EQ(image["filename"], "z-image-turbo_00001_.png");
  EXPECT_EQ(image["type"], "output");

  auto h = Call("GET", sim->base_url() + "/history/" + id);
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.json[id]["status"]["status_str"], "success");
  EXPECT_EQ(h.json[id]["status"]["completed"], true);
  EXPECT_EQ(h.json[id]["outputs"]["10"]["images"][0], image);
  EXPECT_EQ(h.json[id]["prompt"][1], id);
  auto all = Call("GET", sim->base_url() + "/api/history?max_items=5");
  EXPECT_TRUE(all.json.contains(id));

  auto v = Call("GET", sim->base_url() +
                           "/view?filename=z-image-turbo_00001_.png&subfolder=&"
                           "type=output");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(v.headers.Get("content-type"), "image/png");
  StatusOr<DecodedImage> png = DecodePng(v.body);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->size.width, 512);
  EXPECT_EQ(png->size.height, 768);
  EXPECT_EQ(Call("GET", sim->base_url() + "/view?filename=nope.png").status,
            404);
  EXPECT_EQ(Call("GET", sim->base_url() + "/view?filename=../x.png").status,
            400);

  // The same graph again is served from the cache at once; a new seed reuses
  // everything but the sampler and what follows it.
  auto again =
      Call("POST", sim->base_url() + "/prompt", PromptBody(graph, "abc"));
  std::string id2 = again.json["prompt_id"];
  ASSERT_FALSE(ws.WaitDone(id2).is_null());
  json cached = ws.WaitForType("execution_cached", id2);
  EXPECT_EQ(cached["data"]["nodes"].size(), 10u);
  for (const json& m : ws.For(id2)) EXPECT_NE(m["type"], "progress");
  graph["8"]["inputs"]["seed"] = 43;
  auto third =
      Call("POST", sim->base_url() + "/prompt", PromptBody(graph, "abc"));
  std::string id3 = third.json["prompt_id"];
  ASSERT_FALSE(ws.WaitDone(id3).is_null());
  cached = ws.WaitForType("execution_cached", id3);
  EXPECT_EQ(cached["data"]["nodes"],
            json::array({"1", "2", "3", "4", "5", "6", "7"}));
  json out3 = ws.WaitForType("executed", id3);
  EXPECT_EQ(out3["data"]["output"]["images"][0]["filename"],
            "z-image-turbo_00002_.png");
}

TEST(ComfyUiFront, RejectsInvalidGraphsLikeComfyUi) {
  auto sim = MustStart(FastOptions(ApiFlavour::kComfyUi, RegisterComfyUiApi));
  ASSERT_NE(sim, nullptr);
  std::string url = sim->base_url() + "/prompt";

  auto none = Call("POST", url, "{}");
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(none.json["error"]["type"], "no_prompt");
  EXPECT_EQ(none.json["node_errors"], json::object());

  json graph = comfy::ZImageTurboWorkflow("a cat", 1);
  graph["8"]["inputs"]["steps"] = 0;
  graph["8"]["inputs"]["sampler_name"] = "nope";
  graph["5"]["inputs"].erase("text");
  auto bad = Call("POST", url, PromptBody(graph, ""));
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json["error"]["type"], "prompt_outputs_failed_validation");
  EXPECT_EQ(bad.json["error"]["message"], "Prompt outputs failed validation");
  json sampler = bad.json["node_errors"]["8"];
  EXPECT_EQ(sampler["class_type"], "KSampler");
  EXPECT_EQ(sampler["dependent_outputs"], json::array({"10"}));
  std::set<std::string> kinds;
  for (const json& e : sampler["errors"]) kinds.insert(e["type"]);
  EXPECT_TRUE(kinds.count("value_smaller_than_min"));
  EXPECT_TRUE(kinds.count("value_not_in_list"));
  EXPECT_EQ(bad.json["node_errors"]["5"]["errors"][0]["type"],
            "required_input_missing");

  json unknown = comfy::ZImageTurboWorkflow("a cat", 1);
  unknown["11"] = {{"class_type", "NoSuchNode"}, {"inputs", json::object()}};
  auto missing = Call("POST", url, PromptBody(unknown, ""));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json["error"]["type"], "missing_node_type");

  json no_out = comfy::ZImageTurboWorkflow("a cat", 1);
  no_out.erase("10");
  auto nothing = Call("POST", url, PromptBody(no_out, ""));
  EXPECT_EQ(nothing.json["error"]["type"], "prompt_no_outputs");

  json wrong_link = comfy::ZImageTurboWorkflow("a cat", 1);
  wrong_link["9"]["inputs"]["vae"] = json::array({"2", 0});  // a CLIP
  auto mismatch = Call("POST", url, PromptBody(wrong_link, ""));
  EXPECT_EQ(mismatch.json["node_errors"]["9"]["errors"][0]["type"],
            "return_type_mismatch");
  EXPECT_EQ(Call("POST", url, "not json").status, 400);
  EXPECT_EQ(Call("GET", url).json["exec_info"]["queue_remaining"], 0);
}

TEST(ComfyUiFront, OutOfMemoryIsAnExecutionErrorInComfyUiWording) {
  auto opt = FastOptions(ApiFlavour::kComfyUi, RegisterComfyUiApi);
  // 19.76 GiB resident + 2.4 GiB for a 1024² image do not fit in 21 GiB;
  // a 512² image (0.6 GiB) does.
  opt.engine.profile.vram_bytes = 21ULL << 30;
  auto sim = MustStart(std::move(opt));
  ASSERT_NE(sim, nullptr);
  WsRecorder ws(WsUrl(*sim, "oom"));
  json small = comfy::ZImageTurboWorkflow("small", 7, 512, 512);
  auto ok = Call("POST", sim->base_url() + "/prompt", PromptBody(small, "oom"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  ASSERT_FALSE(
      ws.WaitForType("execution_success", ok.json["prompt_id"]).is_null());
  json graph = comfy::ZImageTurboWorkflow("big", 7, 1024, 1024);
  auto r = Call("POST", sim->base_url() + "/prompt", PromptBody(graph, "oom"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = r.json["prompt_id"];
  json error = ws.WaitForType("execution_error", id);
  ASSERT_FALSE(error.is_null());
  EXPECT_EQ(error["data"]["exception_type"], kTorchOomType);
  EXPECT_EQ(error["data"]["exception_message"], ComfyOomExceptionMessage());
  EXPECT_EQ(error["data"]["node_type"], "KSampler");
  EXPECT_EQ(error["data"]["current_inputs"]["steps"], json::array({8}));
  ASSERT_FALSE(ws.WaitDone(id).is_null());
  auto h = Call("GET", sim->base_url() + "/history/" + id);
  EXPECT_EQ(h.json[id]["status"]["status_str"], "error");
  EXPECT_EQ(h.json[id]["status"]["completed"], false);
  EXPECT_EQ(h.json[id]["outputs"], json::object());

  auto stats = Call("GET", sim->base_url() + "/system_stats");
  json device = stats.json["devices"][0];
  EXPECT_NE(device["name"].get<std::string>().find("(simulated)"),
            std::string::npos);
  EXPECT_EQ(device["vram_total"], sim->engine().Gpu().total_bytes);
  EXPECT_LE(device["vram_free"].get<uint64_t>(),
            device["vram_total"].get<uint64_t>());
  EXPECT_EQ(Call("POST", sim->base_url() + "/free", R"({"free_memory": true})")
                .status,
            200);
  auto info = Call("GET", sim->base_url() + "/object_info/KSampler");
  EXPECT_EQ(info.json["KSampler"]["output"], json::array({"LATENT"}));
}

TEST(ComfyUiFront, QueueDeleteAndInterrupt) {
  auto opt = FastOptions(ApiFlavour::kComfyUi, RegisterComfyUiApi);
  opt.engine.faults.hang_rate = 1;  // every prompt runs until interrupted
  auto sim = MustStart(std::move(opt));
  ASSERT_NE(sim, nullptr);
  WsRecorder ws(WsUrl(*sim, "q"));
  std::string base = sim->base_url();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    json graph = comfy::ZImageTurboWorkflow("p" + std::to_string(i), i);
    auto r = Call("POST", base + "/prompt", PromptBody(graph, "q"));
    ASSERT_EQ(r.status, 200);
    ids.push_back(r.json["prompt_id"]);
  }
  auto q = Call("GET", base + "/queue");
  ASSERT_EQ(q.json["queue_running"].size(), 1u);
  EXPECT_EQ(q.json["queue_running"][0][1], ids[0]);
  ASSERT_EQ(q.json["queue_pending"].size(), 2u);
  EXPECT_EQ(q.json["queue_pending"][0][1], ids[1]);

  EXPECT_EQ(
      Call("POST", base + "/queue", json{{"delete", {ids[2]}}}.dump()).status,
      200);
  EXPECT_EQ(Call("GET", base + "/queue").json["queue_pending"].size(), 1u);
  // Interrupting a prompt that is not running does nothing.
  Call("POST", base + "/interrupt", json{{"prompt_id", ids[1]}}.dump());
  Call("POST", base + "/interrupt", "");
  json interrupted = ws.WaitForType("execution_interrupted", ids[0]);
  ASSERT_FALSE(interrupted.is_null());
  EXPECT_EQ(interrupted["data"]["node_type"], "KSampler");
  ASSERT_FALSE(ws.WaitDone(ids[0]).is_null());
  EXPECT_EQ(Call("GET", base + "/history/" + ids[0])
                .json[ids[0]]["status"]["status_str"],
            "error");
  // The next prompt started; interrupt it by id.
  ASSERT_FALSE(ws.WaitForType("execution_start", ids[1]).is_null());
  Call("POST", base + "/api/interrupt", json{{"prompt_id", ids[1]}}.dump());
  ASSERT_FALSE(ws.WaitDone(ids[1]).is_null());
  json empty = ws.WaitFor([](const json& m) {
    return m["type"] == "status" &&
           m["data"]["status"]["exec_info"]["queue_remaining"] == 0;
  });
  EXPECT_FALSE(empty.is_null());
  q = Call("GET", base + "/queue");
  EXPECT_EQ(q.json["queue_running"].size(), 0u);
  EXPECT_EQ(q.json["queue_pending"].size(), 0u);
  EXPECT_EQ(Call("GET", base + "/history/" + ids[2]).json, json::object());
}

}  // namespace
}  // namespace zimon::sim
