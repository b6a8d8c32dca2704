// Faults: the failures a simulator injects, set at start (flags) and at
// runtime (`POST /sim/faults` with a JSON body, docs/sim.md).
//
//   {"error_rate": 0.05, "black_rate": 0.01, "spike_rate": 0.02,
//    "spike_factor": 8, "hang_rate": 0, "crash_rate": 0, "crash_now": false,
//    "slow_start_seconds": 30, "leak": false,
//    "noisy_neighbour": {"memory": "6GiB", "compute_share": 0.3,
//                        "pid": 4242, "name": "python3"}}
//
// A body updates the fields it names and keeps the others; "noisy_neighbour":
// null removes the neighbour; {"reset": true} starts from no faults.
//
// Thread safety: plain values and pure functions.
#ifndef ZIMON_SIM_FAULTS_H_
#define ZIMON_SIM_FAULTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zimon/common/status.h"

namespace zimon::sim {

// Another process on the same GPU: holds VRAM and takes a share of compute.
struct NoisyNeighbour {
  uint64_t memory_bytes = 0;
  double compute_share = 0;  // 0 <= share <= 0.95 of the GPU's time
  uint32_t pid = 0;          // 0: the engine picks one
  std::string name = "python3";
  friend bool operator==(const NoisyNeighbour&,
                         const NoisyNeighbour&) = default;
};

struct Faults {
  double error_rate = 0;     // request fails with a CUDA runtime error
  double black_rate = 0;     // image is all black (fp16 NaN latents, §7.3)
  double spike_rate = 0;     // probability that a request is slowed ...
  double spike_factor = 10;  // ... by this factor (>= 1)
  double hang_rate = 0;      // request never completes and holds its GPU slot
  double crash_rate = 0;     // request crashes the server process
  bool crash_now = false;    // action: crash as soon as the faults are applied
  double slow_start_seconds = 0;  // added to the cold start
  bool leak = false;  // activation memory is never freed between requests
  std::optional<NoisyNeighbour> noisy_neighbour;
  friend bool operator==(const Faults&, const Faults&) = default;
};

// Range checks; kInvalidArgument naming the field.
Status ValidateFaults(const Faults& faults);

// Applies a JSON body to `base`. kInvalidArgument for malformed JSON, a
// non-object body, unknown fields, wrong types and out-of-range values.
StatusOr<Faults> ParseFaultsJson(std::string_view body, const Faults& base);

// All fields, as a JSON object that ParseFaultsJson reads back.
std::string FaultsToJson(const Faults& faults);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_FAULTS_H_
