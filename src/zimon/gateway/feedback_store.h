// FeedbackStore: user ratings of generated images, kept in SQLite so that a
// gateway restart loses none (issue 5, item 7; schema in docs/feedback.md).
//
//   metrics::Registry registry;
//   ZIMON_ASSIGN_OR_RETURN(auto store,
//                          FeedbackStore::Open(dir + "/feedback.db",
//                          registry));
//   store->RecordImage({.request_id = "req-1", .image_id = "img-1", ...});
//   StatusOr<Feedback> fb = store->AddFeedback(
//       {.request_id = "req-1", .rating = 5, .comment = "great"});
//
// The gateway records every generated image (RecordImage) so that feedback
// can refer to it by image id or request id. AddFeedback validates its input
// (kInvalidArgument: rating outside 1..5, neither id given, comment too long or
// not UTF-8; kNotFound: unknown id), commits, then observes the rating in
// `zimon_user_rating` (buckets 1..5) and increments `zimon_feedback_total`.
//
// Durability: WAL journal with synchronous=FULL; every call that returns OK
// has been fsynced, so neither a process crash nor a power loss after the
// return loses it.
//
// Metrics are not re-filled from the database on Open: like every counter
// they start at zero in a new process, and Prometheus' rate()/increase()
// treat the drop as a counter reset. Totals over all time come from
// RatingDistribution().
//
// Ownership: Open returns the sole owner of the connection; the store keeps
// references to the registry and clock, which must outlive it.
//
// Thread safety: all methods are thread-safe. One connection, guarded by one
// mutex, serves all callers; each call is a short transaction (one fsync for
// writes), so callers on latency-critical threads should expect a few
// milliseconds per write.
#ifndef ZIMON_GATEWAY_FEEDBACK_STORE_H_
#define ZIMON_GATEWAY_FEEDBACK_STORE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/status.h"
#include "zimon/gateway/feedback_sqlite.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

// Limits on stored text, checked by RecordImage and AddFeedback.
inline constexpr size_t kMaxFeedbackCommentChars = 2000;  // code points
inline constexpr size_t kMaxFeedbackIdBytes = 128;
inline constexpr int kMinRating = 1;
inline constexpr int kMaxRating = 5;

// One generated image, recorded by the gateway when it returns the image.
struct ImageRecord {
  std::string request_id;  // required; several images may share one
  std::string image_id;    // required, unique
  std::string backend;     // backend name; may be empty
  std::string size;        // "WIDTHxHEIGHT"; may be empty
  std::optional<double> quality_score;  // 0..1 when scored
  Clock::WallTime created{};            // filled by the store
};

// What a client sends: at least one of the ids, a rating and a comment.
struct FeedbackRequest {
  std::string request_id;
  std::string image_id;
  int rating = 0;
  std::string comment;
};

// A stored feedback row. When the client named only an image, request_id is
// the image's request; when it named only a request, image_id is empty.
struct Feedback {
  int64_t id = 0;
  std::string request_id;
  std::string image_id;
  int rating = 0;
  std::string comment;
  Clock::WallTime created{};
};

// Count of stored ratings per value; counts[r - 1] is the number of rating r.
struct RatingDistribution {
  std::array<int64_t, 5> counts{};
  int64_t total() const;
  // Mean rating; 0 when there are none.
  double mean() const;
};

// Checks a request without touching the database (the JSON layer uses it too).
Status ValidateFeedbackRequest(const FeedbackRequest& request);

// When the store copies its write-ahead log into the database file (a
// checkpoint; docs/feedback.md, "Checkpoints"). SQLite's own does it inside
// the commit that takes the WAL past 1 000 frames (4 MB), a burst of writes
// on whichever thread committed: on a core the gateway's I/O thread shares,
// that burst is every request in flight waiting. The store instead
// checkpoints once writes pause (CheckpointIdle), and at once only when the
// WAL reaches max_frames under writes that never pause.
struct CheckpointPolicy {
  int idle_frames = 1000;  // CheckpointIdle() checkpoints from this many
  int max_frames = 16384;  // the commit that reaches this many checkpoints
};

class FeedbackStore {
 public:
  // Opens or creates the database at `path` and migrates its schema to the
  // current version. Errors name the path: kDataLoss for a file that is not a
  // database (or is corrupt), kFailedPrecondition for a schema newer than this
  // build, the errno's code when the file cannot be opened,
  // kInvalidArgument for a threshold in `checkpoints` under 1.
  static StatusOr<std::unique_ptr<FeedbackStore>> Open(
      const std::string& path, metrics::Registry& registry,
      Clock& clock = SystemClock(), CheckpointPolicy checkpoints = {});

  ~FeedbackStore();
  FeedbackStore(const FeedbackStore&) = delete;
  FeedbackStore& operator=(const FeedbackStore&) = delete;

  // The schema version this build writes.
  static constexpr int64_t kSchemaVersion = 4;

  // Records a generated image. kInvalidArgument for a missing or over-long id
  // or a quality score outside 0..1; kAlreadyExists for a duplicate image id,
  // except among images whose ids the gateway derived from request ids it
  // made (DerivedImageId): those are stored many to a row, unchecked, since
  // each such id is made once and carries 96 random bits.
  Status RecordImage(const ImageRecord& image);
  // Records several images in one transaction (one fsync): all or none.
  Status RecordImages(const std::vector<ImageRecord>& images);

  // Returns the recorded image, or kNotFound.
  StatusOr<ImageRecord> FindImage(const std::string& image_id) const;

  // Validates and stores one rating; returns the stored row (with its id).
  // When both ids are given the image must belong to the request
  // (kInvalidArgument otherwise).
  StatusOr<Feedback> AddFeedback(const FeedbackRequest& request);

  // All stored ratings, by value.
  StatusOr<RatingDistribution> GetRatingDistribution() const;

  // Up to `limit` most recent feedback rows, newest first.
  StatusOr<std::vector<Feedback>> RecentFeedback(size_t limit) const;

  // For the writer to call when writes pause: checkpoints the WAL when it
  // holds CheckpointPolicy::idle_frames or more. A reader of another process
  // may keep part of the WAL (logged; the next call tries again). Checkpoints
  // count in zimon_feedback_checkpoints_total; failures are logged and
  // returned.
  Status CheckpointIdle();

 private:
  FeedbackStore(std::unique_ptr<sqlite::Db> db, metrics::Registry& registry,
                Clock& clock, CheckpointPolicy checkpoints);
  // After a commit: checkpoints when the WAL has reached its limit.
  void CheckpointIfFullLocked();
  Status CheckpointLocked(std::string_view trigger);
  // Resolves the ids of `request` to (request_id, image_id) as stored.
  StatusOr<Feedback> ResolveIds(const FeedbackRequest& request) const;
  StatusOr<bool> HasRequestLocked(const std::string& request_id) const;
  // The recorded image `image_id`, or nullopt.
  StatusOr<std::optional<ImageRecord>> FindImageLocked(
      const std::string& image_id) const;
  // The first image batched under `second` whose id `match` accepts.
  StatusOr<std::optional<ImageRecord>> FindBatchedLocked(
      int64_t second,
      const std::function<bool(std::string_view image_id)>& match) const;
  Status InsertImagesLocked(const std::vector<ImageRecord>& images,
                            int64_t now_ms);
  Status InsertBatchLocked(int64_t second, std::string_view records,
                           int64_t now_ms);
  std::string DuplicateMessageLocked(const std::vector<ImageRecord>& images,
                                     size_t first, size_t count) const;

  Clock& clock_;
  metrics::Histogram& rating_histogram_;
  metrics::Counter& feedback_total_;
  metrics::Family<metrics::Counter>& checkpoints_;  // by trigger, outcome
  const CheckpointPolicy checkpoint_policy_;
  mutable std::mutex mu_;
  // The WAL length at which a commit checkpoints: max_frames, or after an
  // incomplete checkpoint an eighth of it more than the WAL held then.
  int full_checkpoint_frames_;      // guarded by mu_
  std::unique_ptr<sqlite::Db> db_;  // guarded by mu_
  // Prepared INSERTs of kInsertRows[i] images at once, made on first use;
  // guarded by mu_ and finalised before db_ closes.
  static constexpr std::array<size_t, 4> kInsertRows = {64, 16, 4, 1};
  std::array<std::optional<sqlite::Statement>, kInsertRows.size()> inserts_;
  std::optional<sqlite::Statement> insert_batch_;  // as inserts_
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_FEEDBACK_STORE_H_
