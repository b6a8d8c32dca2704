#include "zimon/sim/vllm_front_request.h"

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

namespace zimon::sim {
namespace {

using nlohmann::json;

// Collects pydantic v2 error entries, as FastAPI reports them (all at once).
class Validation {
 public:
  explicit Validation(const json& body) : body_(body) {}

  void Add(std::string_view type, const std::string& field,
           std::string_view msg, const json& input, json ctx = nullptr) {
    json e = {{"type", type},
              {"loc", json::array({"body", field})},
              {"msg", msg},
              {"input", input}};
    if (!ctx.is_null()) e["ctx"] = std::move(ctx);
    errors_.push_back(std::move(e));
  }

  // A string field; nullopt when absent (or null and optional) or invalid.
  std::optional<std::string> Str(const std::string& field, bool required) {
    auto it = body_.find(field);
    if (it == body_.end() || (it->is_null() && !required)) {
      if (required) {
        Add("missing", field, "Field required", body_);
      }
      return std::nullopt;
    }
    if (!it->is_string()) {
      Add("string_type", field, "Input should be a valid string", *it);
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  // An optional integer field with inclusive bounds.
  std::optional<int64_t> Int(const std::string& field,
                             std::optional<int64_t> ge,
                             std::optional<int64_t> le) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) return std::nullopt;
    const json& v = *it;
    int64_t value = 0;
    if (v.is_boolean()) {
      value = v.get<bool>() ? 1 : 0;
    } else if (v.is_number_integer()) {
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        value = INT64_MAX;
      } else {
        value = v.get<int64_t>();
      }
    } else if (v.is_number_float()) {
      double d = v.get<double>();
      if (d != static_cast<double>(static_cast<int64_t>(d))) {
        Add("int_from_float", field,
            "Input should be a valid integer, got a number with a "
            "fractional part",
            v);
        return std::nullopt;
      }
      value = static_cast<int64_t>(d);
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      char* end = nullptr;
      errno = 0;
      long long parsed = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || errno != 0) {
        Add("int_parsing", field,
            "Input should be a valid integer, unable to parse string as an "
            "integer",
            v);
        return std::nullopt;
      }
      value = parsed;
    } else {
      Add("int_type", field, "Input should be a valid integer", v);
      return std::nullopt;
    }
    if (ge && value < *ge) {
      Add("greater_than_equal", field,
          "Input should be greater than or equal to " + std::to_string(*ge), v,
          json{{"ge", *ge}});
      return std::nullopt;
    }
    if (le && value > *le) {
      Add("less_than_equal", field,
          "Input should be less than or equal to " + std::to_string(*le), v,
          json{{"le", *le}});
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> Float(const std::string& field, double ge, double le) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) return std::nullopt;
    const json& v = *it;
    double value = 0;
    if (v.is_number() || v.is_boolean()) {
      value = v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      char* end = nullptr;
      value = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0') {
        Add("float_parsing", field,
            "Input should be a valid number, unable to parse string as a "
            "number",
            v);
        return std::nullopt;
      }
    } else {
      Add("float_type", field, "Input should be a valid number", v);
      return std::nullopt;
    }
    if (value < ge) {
      Add("greater_than_equal", field,
          "Input should be greater than or equal to " + json(ge).dump(), v,
          json{{"ge", ge}});
      return std::nullopt;
    }
    if (value > le) {
      Add("less_than_equal", field,
          "Input should be less than or equal to " + json(le).dump(), v,
          json{{"le", le}});
      return std::nullopt;
    }
    return value;
  }

  bool ok() const { return errors_.empty(); }
  http::Response Response() const {
    return http::Response::Json(422, json{{"detail", errors_}}.dump());
  }

 private:
  const json& body_;
  json errors_ = json::array();
};

http::Response BodyError(std::string_view type, std::string_view msg,
                         const json& input, json loc_extra = nullptr,
                         json ctx = nullptr) {
  json loc = json::array({"body"});
  if (!loc_extra.is_null()) loc.push_back(std::move(loc_extra));
  json e = {{"type", type}, {"loc", loc}, {"msg", msg}, {"input", input}};
  if (!ctx.is_null()) e["ctx"] = std::move(ctx);
  return http::Response::Json(422, json{{"detail", json::array({e})}}.dump());
}

}  // namespace

http::Response VllmDetail(int status, std::string_view message) {
  return http::Response::Json(status, json{{"detail", message}}.dump());
}

VllmParseResult ParseVllmImageRequest(std::string_view text) {
  VllmParseResult out;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out.error = BodyError("missing", "Field required", nullptr);
    return out;
  }
  json body;
  try {
    body = json::parse(text);
  } catch (const json::parse_error& e) {
    size_t pos = e.byte > 0 ? e.byte - 1 : 0;
    out.error = BodyError("json_invalid", "JSON decode error", json::object(),
                          pos, json{{"error", "Expecting value"}});
    return out;
  }
  if (!body.is_object()) {
    out.error = BodyError(
        "model_attributes_type",
        "Input should be a valid dictionary or object to extract fields from",
        body);
    return out;
  }

  Validation v(body);
  VllmImageRequest req;
  std::optional<std::string> prompt = v.Str("prompt", true);
  std::optional<std::string> negative = v.Str("negative_prompt", false);
  std::optional<std::string> size = v.Str("size", false);
  std::optional<std::string> format = v.Str("response_format", false);
  (void)v.Str("model", false);
  (void)v.Str("user", false);
  std::optional<int64_t> n = v.Int("n", 1, kVllmMaxImages);
  std::optional<int64_t> steps = v.Int("num_inference_steps", 1, 200);
  std::optional<int64_t> seed = v.Int("seed", std::nullopt, std::nullopt);
  (void)v.Float("guidance_scale", 0.0, 20.0);  // forced to 0 for Turbo
  if (format && *format != "b64_json" && *format != "file") {
    v.Add("value_error", "response_format",
          "Value error, Only 'b64_json' or 'file' response formats are "
          "supported",
          *format, json{{"error", json::object()}});
  }
  if (!v.ok()) {
    out.error = v.Response();
    return out;
  }

  req.prompt = std::move(*prompt);
  if (negative) req.negative_prompt = std::move(*negative);
  if (n) req.n = static_cast<int>(*n);
  req.seed = seed;
  req.file = format && *format == "file";
  if (size && *size != "auto") {
    static const std::regex kSize("^([0-9]+)x([0-9]+)$");
    std::smatch m;
    if (!std::regex_match(*size, m, kSize)) {
      out.error = VllmDetail(
          400, "Invalid size format: '" + *size +
                   "'. Expected format: 'WIDTHxHEIGHT' (e.g., '1024x1024').");
      return out;
    }
    StatusOr<ImageSize> parsed = ParseImageSize(*size);
    if (!parsed.ok()) {
      out.error = VllmDetail(
          400, "Invalid size '" + *size + "': " + parsed.status().message());
      return out;
    }
    req.size = *parsed;
  }
  if (steps) {
    if (*steps > kVllmMaxSteps) {
      out.error = VllmDetail(
          400, "num_inference_steps=" + std::to_string(*steps) +
                   " exceeds the maximum of " + std::to_string(kVllmMaxSteps) +
                   " for Tongyi-MAI/Z-Image-Turbo");
      return out;
    }
    req.steps = static_cast<int>(*steps);
  }
  out.request = std::move(req);
  return out;
}

}  // namespace zimon::sim
