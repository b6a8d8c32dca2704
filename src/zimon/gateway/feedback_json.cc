#include "zimon/gateway/feedback_json.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace zimon::gateway {
namespace {

using nlohmann::json;

// Reads an optional string field; null and absent both leave `out` empty.
Status ReadOptionalString(const json& obj, const char* field,
                          std::string& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return OkStatus();
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(field) + " must be a string, got " +
                                it->type_name());
  }
  out = it->get<std::string>();
  return OkStatus();
}

Status ReadRating(const json& obj, int& out) {
  auto it = obj.find("rating");
  if (it == obj.end() || it->is_null()) {
    return InvalidArgumentError("rating is required (an integer from 1 to 5)");
  }
  if (!it->is_number_integer()) {
    return InvalidArgumentError(
        std::string("rating must be an integer from 1 to 5, got ") +
        (it->is_number_float() ? "a fractional number" : it->type_name()));
  }
  // Range-check in 64 bits before narrowing, so huge values cannot wrap into
  // range.
  int64_t value = it->is_number_unsigned()
                      ? static_cast<int64_t>(
                            std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX))
                      : it->get<int64_t>();
  if (value < kMinRating || value > kMaxRating) {
    return InvalidArgumentError("rating must be an integer from 1 to 5, got " +
                                std::to_string(value));
  }
  out = static_cast<int>(value);
  return OkStatus();
}

json FeedbackObject(const Feedback& feedback) {
  json out = json::object();
  out["id"] = feedback.id;
  out["object"] = "feedback";
  out["request_id"] = feedback.request_id;
  out["image_id"] =
      feedback.image_id.empty() ? json(nullptr) : json(feedback.image_id);
  out["rating"] = feedback.rating;
  out["comment"] = feedback.comment;
  out["created"] = std::chrono::duration_cast<std::chrono::seconds>(
                       feedback.created.time_since_epoch())
                       .count();
  return out;
}

// Stored text was validated as UTF-8 on the way in; replacing rather than
// throwing keeps a hand-edited database from breaking the report.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

StatusOr<FeedbackRequest> ParseFeedbackRequest(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    // Without nlohmann's "[json.exception.parse_error.101] " tag, which
    // means nothing to the client.
    std::string_view what = e.what();
    if (what.starts_with("[json.exception.")) {
      const size_t end = what.find("] ");
      if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    return InvalidArgumentError("malformed JSON body: " + std::string(what));
  }
  if (!doc.is_object()) {
    return InvalidArgumentError(
        std::string("body must be a JSON object, got ") + doc.type_name());
  }
  FeedbackRequest request;
  ZIMON_RETURN_IF_ERROR(
      ReadOptionalString(doc, "request_id", request.request_id));
  ZIMON_RETURN_IF_ERROR(ReadOptionalString(doc, "image_id", request.image_id));
  ZIMON_RETURN_IF_ERROR(ReadRating(doc, request.rating));
  ZIMON_RETURN_IF_ERROR(ReadOptionalString(doc, "comment", request.comment));
  ZIMON_RETURN_IF_ERROR(ValidateFeedbackRequest(request));
  return request;
}

std::string FeedbackResponseJson(const Feedback& feedback) {
  return Dump(FeedbackObject(feedback));
}

std::string FeedbackErrorJson(const Status& status) {
  int http = HttpStatusFor(status.code());
  std::string code(StatusCodeName(status.code()));
  for (char& c : code) c = static_cast<char>(std::tolower(c));
  json error = {
      {"message", status.message()},
      {"type",
       http >= 400 && http < 500 ? "invalid_request_error" : "server_error"},
      {"param", nullptr},
      {"code", code},
  };
  return Dump(json{{"error", error}});
}

std::string FeedbackReportJson(const RatingDistribution& distribution,
                               const std::vector<Feedback>& recent) {
  json ratings = json::object();
  for (size_t i = 0; i < distribution.counts.size(); ++i) {
    ratings[std::to_string(i + 1)] = distribution.counts[i];
  }
  json items = json::array();
  for (const Feedback& fb : recent) items.push_back(FeedbackObject(fb));
  json out = {{"ratings", ratings},
              {"total", distribution.total()},
              {"mean", distribution.mean()},
              {"recent", items}};
  return Dump(out);
}

}  // namespace zimon::gateway
