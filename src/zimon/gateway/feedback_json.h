// The JSON wire format of `POST /v1/feedback` (docs/feedback.md): parsing the
// request body into a FeedbackRequest and writing the answers, so that the
// HTTP route is a thin wrapper:
//
//   StatusOr<FeedbackRequest> req = ParseFeedbackRequest(body);
//   StatusOr<Feedback> fb = req.ok() ? store.AddFeedback(*req) : req.status();
//   if (!fb.ok()) reply(HttpStatusFor(fb.status().code()),
//                       FeedbackErrorJson(fb.status()));
//   else reply(200, FeedbackResponseJson(*fb));
//
// Thread safety: free functions on values; safe from any thread.
#ifndef ZIMON_GATEWAY_FEEDBACK_JSON_H_
#define ZIMON_GATEWAY_FEEDBACK_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/gateway/feedback_store.h"

namespace zimon::gateway {

// Parses `{"request_id": "...", "image_id": "...", "rating": 1..5,
// "comment": "..."}`. The ids and comment are optional strings (null is the
// same as absent); rating is a required integer (4.0, "4" and true are
// rejected). Unknown fields are ignored. Every error is kInvalidArgument with
// a message naming the field; the result also passes
// ValidateFeedbackRequest.
StatusOr<FeedbackRequest> ParseFeedbackRequest(std::string_view body);

// `{"id": 7, "object": "feedback", "request_id": "...", "image_id": "..." or
// null, "rating": 5, "comment": "...", "created": <unix seconds>}`.
std::string FeedbackResponseJson(const Feedback& feedback);

// OpenAI-style error body: `{"error": {"message": "...", "type": "...",
// "param": null, "code": "..."}}`; type is "invalid_request_error" for
// 4xx-class codes and "server_error" otherwise, code is the lower-case
// Status code name ("invalid_argument", "not_found", ...).
std::string FeedbackErrorJson(const Status& status);

// For reports: `{"ratings": {"1": n, ..., "5": n}, "total": n, "mean": x,
// "recent": [<FeedbackResponseJson objects>]}`.
std::string FeedbackReportJson(const RatingDistribution& distribution,
                               const std::vector<Feedback>& recent);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_FEEDBACK_JSON_H_
