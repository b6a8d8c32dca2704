#include "zimon/sim/front_common.h"

#include <zlib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "zimon/http/async.h"
#include "zimon/sim/faults.h"

namespace zimon::sim {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// What on_done hands to the waiting handler.
struct Waiter {
  http::AsyncNotification done;
  std::mutex mu;
  std::optional<ImageResult> result;  // guarded by mu
};

void Put16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

}  // namespace

boost::asio::awaitable<StatusOr<ImageResult>> SubmitAndWait(
    SimEngine& engine, ImageRequest request, std::stop_token stop,
    OnClientGone gone) {
  auto waiter = std::make_shared<Waiter>();
  RequestCallbacks callbacks;
  callbacks.on_done = [waiter](ImageResult result) {
    {
      std::lock_guard<std::mutex> lock(waiter->mu);
      waiter->result = std::move(result);
    }
    waiter->done.Notify();
  };
  StatusOr<uint64_t> id =
      engine.Submit(std::move(request), std::move(callbacks));
  if (!id.ok()) co_return id.status();
  Status waited = co_await waiter->done.Wait(stop);
  if (!waited.ok()) {
    // The client is gone (or the server is shutting down). NotFound means it
    // finished meanwhile; nothing is waiting for it either way.
    if (gone == OnClientGone::kCancel) (void)engine.Cancel(*id);
    co_return CancelledError("client went away before the image was ready");
  }
  std::lock_guard<std::mutex> lock(waiter->mu);
  co_return std::move(*waiter->result);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) {
    return InvalidArgumentError("base64: truncated input");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = DecodeChar(c);
    if (v < 0) return InvalidArgumentError("base64: invalid character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t RandomSeed() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return rng() >> 33;  // fits the int64 / uint32 seeds clients show
}

std::string_view LoadStateName(LoadState state) {
  switch (state) {
    case LoadState::kCold:
      return "cold";
    case LoadState::kLoading:
      return "loading";
    case LoadState::kWarm:
      return "warm";
  }
  return "cold";
}

std::string SimStateJson(const SimEngine& engine, std::string_view api) {
  using nlohmann::json;
  EngineStats s = engine.Stats();
  GpuView g = engine.Gpu();
  const SimOptions& o = engine.options();
  json doc;
  doc["simulated"] = true;
  doc["api"] = api;
  doc["profile"] = o.profile.name;
  doc["mode"] = o.mode == SchedulingMode::kParallel ? "parallel" : "queue";
  doc["max_batch"] = o.max_batch;
  doc["max_queue"] = o.max_queue;
  doc["offload"] = o.offload;
  doc["stats"] = {
      {"load_state", LoadStateName(s.load_state)},
      {"crashed", s.crashed},
      {"queue_depth", s.queue_depth},
      {"running_requests", s.running_requests},
      {"running_images", s.running_images},
      {"queued_ids", s.queued_ids},
      {"running_ids", s.running_ids},
      {"busy_seconds_total", s.busy_seconds_total},
      {"requests_ok", s.requests_ok},
      {"requests_oom", s.requests_oom},
      {"requests_error", s.requests_error},
      {"requests_cancelled", s.requests_cancelled},
      {"rejected_queue_full", s.rejected_queue_full},
      {"images_ok", s.images_ok},
      {"images_black", s.images_black},
  };
  json gpu = {
      {"name", g.name},
      {"index", g.index},
      {"total_bytes", g.total_bytes},
      {"used_bytes", g.UsedBytes()},
      {"process_bytes", g.process_bytes},
      {"allocated_bytes", g.allocated_bytes},
      {"leaked_bytes", g.leaked_bytes},
      {"pid", g.pid},
      {"busy", g.busy},
      {"busy_seconds_total", g.busy_seconds_total},
      {"neighbour", nullptr},
  };
  if (g.neighbour) {
    gpu["neighbour"] = {{"pid", g.neighbour->pid},
                        {"name", g.neighbour->name},
                        {"memory_bytes", g.neighbour->memory_bytes},
                        {"compute_share", g.neighbour->compute_share}};
  }
  doc["gpu"] = std::move(gpu);
  doc["faults"] = json::parse(FaultsToJson(engine.faults()));
  return doc.dump();
}

std::string StoredZip(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, central;
  constexpr uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
  for (const auto& [name, data] : files) {
    uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()),
              static_cast<uInt>(data.size())));
    uint32_t offset = static_cast<uint32_t>(out.size());
    uint32_t size = static_cast<uint32_t>(data.size());
    // Local file header.
    Put32(out, 0x04034b50);
    Put16(out, 20);  // version needed
    Put16(out, 0);   // flags
    Put16(out, 0);   // stored
    Put16(out, 0);   // time
    Put16(out, kDosDate);
    Put32(out, crc);
    Put32(out, size);
    Put32(out, size);
    Put16(out, static_cast<uint32_t>(name.size()));
    Put16(out, 0);  // extra
    out += name;
    out += data;
    // Central directory entry.
    Put32(central, 0x02014b50);
    Put16(central, 20);  // made by
    Put16(central, 20);  // needed
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, kDosDate);
    Put32(central, crc);
    Put32(central, size);
    Put32(central, size);
    Put16(central, static_cast<uint32_t>(name.size()));
    Put16(central, 0);  // extra
    Put16(central, 0);  // comment
    Put16(central, 0);  // disk
    Put16(central, 0);  // internal attributes
    Put32(central, 0);  // external attributes
    Put32(central, offset);
    central += name;
  }
  uint32_t central_offset = static_cast<uint32_t>(out.size());
  out += central;
  Put32(out, 0x06054b50);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, static_cast<uint32_t>(files.size()));
  Put16(out, static_cast<uint32_t>(files.size()));
  Put32(out, static_cast<uint32_t>(central.size()));
  Put32(out, central_offset);
  Put16(out, 0);
  return out;
}

}  // namespace zimon::sim
