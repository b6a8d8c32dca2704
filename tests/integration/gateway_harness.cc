#include "tests/integration/gateway_harness.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "zimon/gateway/base64.h"
#include "zimon/http/client.h"

#ifndef ZIMON_BINARY
#error "ZIMON_BINARY must name the zimon executable"
#endif

namespace zimon::integration {

using testing::Subprocess;
using testing::SubprocessOptions;
using Json = nlohmann::json;

namespace {

std::string ErrorField(const Json& json, const char* field) {
  if (!json.is_object() || !json.contains("error")) return "";
  const Json& error = json["error"];
  if (!error.is_object() || !error.contains(field)) return "";
  const Json& value = error[field];
  return value.is_string() ? value.get<std::string>() : "";
}

// Starts `zimon args...` and reads stdout until a line starting with
// `prefix`; the text after the prefix up to `until` is the URL.
std::string StartAndReadUrl(const std::vector<std::string>& args,
                            const std::string& prefix, const std::string& until,
                            std::unique_ptr<Subprocess>& child,
                            std::string& error) {
  SubprocessOptions options;
  options.args = args;
  StatusOr<std::unique_ptr<Subprocess>> started =
      Subprocess::Start(ZIMON_BINARY, options);
  if (!started.ok()) {
    error = started.status().ToString();
    return "";
  }
  child = std::move(*started);
  auto deadline = std::chrono::steady_clock::now() + kProcessStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    StatusOr<std::string> line = child->ReadLine(kProcessStartTimeout);
    if (!line.ok()) {
      error = line.status().ToString();
      return "";
    }
    if (line->rfind(prefix, 0) != 0) continue;
    size_t end = line->find(until, prefix.size());
    if (end == std::string::npos) continue;
    return line->substr(prefix.size(), end - prefix.size());
  }
  error = "no \"" + prefix + "\" line on stdout";
  return "";
}

}  // namespace

std::string Reply::ErrorCode() const { return ErrorField(json, "code"); }
std::string Reply::ErrorParam() const { return ErrorField(json, "param"); }
std::string Reply::ErrorType() const { return ErrorField(json, "type"); }

Reply Call(const std::string& method, const std::string& url,
           const std::string& body, const http::Headers& headers,
           std::chrono::milliseconds timeout) {
  http::ClientRequest request(method, url, body);
  request.headers = headers;
  if (!body.empty() && !request.headers.Has("Content-Type")) {
    request.headers.Set("Content-Type", "application/json");
  }
  request.timeout = timeout;
  Reply reply;
  auto start = std::chrono::steady_clock::now();
  StatusOr<http::Response> response = http::Fetch(std::move(request));
  reply.elapsed = std::chrono::steady_clock::now() - start;
  if (!response.ok()) {
    reply.transport = response.status();
    return reply;
  }
  reply.status = response->status;
  reply.headers = std::move(response->headers);
  reply.body = std::move(response->body);
  reply.json = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

std::vector<Reply> Burst(const std::string& url, const std::string& body,
                         int count, const http::Headers& headers) {
  std::vector<Reply> replies(static_cast<size_t>(count));
  std::vector<std::thread> threads;
  threads.reserve(replies.size());
  for (Reply& reply : replies) {
    threads.emplace_back([&reply, &url, &body, &headers] {
      reply = Call("POST", url, body, headers);
    });
  }
  for (std::thread& t : threads) t.join();
  return replies;
}

bool PollUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // poll
  } while (std::chrono::steady_clock::now() < deadline);
  return done();
}

std::string ImageBody(const std::string& size, const Json& extra,
                      const std::string& prompt) {
  Json body = extra;
  body["prompt"] = prompt;
  body["size"] = size;
  return body.dump();
}

std::optional<PngSize> PngDimensions(std::string_view bytes) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 24 || bytes.substr(0, 8) != kSignature ||
      bytes.substr(12, 4) != "IHDR") {
    return std::nullopt;
  }
  auto be32 = [&](size_t at) {
    int v = 0;
    for (size_t i = 0; i < 4; ++i) {
      v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    }
    return v;
  };
  return PngSize{be32(16), be32(20)};
}

std::string DecodedImage(const Reply& reply, size_t index) {
  const Json& data = reply.json.is_object() && reply.json.contains("data")
                         ? reply.json["data"]
                         : Json();
  if (!data.is_array() || data.size() <= index ||
      !data[index].contains("b64_json") ||
      !data[index]["b64_json"].is_string()) {
    ADD_FAILURE() << "no data[" << index << "].b64_json in "
                  << reply.body.substr(0, 300);
    return "";
  }
  StatusOr<std::string> bytes =
      gateway::Base64Decode(data[index]["b64_json"].get<std::string>());
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? std::move(*bytes) : std::string();
}

RunningSim::RunningSim(std::vector<std::string> extra_args) {
  std::vector<std::string> args = {"sim", "--listen", "127.0.0.1:0",
                                   "--cold-start", "0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // "zimon sim: serving http://127.0.0.1:PORT (vllm-omni API, ...)"
  url_ =
      StartAndReadUrl(args, "zimon sim: serving ", " (", child_, start_error_);
}

std::string RunningSim::StartError() const {
  if (started()) return "";
  return start_error_ +
         "; stderr: " + (child_ ? child_->StderrSoFar() : std::string());
}

Json RunningSim::State() const {
  Reply r = Call("GET", url_ + "/sim/state", "", {}, std::chrono::seconds(10));
  EXPECT_TRUE(r.transport.ok()) << r.transport.ToString();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json.is_object()) << r.body;
  return r.json.is_object() ? r.json : Json();
}

int64_t RunningSim::Stat(const std::string& name) const {
  Json state = State();
  if (!state.is_object() || !state.contains("stats") ||
      !state["stats"].contains(name) ||
      !state["stats"][name].is_number_integer()) {
    return -1;
  }
  return state["stats"][name].get<int64_t>();
}

void RunningSim::WarmUp(const std::string& body) {
  Reply r = Call("POST", url_ + "/v1/images/generations", body);
  EXPECT_TRUE(r.transport.ok()) << r.transport.ToString();
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
}

void RunningSim::Kill() {
  ASSERT_TRUE(child_->Signal(SIGKILL).ok());
  StatusOr<testing::ExitStatus> exit = child_->Wait(kProcessStartTimeout);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
}

RunningGateway::RunningGateway(const GatewaySetup& setup) {
  std::string config_path = dir_.Join("zimon.yaml");
  std::ostringstream config;
  config << "log:\n"
         << "  level: warn\n"
         << "server:\n"
         << "  shutdown_grace: " << setup.shutdown_grace.count() << "s\n"
         << setup.server_yaml << "gateway:\n"
         << "  image_dir: \"" << dir_.Join("images") << "\"\n"
         << "  feedback_db: \""
         << (setup.feedback_db.empty() ? dir_.Join("feedback.db")
                                       : setup.feedback_db)
         << "\"\n";
  if (setup.gateway_yaml.find("health_interval:") == std::string::npos) {
    config << "  health_interval: 1s\n";
  }
  config << setup.gateway_yaml;
  {
    std::ofstream out(config_path, std::ios::trunc);
    out << config.str();
    out.close();
    if (!out.good()) {
      start_error_ = "cannot write " + config_path;
      return;
    }
  }
  std::vector<std::string> args = {
      "serve",          "-c",          config_path,
      "--listen",       "127.0.0.1:0", "--access-log",
      setup.access_log, "--adapter",   setup.adapter};
  for (const std::string& b : setup.backends) {
    args.push_back("--backend");
    args.push_back(b);
  }
  // "zimon serve: image API http://127.0.0.1:PORT/v1/images/generations, ..."
  url_ = StartAndReadUrl(args, "zimon serve: image API ",
                         "/v1/images/generations", child_, start_error_);
}

std::string RunningGateway::StartError() const {
  if (started()) return "";
  return start_error_ + "; stderr: " + Stderr();
}

Reply RunningGateway::Generate(const std::string& body,
                               const http::Headers& headers,
                               std::chrono::milliseconds timeout) const {
  return Call("POST", url_ + "/v1/images/generations", body, headers, timeout);
}

Reply RunningGateway::Get(const std::string& path) const {
  return Call("GET", url_ + path);
}

Reply RunningGateway::Post(const std::string& path, const std::string& body,
                           const http::Headers& headers) const {
  return Call("POST", url_ + path, body, headers);
}

metrics::ParsedExposition RunningGateway::Metrics() const {
  Reply r = Get("/metrics");
  EXPECT_TRUE(r.transport.ok()) << r.transport.ToString();
  EXPECT_EQ(r.status, 200);
  StatusOr<metrics::ParsedExposition> parsed = metrics::ParseExposition(
      r.body, metrics::ExpositionFormat::kPrometheusText);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(*parsed) : metrics::ParsedExposition{};
}

Json RunningGateway::Backend(const std::string& name) const {
  Reply r = Get("/v1/backends");
  EXPECT_EQ(r.status, 200) << r.body;
  if (!r.json.is_object() || !r.json["backends"].is_array()) return Json();
  for (const Json& b : r.json["backends"]) {
    if (b.value("name", "") == name) return b;
  }
  return Json();
}

StatusOr<testing::ExitStatus> RunningGateway::Stop() {
  ZIMON_RETURN_IF_ERROR(child_->Signal(SIGTERM));
  return child_->Wait(kGatewayGrace * 5);
}

RunningDemo::RunningDemo(const std::string& data_dir) {
  std::vector<std::string> args = {"demo",       "--listen", "127.0.0.1:0",
                                   "--workers",  "1",        "--no-load",
                                   "--data-dir", data_dir};
  // "  image API   http://127.0.0.1:PORT/v1/images/generations"
  url_ = StartAndReadUrl(args, "  image API   ", "/v1/images/generations",
                         child_, start_error_);
}

std::string RunningDemo::StartError() const {
  if (started()) return "";
  return start_error_ + "; stderr: " + Stderr();
}

Reply RunningDemo::Generate(const std::string& body) const {
  return Call("POST", url_ + "/v1/images/generations", body);
}

StatusOr<testing::ExitStatus> RunningDemo::Stop() {
  ZIMON_RETURN_IF_ERROR(child_->Signal(SIGTERM));
  // The gateway's grace (the default, 10 s) plus the worker's 2 s.
  return child_->Wait(std::chrono::seconds(30));
}

}  // namespace zimon::integration
