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

// Submits `request` and waits for its result without holding a thread.
// Returns Submit's error (kResourceExhausted: queue full; kUnavailable:
// crashed; kInvalidArgument), or kCancelled when `stop` is requested first, in
// which case the engine request is cancelled too (a hung request is never
// answered: this is how its handler ends). Any other outcome, OOM and CUDA
// errors included, is a result.
boost::asio::awaitable<StatusOr<ImageResult>> SubmitAndWait(
    SimEngine& engine, ImageRequest request, std::stop_token stop);

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
