// Helpers the simulator's HTTP fronts share: waiting for an engine result in
// a handler coroutine, base64, the /sim/state document, a stored zip.
//
// Thread safety: pure functions, except SubmitAndWait, which may run on any
// I/O strand concurrently (the engine is thread-safe).
#ifndef ZIMON_SIM_FRONT_COMMON_H_
#define ZIMON_SIM_FRONT_COMMON_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/sim/engine.h"

namespace zimon::sim {

// What becomes of a request whose client leaves before it is done.
enum class OnClientGone {
  kCancel,  // the server drops it (vLLM-Omni aborts a disconnected request)
  kFinish,  // the server runs it to the end all the same: sd-server's HTTP
            // handlers call generate_image synchronously and never look at
            // the connection
};

// Submits `request` and waits for its result without holding a thread.
// Returns Submit's error (kResourceExhausted: queue full; kUnavailable:
// crashed; kInvalidArgument), or kCancelled when `stop` is requested first
// (a hung request is never answered: this is how its handler ends); the
// engine request is then cancelled or left to run, as `gone` says. Any other
// outcome, OOM and CUDA errors included, is a result.
boost::asio::awaitable<StatusOr<ImageResult>> SubmitAndWait(
    SimEngine& engine, ImageRequest request, std::stop_token stop,
    OnClientGone gone = OnClientGone::kCancel);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Accepts padded or unpadded standard base64; kInvalidArgument otherwise.
StatusOr<std::string> Base64Decode(std::string_view text);

// Seconds since the Unix epoch (wall clock), for "created" fields.
int64_t UnixSeconds();
// A fresh random seed (for seed -1 and absent seeds).
uint64_t RandomSeed();

std::string_view LoadStateName(LoadState state);  // "cold", "loading", "warm"

// The GET /sim/state document: {"simulated":true,"profile":..,"stats":{..},
// "gpu":{..},"faults":{..}}.
std::string SimStateJson(const SimEngine& engine, std::string_view api);

// A zip archive of `files` (name, bytes), stored without compression (for
// vLLM-Omni's response_format "file" with n > 1).
std::string StoredZip(
    const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_FRONT_COMMON_H_
