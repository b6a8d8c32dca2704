// What follows an attempt at a backend (an error answer, or scoring,
// storing and rendering the images), and the image and feedback routes.
#include <random>

#include "zimon/common/logging.h"
#include "zimon/gateway/feedback_json.h"
#include "zimon/gateway/gateway_impl.h"
#include "zimon/http/byte_range.h"

namespace zimon::gateway {
namespace {

using boost::asio::awaitable;

// gateway.quality_sample: true for that share of calls, at random.
bool SampleForScoring(double share) {
  if (share >= 1) return true;
  if (share <= 0) return false;
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(engine) < share;
}

}  // namespace

http::Response Gateway::Impl::Reply(const ApiError& e) {
  http::Response r = http::Response::Json(e.http_status, ErrorJson(e));
  if (e.retry_after) {
    r.headers.Set("Retry-After",
                  std::to_string(std::max<int64_t>(1, e.retry_after->count())));
  }
  return r;
}

http::Response Gateway::Impl::FailedAttempt(const Attempt& attempt,
                                            Trail& trail) const {
  const Status& admission = attempt.admission;
  if (!admission.ok()) {
    switch (admission.code()) {
      case StatusCode::kResourceExhausted:
        trail.outcome = RequestOutcome::kRejected;
        return Reply(QueueFull(attempt.retry_after));
      case StatusCode::kDeadlineExceeded:
        trail.outcome = RequestOutcome::kTimeout;
        return Reply(Timeout(trail.timeout));
      case StatusCode::kCancelled:
        // The client left (or the gateway is stopping); nobody reads this.
        trail.outcome = RequestOutcome::kClientError;
        return Reply(MakeApiError(503, "server_error",
                                  std::string(admission.message()),
                                  "cancelled"));
      default:
        trail.outcome = RequestOutcome::kRejected;
        return Reply(NoHealthyBackend(
            std::max(std::chrono::seconds(1), admission_.RetryAfter())));
    }
  }
  const UpstreamResult& r = attempt.result;
  std::string from = "backend \"" + attempt.backend + "\": ";
  switch (r.outcome) {
    case UpstreamOutcome::kSuccess:
      break;
    case UpstreamOutcome::kNotStarted: {
      trail.outcome = RequestOutcome::kBackendError;
      ApiError e = NoHealthyBackend(std::chrono::seconds(1));
      e.message = "No backend could start the request; the last one tried, " +
                  from + std::string(r.status.message());
      return Reply(e);
    }
    case UpstreamOutcome::kOom: {
      trail.outcome = RequestOutcome::kOom;
      ApiError e = MakeApiError(503, "server_error",
                                from + "ran out of GPU memory", "oom");
      e.retry_after = std::chrono::seconds(1);
      return Reply(e);
    }
    case UpstreamOutcome::kFailure:
      if (r.status.code() == StatusCode::kDeadlineExceeded) {
        trail.outcome = RequestOutcome::kTimeout;
        return Reply(Timeout(trail.timeout));
      }
      break;
    case UpstreamOutcome::kCancelled:
      trail.outcome = RequestOutcome::kClientError;
      return Reply(MakeApiError(503, "server_error", "the client went away",
                                "cancelled"));
    case UpstreamOutcome::kClientError:
      trail.outcome = RequestOutcome::kClientError;
      return Reply(InvalidRequest(from + std::string(r.status.message()), "",
                                  "rejected_by_backend"));
  }
  trail.outcome = RequestOutcome::kBackendError;
  return Reply(BackendError(from + std::string(r.status.message())));
}

awaitable<http::Response> Gateway::Impl::Deliver(const ImageRequest& image,
                                                 const std::string& url_base,
                                                 Attempt& attempt,
                                                 Trail& trail) {
  struct Scored {
    std::vector<std::optional<QualityReport>> reports;  // nullopt: unscored
    std::vector<std::string> ids;
    Status stored;
  };
  std::vector<GeneratedImage>& images = attempt.result.images;
  bool to_files = image.response_format == ResponseFormat::kUrl;
  // gateway.quality_sample: which images are scored. Images neither scored
  // nor written to a file stay base64 text from the backend to the client.
  std::vector<bool> score(images.size());
  bool blocking_work = to_files;
  for (size_t i = 0; i < images.size(); ++i) {
    score[i] = SampleForScoring(options_.config.quality_sample);
    blocking_work = blocking_work || score[i];
  }
  auto score_and_store = [&] {
    Scored out;
    out.reports.reserve(images.size());
    out.ids.reserve(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      GeneratedImage& img = images[i];
      // Adapters check base64 before handing it over: DecodeImage only
      // fails on a bug, and the image then scores as undecodable.
      Status decoded = score[i] || to_files ? DecodeImage(img) : OkStatus();
      if (score[i]) {
        StatusOr<QualityReport> report =
            ScoreImage(img.bytes, options_.quality);
        out.reports.push_back(report.ok() ? std::move(*report)
                                          : QualityReport{});
      } else {
        out.reports.push_back(std::nullopt);
      }
      std::optional<std::string> derived;
      if (trail.request_id_made) derived = DerivedImageId(image.request_id, i);
      out.ids.push_back(derived ? std::move(*derived)
                                : ImageStore::NewImageId());
      if (to_files && out.stored.ok()) {
        out.stored =
            decoded.ok() ? images_.Put(out.ids.back(), img.bytes) : decoded;
      }
    }
    return out;
  };
  Scored scored;
  if (blocking_work) {
    scored = co_await Offload(score_and_store);
  } else {
    scored = score_and_store();  // nothing that blocks: no thread hop
  }
  bool bad = false;
  std::optional<double> lowest;
  for (const std::optional<QualityReport>& sampled : scored.reports) {
    if (!sampled) continue;
    const QualityReport& report = *sampled;
    quality_metrics_.Record(report);
    bad = bad || report.IsBad();
    if (report.width > 0 && (!lowest || report.score < *lowest)) {
      lowest = report.score;
    }
  }
  trail.entry.quality_score = lowest;
  if (bad && options_.config.bad_image_is_failure) {
    trail.outcome = RequestOutcome::kBadImage;
    log::Warn("backend returned a bad image",
              {{"request_id", image.request_id}, {"backend", attempt.backend}});
    co_return Reply(MakeApiError(502, "server_error",
                                 "backend \"" + attempt.backend +
                                     "\" returned a black, blank or "
                                     "undecodable image",
                                 "bad_image"));
  }
  if (!scored.stored.ok()) {
    trail.outcome = RequestOutcome::kBackendError;
    log::Error("cannot store generated image",
               {{"request_id", image.request_id},
                {"error", scored.stored.ToString()}});
    co_return Reply(InternalServerError("cannot store the image for its URL"));
  }
  const std::string& size = trail.entry.size;  // image.SizeString()
  std::vector<RenderedImage> rendered;
  rendered.reserve(images.size());
  std::string ids_header;
  for (size_t i = 0; i < images.size(); ++i) {
    ImageRecord record;
    record.request_id = image.request_id;
    record.image_id = scored.ids[i];
    record.backend = attempt.backend;
    record.size = size;
    if (scored.reports[i] && scored.reports[i]->width > 0) {
      record.quality_score = scored.reports[i]->score;
    }
    recorder_.Record(std::move(record));
    RenderedImage out;
    if (to_files) {
      out.url = ImageUrl(url_base, scored.ids[i]);
    } else if (!images[i].b64.empty()) {
      out.b64 = std::move(images[i].b64);
    } else {
      out.bytes = std::move(images[i].bytes);
    }
    rendered.push_back(std::move(out));
    if (!ids_header.empty()) ids_header += ',';
    ids_header += scored.ids[i];
  }
  trail.outcome = RequestOutcome::kSuccess;
  trail.entry.images = static_cast<int>(rendered.size());
  metrics_.Delivered(size, static_cast<int>(rendered.size()));
  auto created = std::chrono::duration_cast<std::chrono::seconds>(
                     clock_.Now().time_since_epoch())
                     .count();
  http::Response response;
  response.headers.Set("Content-Type", "application/json");
  response.body_parts = RenderImagesResponseParts(created, rendered);
  response.headers.Set("X-Image-Ids", ids_header);
  co_return response;
}

awaitable<http::Response> Gateway::Impl::HandleImage(http::Request& req) {
  std::string file(req.PathParam("file"));
  std::optional<std::string> key = ImageIdFromFileName(file);
  StatusOr<std::string> bytes = NotFoundError("no image " + file);
  if (key) {
    bytes = co_await Offload([this, &key] { return images_.Get(*key); });
  }
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      co_return Reply(MakeApiError(404, "invalid_request_error",
                                   "no image " + file, "image_not_found"));
    }
    log::Error("cannot read stored image",
               {{"file", file}, {"error", bytes.status().ToString()}});
    co_return Reply(ApiErrorFromStatus(bytes.status()));
  }
  std::string_view type = SniffImageType(*bytes);
  http::Response response;
  response.status = 200;
  response.headers.Set("Content-Type", type.empty() ? "image/png" : type);
  response.headers.Set("Cache-Control", "public, max-age=3600, immutable");
  response.body = std::move(*bytes);
  http::ApplyRange(req, response);  // resumed downloads, range-fetching CDNs
  co_return response;
}

awaitable<http::Response> Gateway::Impl::HandleFeedback(http::Request& req) {
  if (!Authorized(req)) co_return Reply(Unauthorized());
  StatusOr<FeedbackRequest> parsed = ParseFeedbackRequest(req.body);
  if (!parsed.ok()) {
    co_return http::Response::Json(400, FeedbackErrorJson(parsed.status()));
  }
  FeedbackRequest feedback = std::move(*parsed);
  StatusOr<Feedback> stored = co_await Offload([this, &feedback] {
    recorder_.Flush();  // images delivered before this call are findable
    return feedback_->AddFeedback(feedback);
  });
  if (!stored.ok()) {
    co_return http::Response::Json(HttpStatusFor(stored.status().code()),
                                   FeedbackErrorJson(stored.status()));
  }
  co_return http::Response::Json(200, FeedbackResponseJson(*stored));
}

awaitable<http::Response> Gateway::Impl::HandleFeedbackReport(
    http::Request& req) {
  if (!Authorized(req)) co_return Reply(Unauthorized());
  auto report = co_await Offload([this]() -> StatusOr<std::string> {
    ZIMON_ASSIGN_OR_RETURN(RatingDistribution distribution,
                           feedback_->GetRatingDistribution());
    ZIMON_ASSIGN_OR_RETURN(std::vector<Feedback> recent,
                           feedback_->RecentFeedback(20));
    return FeedbackReportJson(distribution, recent);
  });
  if (!report.ok()) co_return http::Response::FromStatus(report.status());
  co_return http::Response::Json(200, std::move(*report));
}

}  // namespace zimon::gateway
