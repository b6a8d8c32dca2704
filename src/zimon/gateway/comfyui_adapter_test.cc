#include "zimon/gateway/comfyui_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "zimon/gateway/adapter_test_util.h"
#include "zimon/sim/comfyui_front.h"
#include "zimon/sim/image.h"
#include "zimon/sim/sim_server_test_util.h"
#include "zimon/testing/in_memory_file_system.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using testing::AdapterHarness;
using testing::SmallRequest;
using namespace std::chrono_literals;

const std::string kTemplatePath = std::string(ZIMON_SOURCE_DIR) +
                                  "/deploy/comfyui/zimage_turbo_workflow.json";

ComfyWorkflowTemplate ShippedTemplate() {
  auto t = ComfyWorkflowTemplate::Load(kTemplatePath, LocalFileSystem());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(*t);
}

std::unique_ptr<sim::SimServer> StartComfy(sim::Faults faults = {},
                                           uint64_t vram = 0) {
  auto opt = sim::testing::FastOptions(sim::ApiFlavour::kComfyUi,
                                       sim::RegisterComfyUiApi);
  opt.engine.faults = faults;
  if (vram > 0) opt.engine.profile.vram_bytes = vram;
  return sim::testing::MustStart(std::move(opt));
}

// The graph of the only prompt in the simulator's history.
json OnlyGraph(const sim::SimServer& sim) {
  auto h = sim::testing::Call("GET", sim.base_url() + "/history");
  EXPECT_EQ(h.json.size(), 1u) << h.body;
  if (!h.json.is_object() || h.json.empty()) return json();
  return h.json.begin().value()["prompt"][2];
}

bool QueueEmpty(const sim::SimServer& sim) {
  auto q = sim::testing::Call("GET", sim.base_url() + "/queue");
  return q.json["queue_running"].empty() && q.json["queue_pending"].empty();
}

// A front for the simulator that forwards plain HTTP but has no WebSocket,
// like a proxy that does not pass upgrades; records the targets asked for.
class NoWebSocketProxy {
 public:
  explicit NoWebSocketProxy(std::string upstream)
      : upstream_(std::move(upstream)) {
    auto router = std::make_shared<http::Router>();
    auto forward =
        [this](http::Request& req) -> boost::asio::awaitable<http::Response> {
      {
        std::lock_guard<std::mutex> lock(mu_);
        targets_.push_back(req.method + " " + req.target);
      }
      http::ClientRequest out(req.method, upstream_ + req.target, req.body);
      out.headers.Set("Content-Type", "application/json");
      StatusOr<http::Response> r = co_await client_->Send(std::move(out));
      if (!r.ok()) co_return http::Response::Text(502, r.status().ToString());
      http::Response answer;
      answer.status = r->status;
      answer.body = std::move(r->body);
      answer.headers.Set("Content-Type",
                         r->headers.Get("content-type").value_or(""));
      co_return answer;
    };
    EXPECT_TRUE(router->Handle("GET", "/{path...}", forward).ok());
    EXPECT_TRUE(router->Handle("POST", "/{path...}", forward).ok());
    http::ServerOptions options;
    options.io_threads = 1;
    auto server = http::Server::Create(
        options, [router](http::Request& r) { return (*router)(r); });
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
    client_ = std::make_unique<http::Client>(server_->executor());
  }
  ~NoWebSocketProxy() {
    server_->Shutdown(0s);
    client_.reset();  // before the server's io_context goes
  }

  std::string base_url() const { return server_->base_url(); }
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }

 private:
  std::string upstream_;
  std::mutex mu_;
  std::vector<std::string> targets_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Client> client_;
};

bool HasPrefix(const std::vector<std::string>& targets, std::string prefix) {
  for (const std::string& t : targets) {
    if (t.starts_with(prefix)) return true;
  }
  return false;
}

TEST(ComfyUiAdapter, GeneratesOneAndTwoImagesOverTheWebSocket) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client());
  EXPECT_EQ(adapter.kind(), "comfyui");
  ImageRequest req = SmallRequest();
  req.width = 512;
  req.height = 768;
  req.seed = 77;
  req.steps = 6;
  UpstreamResult one = h.Generate(adapter, req);
  ASSERT_EQ(one.outcome, UpstreamOutcome::kSuccess) << one.status.ToString();
  ASSERT_EQ(one.images.size(), 1u);
  EXPECT_EQ(one.images[0].media_type, "image/png");
  StatusOr<sim::DecodedImage> png = sim::DecodePng(one.images[0].bytes);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->size.width, 512);
  EXPECT_EQ(png->size.height, 768);
  // What ComfyUI ran.
  json graph = OnlyGraph(*sim);
  EXPECT_EQ(graph["5"]["inputs"]["text"], req.prompt);
  EXPECT_EQ(graph["8"]["inputs"]["seed"], 77);
  EXPECT_EQ(graph["8"]["inputs"]["steps"], 6);
  EXPECT_EQ(graph["8"]["inputs"]["cfg"], 1);
  EXPECT_EQ(graph["7"]["inputs"]["batch_size"], 1);

  req.n = 2;
  req.seed.reset();  // a random one, so ComfyUI's cache does not answer
  UpstreamResult two = h.Generate(adapter, req);
  ASSERT_EQ(two.outcome, UpstreamOutcome::kSuccess) << two.status.ToString();
  ASSERT_EQ(two.images.size(), 2u);
  EXPECT_NE(two.images[0].bytes, two.images[1].bytes);
  EXPECT_EQ(two.images[1].media_type, "image/png");
  // Followed on the socket; the outputs come from the history.
  EXPECT_EQ(adapter.stats().websockets_opened, 2u);
  EXPECT_EQ(adapter.stats().websocket_failures, 0u);
  EXPECT_GE(adapter.stats().history_polls, 2u);
}

TEST(ComfyUiAdapter, PollsTheHistoryWhenTheWebSocketCannotBeOpened) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  NoWebSocketProxy proxy(sim->base_url());
  AdapterHarness h;
  ComfyUiAdapter adapter(proxy.base_url(), ShippedTemplate(), h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest(2));
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_EQ(adapter.stats().websockets_opened, 0u);
  EXPECT_EQ(adapter.stats().websocket_failures, 1u);
  EXPECT_GE(adapter.stats().history_polls, 1u);
  auto targets = proxy.targets();
  EXPECT_TRUE(HasPrefix(targets, "GET /ws?clientId=zimon-"));
  EXPECT_TRUE(HasPrefix(targets, "POST /prompt"));
  EXPECT_TRUE(HasPrefix(targets, "GET /history/"));
  EXPECT_TRUE(HasPrefix(targets, "GET /view?filename=z-image-turbo_0000"));
}

TEST(ComfyUiAdapter, PollsTheHistoryWhenTold) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client(),
                         {.use_websocket = false});
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  EXPECT_EQ(r.images.size(), 1u);
  EXPECT_EQ(adapter.stats().websockets_opened, 0u);
  EXPECT_EQ(adapter.stats().websocket_failures, 0u);
  EXPECT_GE(adapter.stats().history_polls, 1u);
}

TEST(ComfyUiAdapter, OutOfMemoryIsOomOverWebSocketAndHistory) {
  // 19.76 GiB resident + 2.4 GiB for a 1024² image do not fit in 21 GiB.
  auto sim = StartComfy({}, 21ULL << 30);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ImageRequest req = SmallRequest();
  req.width = req.height = 1024;
  for (bool ws : {true, false}) {
    ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client(),
                           {.use_websocket = ws});
    UpstreamResult r = h.Generate(adapter, req);
    EXPECT_EQ(r.outcome, UpstreamOutcome::kOom) << r.status.ToString();
    EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted);
    EXPECT_NE(r.status.message().find("Allocation on device"),
              std::string::npos)
        << r.status.message();
  }
}

TEST(ComfyUiAdapter, ExecutionErrorIsFailure) {
  sim::Faults faults;
  faults.error_rate = 1;
  auto sim = StartComfy(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  for (bool ws : {true, false}) {
    ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client(),
                           {.use_websocket = ws});
    UpstreamResult r = h.Generate(adapter, SmallRequest());
    EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
    EXPECT_NE(r.status.message().find("KSampler"), std::string::npos)
        << r.status.message();
  }
}

TEST(ComfyUiAdapter, RejectedRequestValuesAreClientErrors) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client());
  ImageRequest req = SmallRequest();
  req.steps = 0;  // KSampler's minimum is 1
  UpstreamResult r = h.Generate(adapter, req);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kClientError) << r.status.ToString();
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.status.message().find("node 8"), std::string::npos)
      << r.status.message();
}

TEST(ComfyUiAdapter, ATemplateTheServerRejectsIsAFailure) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  StatusOr<std::string> text = LocalFileSystem().ReadFile(kTemplatePath);
  ASSERT_TRUE(text.ok());
  json graph = json::parse(*text);
  graph["1"]["inputs"]["unet_name"] = "not_on_this_server.safetensors";
  auto workflow = ComfyWorkflowTemplate::Parse(graph.dump(), "wf.json");
  ASSERT_TRUE(workflow.ok()) << workflow.status().ToString();
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), std::move(*workflow), h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status.message().find("node 1"), std::string::npos)
      << r.status.message();
}

TEST(ComfyUiAdapter, TimeoutInterruptsThePrompt) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartComfy(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  for (bool ws : {true, false}) {
    ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client(),
                           {.use_websocket = ws});
    UpstreamResult r = h.Generate(adapter, SmallRequest(), 500ms);
    EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure);
    EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded)
        << r.status.ToString();
    EXPECT_FALSE(r.may_still_run);  // interrupted
    EXPECT_TRUE(sim::testing::WaitFor([&] { return QueueEmpty(*sim); }));
  }
}

TEST(ComfyUiAdapter, StopCancelsAndInterruptsThePrompt) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartComfy(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client());
  std::stop_source stop;
  std::thread leave([&] {
    ASSERT_TRUE(sim::testing::WaitFor(
        [&] { return sim->engine().Stats().running_requests == 1; }));
    stop.request_stop();
  });
  UpstreamResult r = h.Generate(adapter, SmallRequest(), 30s, stop.get_token());
  leave.join();
  EXPECT_EQ(r.outcome, UpstreamOutcome::kCancelled) << r.status.ToString();
  EXPECT_FALSE(r.may_still_run);  // interrupted
  EXPECT_TRUE(sim::testing::WaitFor([&] { return QueueEmpty(*sim); }));
  EXPECT_EQ(sim->engine().Stats().requests_cancelled, 1u);
}

// When the interrupt fails, the prompt may still run: the gateway is told so
// (may_still_run) and keeps the slot (gateway.md, "Abandoned work").
TEST(ComfyUiAdapter, AFailedInterruptLeavesThePromptMaybeRunning) {
  testing::FakeUpstream upstream;
  upstream.RespondTo("POST", "/prompt", 200, R"({"prompt_id":"p1"})");
  upstream.RespondTo("POST", "/interrupt", 500, R"({"error":"busy"})");
  AdapterHarness h;
  ComfyUiAdapter adapter(upstream.base_url(), ShippedTemplate(), h.client(),
                         {.use_websocket = false});
  UpstreamResult r = h.Generate(adapter, SmallRequest(), 300ms);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(r.may_still_run);
  bool interrupted = false;
  for (const auto& got : upstream.received()) {
    interrupted = interrupted || got.target == "/interrupt";
  }
  EXPECT_TRUE(interrupted);

  upstream.RespondTo("POST", "/interrupt", 200, "{}");
  EXPECT_FALSE(h.Generate(adapter, SmallRequest(), 300ms).may_still_run);
}

TEST(ComfyUiAdapter, ConnectionRefusedIsNotStarted) {
  AdapterHarness h;
  ComfyUiAdapter adapter(testing::ClosedUrl(), ShippedTemplate(), h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kNotStarted) << r.status.ToString();
  EXPECT_EQ(h.Health(adapter).code(), StatusCode::kUnavailable);
}

TEST(ComfyUiAdapter, HealthCheckReadsSystemStats) {
  auto sim = StartComfy();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  ComfyUiAdapter adapter(sim->base_url(), ShippedTemplate(), h.client());
  EXPECT_TRUE(h.Health(adapter).ok());
}

TEST(MakeAdapter, BuildsEachKind) {
  AdapterHarness h;
  BackendConfig config;
  config.name = "gpu-0";
  config.url = "http://127.0.0.1:8000";
  for (std::string kind : {"openai", "sdcpp", "comfyui"}) {
    config.adapter = kind;
    config.workflow = kTemplatePath;
    auto a = MakeAdapter(config, h.client());
    ASSERT_TRUE(a.ok()) << kind << ": " << a.status().ToString();
    EXPECT_EQ((*a)->kind(), kind);
  }
}

TEST(MakeAdapter, RejectsUnknownKindsAndBadUrls) {
  AdapterHarness h;
  BackendConfig config;
  config.name = "gpu-0";
  config.url = "http://127.0.0.1:8000";
  config.adapter = "triton";
  auto a = MakeAdapter(config, h.client());
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("gpu-0"), std::string::npos);
  EXPECT_NE(a.status().message().find("triton"), std::string::npos);
  config.adapter = "openai";
  for (std::string url :
       {"", "127.0.0.1:8000", "https://h:1", "http://h:1/?x=1"}) {
    config.url = url;
    a = MakeAdapter(config, h.client());
    EXPECT_FALSE(a.ok()) << url;
    EXPECT_NE(a.status().message().find("gpu-0"), std::string::npos) << url;
  }
}

TEST(MakeAdapter, ReadsTheComfyUiTemplateThroughTheFileSystem) {
  AdapterHarness h;
  zimon::testing::InMemoryFileSystem fs;
  BackendConfig config;
  config.name = "comfy-1";
  config.url = "http://127.0.0.1:8188";
  config.adapter = "comfyui";
  config.workflow = "wf.json";
  auto missing = MakeAdapter(config, h.client(), fs);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("comfy-1"), std::string::npos);
  EXPECT_NE(missing.status().message().find("wf.json"), std::string::npos)
      << missing.status().message();

  ASSERT_TRUE(fs.WriteFileAtomic("wf.json", R"({"1": {"class_type": "X",
      "inputs": {}}})")
                  .ok());
  auto bad = MakeAdapter(config, h.client(), fs);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("no KSampler"), std::string::npos)
      << bad.status().message();

  StatusOr<std::string> text = LocalFileSystem().ReadFile(kTemplatePath);
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(fs.WriteFileAtomic("wf.json", *text).ok());
  auto good = MakeAdapter(config, h.client(), fs);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ((*good)->kind(), "comfyui");
}

}  // namespace
}  // namespace zimon::gateway
