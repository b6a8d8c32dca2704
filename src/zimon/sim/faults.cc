#include "zimon/sim/faults.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "zimon/common/units.h"

namespace zimon::sim {

namespace {

using Json = nlohmann::json;

constexpr const char* kKnownFields =
    "reset, error_rate, black_rate, spike_rate, spike_factor, hang_rate, "
    "crash_rate, crash_now, slow_start_seconds, leak, noisy_neighbour";

Status FieldError(std::string_view field, std::string_view what) {
  return InvalidArgumentError("faults: " + std::string(field) + " " +
                              std::string(what));
}

Status CheckRate(std::string_view field, double v) {
  if (!(v >= 0.0 && v <= 1.0)) {
    return FieldError(field,
                      "must be between 0 and 1, got " + std::to_string(v));
  }
  return OkStatus();
}

StatusOr<double> GetNumber(const Json& v, std::string_view field) {
  if (!v.is_number()) return FieldError(field, "must be a number");
  return v.get<double>();
}

StatusOr<bool> GetBool(const Json& v, std::string_view field) {
  if (!v.is_boolean()) return FieldError(field, "must be true or false");
  return v.get<bool>();
}

StatusOr<uint64_t> GetBytes(const Json& v, std::string_view field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_string()) {
    auto bytes = ParseByteSize(v.get<std::string>());
    if (!bytes.ok()) return FieldError(field, bytes.status().message());
    return *bytes;
  }
  return FieldError(field, "must be a byte count or a size such as \"6GiB\"");
}

StatusOr<NoisyNeighbour> ParseNeighbour(const Json& v, NoisyNeighbour n) {
  if (!v.is_object()) {
    return FieldError("noisy_neighbour", "must be an object or null");
  }
  for (const auto& [key, value] : v.items()) {
    if (key == "memory") {
      ZIMON_ASSIGN_OR_RETURN(n.memory_bytes,
                             GetBytes(value, "noisy_neighbour.memory"));
    } else if (key == "compute_share") {
      ZIMON_ASSIGN_OR_RETURN(n.compute_share,
                             GetNumber(value, "noisy_neighbour.compute_share"));
    } else if (key == "pid") {
      if (!value.is_number_unsigned() ||
          value.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
        return FieldError("noisy_neighbour.pid", "must be a process id");
      }
      n.pid = value.get<uint32_t>();
    } else if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return FieldError("noisy_neighbour.name", "must be a non-empty string");
      }
      n.name = value.get<std::string>();
    } else {
      return FieldError("noisy_neighbour." + key,
                        "is not a known field; known fields: memory, "
                        "compute_share, pid, name");
    }
  }
  return n;
}

}  // namespace

Status ValidateFaults(const Faults& f) {
  ZIMON_RETURN_IF_ERROR(CheckRate("error_rate", f.error_rate));
  ZIMON_RETURN_IF_ERROR(CheckRate("black_rate", f.black_rate));
  ZIMON_RETURN_IF_ERROR(CheckRate("spike_rate", f.spike_rate));
  ZIMON_RETURN_IF_ERROR(CheckRate("hang_rate", f.hang_rate));
  ZIMON_RETURN_IF_ERROR(CheckRate("crash_rate", f.crash_rate));
  if (!(f.spike_factor >= 1.0 && f.spike_factor <= 1000.0)) {
    return FieldError("spike_factor", "must be between 1 and 1000, got " +
                                          std::to_string(f.spike_factor));
  }
  if (!(f.slow_start_seconds >= 0.0 && f.slow_start_seconds <= 86400.0)) {
    return FieldError("slow_start_seconds",
                      "must be between 0 and 86400, got " +
                          std::to_string(f.slow_start_seconds));
  }
  if (f.noisy_neighbour) {
    double share = f.noisy_neighbour->compute_share;
    if (!(share >= 0.0 && share <= 0.95)) {
      return FieldError(
          "noisy_neighbour.compute_share",
          "must be between 0 and 0.95, got " + std::to_string(share));
    }
  }
  return OkStatus();
}

StatusOr<Faults> ParseFaultsJson(std::string_view body, const Faults& base) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return InvalidArgumentError("faults: body is not valid JSON");
  }
  if (!doc.is_object()) {
    return InvalidArgumentError("faults: body must be a JSON object");
  }
  Faults f = base;
  if (auto it = doc.find("reset"); it != doc.end()) {
    ZIMON_ASSIGN_OR_RETURN(bool reset, GetBool(*it, "reset"));
    if (reset) f = Faults();
  }
  for (const auto& [key, v] : doc.items()) {
    if (key == "reset") continue;
    if (key == "error_rate") {
      ZIMON_ASSIGN_OR_RETURN(f.error_rate, GetNumber(v, key));
    } else if (key == "black_rate") {
      ZIMON_ASSIGN_OR_RETURN(f.black_rate, GetNumber(v, key));
    } else if (key == "spike_rate") {
      ZIMON_ASSIGN_OR_RETURN(f.spike_rate, GetNumber(v, key));
    } else if (key == "spike_factor") {
      ZIMON_ASSIGN_OR_RETURN(f.spike_factor, GetNumber(v, key));
    } else if (key == "hang_rate") {
      ZIMON_ASSIGN_OR_RETURN(f.hang_rate, GetNumber(v, key));
    } else if (key == "crash_rate") {
      ZIMON_ASSIGN_OR_RETURN(f.crash_rate, GetNumber(v, key));
    } else if (key == "crash_now") {
      ZIMON_ASSIGN_OR_RETURN(f.crash_now, GetBool(v, key));
    } else if (key == "slow_start_seconds") {
      ZIMON_ASSIGN_OR_RETURN(f.slow_start_seconds, GetNumber(v, key));
    } else if (key == "leak") {
      ZIMON_ASSIGN_OR_RETURN(f.leak, GetBool(v, key));
    } else if (key == "noisy_neighbour") {
      if (v.is_null()) {
        f.noisy_neighbour.reset();
      } else {
        ZIMON_ASSIGN_OR_RETURN(
            f.noisy_neighbour,
            ParseNeighbour(v, f.noisy_neighbour.value_or(NoisyNeighbour())));
      }
    } else {
      return FieldError(
          key,
          std::string("is not a known field; known fields: ") + kKnownFields);
    }
  }
  ZIMON_RETURN_IF_ERROR(ValidateFaults(f));
  return f;
}

std::string FaultsToJson(const Faults& f) {
  Json j = {
      {"error_rate", f.error_rate},
      {"black_rate", f.black_rate},
      {"spike_rate", f.spike_rate},
      {"spike_factor", f.spike_factor},
      {"hang_rate", f.hang_rate},
      {"crash_rate", f.crash_rate},
      {"crash_now", f.crash_now},
      {"slow_start_seconds", f.slow_start_seconds},
      {"leak", f.leak},
  };
  if (f.noisy_neighbour) {
    j["noisy_neighbour"] = {{"memory", f.noisy_neighbour->memory_bytes},
                            {"compute_share", f.noisy_neighbour->compute_share},
                            {"pid", f.noisy_neighbour->pid},
                            {"name", f.noisy_neighbour->name}};
  } else {
    j["noisy_neighbour"] = nullptr;
  }
  return j.dump();
}

}  // namespace zimon::sim
