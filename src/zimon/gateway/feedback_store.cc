#include "zimon/gateway/feedback_store.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "zimon/common/ascii_words.h"
#include "zimon/common/logging.h"
#include "zimon/common/random_id.h"
#include "zimon/gateway/feedback_sqlite.h"
#include "zimon/gateway/image_store.h"

namespace zimon::gateway {
namespace {

// Migration i brings the schema from version i to version i + 1. Append only:
// a released migration never changes, so every database reaches the same
// schema whatever version it started from.
constexpr const char* kMigrations[] = {
    // 0 -> 1: images and feedback.
    R"sql(
CREATE TABLE images (
  image_id      TEXT PRIMARY KEY NOT NULL,
  request_id    TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  backend       TEXT NOT NULL DEFAULT '',
  size          TEXT NOT NULL DEFAULT '',
  quality_score REAL
);
CREATE INDEX images_by_request ON images(request_id);
CREATE TABLE feedback (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  image_id   TEXT REFERENCES images(image_id),
  rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment    TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
);
CREATE INDEX feedback_by_request ON feedback(request_id);
)sql",
    // 1 -> 2: images keyed by image_id alone (WITHOUT ROWID). Every image a
    // gateway answers is one row; a rowid table plus its primary-key index
    // was two B-tree inserts per row where one does. Runs with foreign keys
    // off (feedback references images), as SQLite's table-rebuild procedure
    // asks.
    R"sql(
CREATE TABLE images_v2 (
  image_id      TEXT PRIMARY KEY NOT NULL,
  request_id    TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  backend       TEXT NOT NULL DEFAULT '',
  size          TEXT NOT NULL DEFAULT '',
  quality_score REAL
) WITHOUT ROWID;
INSERT INTO images_v2 (image_id, request_id, created_ms, backend, size,
                       quality_score)
  SELECT image_id, request_id, created_ms, backend, size, quality_score
  FROM images;
DROP TABLE images;
ALTER TABLE images_v2 RENAME TO images;
CREATE INDEX images_by_request ON images(request_id);
)sql",
    // 2 -> 3: an image's request_id is NULL when its image_id implies it
    // (ImpliedRequestId: the gateway derives image ids from the request ids
    // it makes), and only the other rows are indexed by request. The usual
    // row then costs one B-tree insert, not two, and no second copy of the
    // id. Rows written before keep their request_id.
    R"sql(
CREATE TABLE images_v3 (
  image_id      TEXT PRIMARY KEY NOT NULL,
  request_id    TEXT,
  created_ms    INTEGER NOT NULL,
  backend       TEXT NOT NULL DEFAULT '',
  size          TEXT NOT NULL DEFAULT '',
  quality_score REAL
) WITHOUT ROWID;
INSERT INTO images_v3 (image_id, request_id, created_ms, backend, size,
                       quality_score)
  SELECT image_id, request_id, created_ms, backend, size, quality_score
  FROM images;
DROP TABLE images;
ALTER TABLE images_v3 RENAME TO images;
CREATE INDEX images_by_request ON images(request_id)
  WHERE request_id IS NOT NULL;
)sql",
    // 3 -> 4: images whose ids the gateway derived from a request id it made
    // are kept many to a row: one row per recorded batch and second of
    // creation (the second the ids carry), its images packed in `records`
    // (BatchWriter). A row per image cost the recorder some 8 500
    // instructions, a seventh of all the gateway spends on a small request.
    // Such images are not in `images`, so feedback no longer references it;
    // the store checks every id it is given. Rebuilt with foreign keys off,
    // as before; ids and their AUTOINCREMENT counter carry over.
    R"sql(
CREATE TABLE image_batches (
  second     INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  records    BLOB NOT NULL
);
CREATE INDEX image_batches_by_second ON image_batches(second);
CREATE TABLE feedback_v4 (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  image_id   TEXT,
  rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment    TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
);
INSERT INTO feedback_v4 (id, request_id, image_id, rating, comment,
                         created_ms)
  SELECT id, request_id, image_id, rating, comment, created_ms FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_v4 RENAME TO feedback;
CREATE INDEX feedback_by_request ON feedback(request_id);
)sql",
};
static_assert(std::size(kMigrations) == FeedbackStore::kSchemaVersion);

int64_t ToMillis(Clock::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             t.time_since_epoch())
      .count();
}

Clock::WallTime FromMillis(int64_t ms) {
  return Clock::WallTime(std::chrono::duration_cast<Clock::WallTime::duration>(
      std::chrono::milliseconds(ms)));
}

// Number of code points in `s`, or nullopt when it is not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::optional<size_t> Utf8Length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;
    }
    i += len;
  }
  return count;
}

Status ValidateId(std::string_view field, std::string_view id) {
  if (id.size() > kMaxFeedbackIdBytes) {
    return InvalidArgumentError(std::string(field) + " is longer than " +
                                std::to_string(kMaxFeedbackIdBytes) + " bytes");
  }
  // Ids zimon makes, and nearly all a client sends, are printable ASCII:
  // valid UTF-8 without a control character, in one pass. The image
  // recorder checks two ids for every image it stores.
  if (PrintableAscii(id)) return OkStatus();
  if (!Utf8Length(id).has_value()) {
    return InvalidArgumentError(std::string(field) + " is not valid UTF-8");
  }
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(std::string(field) +
                                  " contains a control character");
    }
  }
  return OkStatus();
}

// Rolls back unless Commit() succeeded. BEGIN IMMEDIATE takes the write lock
// up front, so a read-then-write sequence cannot interleave with another
// process's write.
class Transaction {
 public:
  static StatusOr<Transaction> Begin(sqlite::Db& db) {
    ZIMON_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    return Transaction(db);
  }
  Transaction(Transaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
  }
  Status Commit() {
    sqlite::Db* db = std::exchange(db_, nullptr);
    Status status = db->Exec("COMMIT");
    if (!status.ok()) (void)db->Exec("ROLLBACK");
    return status;
  }

 private:
  explicit Transaction(sqlite::Db& db) : db_(&db) {}
  sqlite::Db* db_;
};

Status Migrate(sqlite::Db& db) {
  ZIMON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  // Read inside the write transaction: another process may have migrated.
  ZIMON_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > FeedbackStore::kSchemaVersion || version < 0) {
    return FailedPreconditionError(
        db.path() + ": schema version " + std::to_string(version) +
        " is not supported by this build (it knows up to " +
        std::to_string(FeedbackStore::kSchemaVersion) + ")");
  }
  if (version == FeedbackStore::kSchemaVersion) return OkStatus();
  for (int64_t v = version; v < FeedbackStore::kSchemaVersion; ++v) {
    ZIMON_RETURN_IF_ERROR(db.Exec(kMigrations[v]));
  }
  std::string set_version =
      "PRAGMA user_version = " + std::to_string(FeedbackStore::kSchemaVersion);
  ZIMON_RETURN_IF_ERROR(db.Exec(set_version.c_str()));
  ZIMON_RETURN_IF_ERROR(txn.Commit());
  log::Info("feedback database migrated",
            {{"path", db.path()},
             {"from", version},
             {"to", FeedbackStore::kSchemaVersion}});
  return OkStatus();
}

constexpr std::string_view kImageIdPrefix = "img_";
constexpr size_t kTimeDigits = kTimeOrderedIdTimeDigits;
constexpr size_t kRandomDigits = kTimeOrderedIdRandomDigits;

// The creation time in Unix ms an id "img_" + K carries (K from
// NewTimeOrderedId); nullopt for another id.
std::optional<int64_t> IdMillis(std::string_view image_id) {
  if (!image_id.starts_with(kImageIdPrefix)) return std::nullopt;
  return TimeOrderedIdMillis(image_id.substr(kImageIdPrefix.size()));
}

std::optional<int64_t> IdSecond(std::string_view image_id) {
  const std::optional<int64_t> ms = IdMillis(image_id);
  if (!ms) return std::nullopt;
  return *ms / 1000;
}

// The creation time an image is batched by: an id the gateway derived from a
// request id it made ("img_" + K, K starting with 12 hex digits of creation
// time in Unix ms, NewTimeOrderedId) is batched under the second of K's
// milliseconds; nullopt for any other image, which gets a row of its own.
std::optional<int64_t> BatchMillis(const ImageRecord& image) {
  if (!ImpliesRequestId(image.image_id, image.request_id)) return std::nullopt;
  return IdMillis(image.image_id);
}

// A batch row's `records`, format 1 (lengths, counts and numbers are
// LEB128 varints; the request id is the one each image id implies):
//   the byte 1;
//   the row's distinct backend and size strings: a count, then each as a
//   length and its bytes;
//   per image: a flags byte (kScored; kHexTail: the id's 24 digits after its
//   time are lowercase hex; kIndex: then "-" and an index), the id's
//   milliseconds within the row's second, the rest of the id (with kHexTail
//   the 12 bytes those digits spell, then with kIndex the index; otherwise
//   a length and the bytes), the backend's and the size's places in the
//   string table, and with kScored the score as 8 bytes (IEEE 754,
//   little-endian).
// An image so takes about 25 bytes where its text takes 70: SQLite writes
// each byte twice (the WAL, then the checkpoint into the database file) on
// the core the I/O thread may share, and that volume, more than the CPU of
// the inserts, set zimon's 1 KB p99 (docs/gateway.md, session 13).
constexpr char kBatchFormat = 1;
enum : uint8_t { kScored = 1, kHexTail = 2, kIndex = 4 };

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void AppendString(std::string& out, std::string_view s) {
  AppendVarint(out, s.size());
  out.append(s);
}

// The index of "-" + index when `suffix` is that, written as std::to_string
// writes it (so that it reads back the same); nullopt otherwise.
std::optional<uint64_t> IndexSuffix(std::string_view suffix) {
  if (suffix.size() < 2 || suffix.size() > 10 || suffix[0] != '-') {
    return std::nullopt;
  }
  uint64_t index = 0;
  for (char c : suffix.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  if (std::to_string(index) != suffix.substr(1)) return std::nullopt;
  return index;
}

// Packs the images of one row (all batched under one second).
class BatchWriter {
 public:
  void Reserve(size_t images) { body_.reserve(images * 32); }

  // `image` with the milliseconds its id carries (BatchMillis).
  void Add(const ImageRecord& image, int64_t ms) {
    const std::string_view digits =
        std::string_view(image.image_id).substr(kImageIdPrefix.size());
    const auto ms_in_second = static_cast<uint64_t>(ms % 1000);
    const std::string_view tail = digits.substr(kTimeDigits);
    uint8_t flags = image.quality_score.has_value() ? kScored : 0;
    std::optional<uint64_t> index;
    std::optional<TimeOrderedIdRandom> random =
        TimeOrderedIdRandomBytes(digits);
    if (random && tail.size() > kRandomDigits) {
      index = IndexSuffix(tail.substr(kRandomDigits));
      if (!index) random.reset();
    }
    if (random) flags |= kHexTail;
    if (index) flags |= kIndex;
    body_ += static_cast<char>(flags);
    AppendVarint(body_, ms_in_second);
    if (random) {
      body_.append(reinterpret_cast<const char*>(random->data()),
                   random->size());
      if (index) AppendVarint(body_, *index);
    } else {
      AppendString(body_, tail);
    }
    AppendVarint(body_, StringIndex(image.backend));
    AppendVarint(body_, StringIndex(image.size));
    if (image.quality_score.has_value()) {
      static_assert(std::endian::native == std::endian::little);
      char bytes[sizeof(double)];
      std::memcpy(bytes, &*image.quality_score, sizeof(double));
      body_.append(bytes, sizeof(bytes));
    }
  }

  std::string Finish() const {
    std::string out(1, kBatchFormat);
    AppendVarint(out, strings_.size());
    for (const std::string& s : strings_) AppendString(out, s);
    out += body_;
    return out;
  }

 private:
  // Most images of a batch share their backend and size: the last string
  // looked up is tried first.
  size_t StringIndex(const std::string& s) {
    if (last_ < strings_.size() && strings_[last_] == s) return last_;
    auto found = std::find(strings_.begin(), strings_.end(), s);
    if (found != strings_.end()) {
      last_ = static_cast<size_t>(found - strings_.begin());
    } else {
      strings_.push_back(s);
      last_ = strings_.size() - 1;
    }
    return last_;
  }

  std::vector<std::string> strings_;
  size_t last_ = 0;
  std::string body_;
};

// Reads the images of a row's `records` in order.
class BatchReader {
 public:
  struct Image {
    std::string image_id;
    std::string_view backend;
    std::string_view size;
    std::optional<double> quality_score;
  };

  // False when `records` is not format 1 or its string table is cut short.
  bool Open(std::string_view records, int64_t second) {
    rest_ = records;
    second_ = second;
    if (rest_.empty() || rest_[0] != kBatchFormat) return false;
    rest_.remove_prefix(1);
    uint64_t count;
    if (!Varint(count) || count > rest_.size()) return false;
    strings_.clear();
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view s;
      if (!String(s)) return false;
      strings_.push_back(s);
    }
    return true;
  }

  // The next image: true and `image` set, false at the end, or nullopt when
  // the bytes do not hold a whole image (a corrupt row).
  std::optional<bool> Next(Image& image) {
    if (rest_.empty()) return false;
    const auto flags = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    uint64_t ms_in_second, backend, size;
    if ((flags & ~(kScored | kHexTail | kIndex)) != 0 ||
        ((flags & kIndex) && !(flags & kHexTail)) || !Varint(ms_in_second) ||
        ms_in_second >= 1000) {
      return std::nullopt;
    }
    image.image_id.assign(kImageIdPrefix);
    AppendTimeOrderedIdTime(second_ * 1000 + static_cast<int64_t>(ms_in_second),
                            image.image_id);
    if (flags & kHexTail) {
      TimeOrderedIdRandom random;
      if (rest_.size() < random.size()) return std::nullopt;
      std::memcpy(random.data(), rest_.data(), random.size());
      rest_.remove_prefix(random.size());
      AppendTimeOrderedIdRandom(random, image.image_id);
      uint64_t index;
      if (flags & kIndex) {
        if (!Varint(index)) return std::nullopt;
        image.image_id += '-';
        image.image_id += std::to_string(index);
      }
    } else {
      std::string_view tail;
      if (!String(tail)) return std::nullopt;
      image.image_id += tail;
    }
    if (!Varint(backend) || backend >= strings_.size() || !Varint(size) ||
        size >= strings_.size()) {
      return std::nullopt;
    }
    image.backend = strings_[backend];
    image.size = strings_[size];
    image.quality_score.reset();
    if (flags & kScored) {
      if (rest_.size() < sizeof(double)) return std::nullopt;
      double score;
      std::memcpy(&score, rest_.data(), sizeof(double));
      image.quality_score = score;
      rest_.remove_prefix(sizeof(double));
    }
    return true;
  }

 private:
  bool Varint(uint64_t& value) {
    value = 0;
    for (int shift = 0;; shift += 7) {
      if (rest_.empty() || shift > 56) return false;
      const auto byte = static_cast<unsigned char>(rest_[0]);
      rest_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
  }

  bool String(std::string_view& out) {
    uint64_t size;
    if (!Varint(size) || size > rest_.size()) return false;
    out = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }

  std::string_view rest_;
  int64_t second_ = 0;
  std::vector<std::string_view> strings_;
};

// An image's request id: as stored, or implied by its id where the row
// stores NULL (read as "").
std::string RequestIdOf(std::string_view image_id, std::string stored) {
  if (!stored.empty()) return stored;
  return ImpliedRequestId(image_id).value_or("");
}

}  // namespace

int64_t RatingDistribution::total() const {
  int64_t sum = 0;
  for (int64_t c : counts) sum += c;
  return sum;
}

double RatingDistribution::mean() const {
  int64_t n = total();
  if (n == 0) return 0;
  double weighted = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    weighted += static_cast<double>(counts[i]) * static_cast<double>(i + 1);
  }
  return weighted / static_cast<double>(n);
}

Status ValidateFeedbackRequest(const FeedbackRequest& request) {
  if (request.rating < kMinRating || request.rating > kMaxRating) {
    return InvalidArgumentError("rating must be an integer from 1 to 5, got " +
                                std::to_string(request.rating));
  }
  if (request.request_id.empty() && request.image_id.empty()) {
    return InvalidArgumentError("one of request_id or image_id is required");
  }
  if (!request.request_id.empty()) {
    ZIMON_RETURN_IF_ERROR(ValidateId("request_id", request.request_id));
  }
  if (!request.image_id.empty()) {
    ZIMON_RETURN_IF_ERROR(ValidateId("image_id", request.image_id));
  }
  std::optional<size_t> length = Utf8Length(request.comment);
  if (!length.has_value()) {
    return InvalidArgumentError("comment is not valid UTF-8");
  }
  if (*length > kMaxFeedbackCommentChars) {
    return InvalidArgumentError(
        "comment is " + std::to_string(*length) + " characters; at most " +
        std::to_string(kMaxFeedbackCommentChars) + " are accepted");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<FeedbackStore>> FeedbackStore::Open(
    const std::string& path, metrics::Registry& registry, Clock& clock,
    CheckpointPolicy checkpoints) {
  if (checkpoints.idle_frames < 1 || checkpoints.max_frames < 1) {
    return InvalidArgumentError(
        path + ": checkpoint thresholds must be positive frame counts");
  }
  ZIMON_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Db> db,
                         sqlite::Db::Open(path));
  ZIMON_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  // Reading the header first turns a file that is not a database into
  // kDataLoss here rather than on the first write.
  ZIMON_RETURN_IF_ERROR(db->QueryInt("PRAGMA user_version").status());
  {
    ZIMON_ASSIGN_OR_RETURN(sqlite::Statement stmt,
                           db->Prepare("PRAGMA journal_mode = WAL"));
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row || stmt.ColumnText(0) != "wal") {
      return FailedPreconditionError(
          path + ": cannot switch the database to WAL journal mode (got \"" +
          (row ? stmt.ColumnText(0) : std::string()) + "\")");
    }
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss; feedback
  // and image rows are written at human and GPU speed, so an fsync per commit
  // costs nothing that matters.
  ZIMON_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  // Migrations run before foreign keys are enforced: rebuilding a table that
  // others reference must not cascade or fail on its rows.
  ZIMON_RETURN_IF_ERROR(Migrate(*db));
  ZIMON_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  // A WAL that starts over keeps its length up to the most the policy lets
  // it reach (64 MB by default), so that commits overwrite blocks the file
  // has: growing it into new ones costs each commit a third more CPU
  // (bench/feedback_bench.cc, wal:0 against wal:1). Past that (a reader
  // held a checkpoint back), it is cut back to that length.
  ZIMON_ASSIGN_OR_RETURN(int64_t page_size, db->QueryInt("PRAGMA page_size"));
  const int64_t wal_bytes =
      32 + int64_t{checkpoints.max_frames} * (page_size + 24);
  ZIMON_RETURN_IF_ERROR(db->Exec(
      ("PRAGMA journal_size_limit = " + std::to_string(wal_bytes)).c_str()));
  db->CountWalFrames();
  return std::unique_ptr<FeedbackStore>(
      new FeedbackStore(std::move(db), registry, clock, checkpoints));
}

FeedbackStore::FeedbackStore(std::unique_ptr<sqlite::Db> db,
                             metrics::Registry& registry, Clock& clock,
                             CheckpointPolicy checkpoints)
    : clock_(clock),
      rating_histogram_(
          registry
              .AddHistogram("zimon_user_rating",
                            "User ratings of generated images (1 to 5).", {},
                            {1, 2, 3, 4, 5})
              .WithLabels({})),
      feedback_total_(registry
                          .AddCounter("zimon_feedback_total",
                                      "Feedback ratings accepted.", {})
                          .WithLabels({})),
      checkpoints_(registry.AddCounter(
          "zimon_feedback_checkpoints_total",
          "Checkpoints of the feedback database's write-ahead log, by what "
          "set them off (idle, wal_full) and how they ended (complete, "
          "partial: a reader kept part of the log, error).",
          {"trigger", "outcome"})),
      checkpoint_policy_(checkpoints),
      full_checkpoint_frames_(checkpoints.max_frames),
      db_(std::move(db)) {}

FeedbackStore::~FeedbackStore() = default;

Status FeedbackStore::RecordImage(const ImageRecord& image) {
  return RecordImages({image});
}

Status FeedbackStore::RecordImages(const std::vector<ImageRecord>& images) {
  for (const ImageRecord& image : images) {
    if (image.request_id.empty() || image.image_id.empty()) {
      return InvalidArgumentError(
          "an image needs a request_id and an image_id");
    }
    ZIMON_RETURN_IF_ERROR(ValidateId("request_id", image.request_id));
    ZIMON_RETURN_IF_ERROR(ValidateId("image_id", image.image_id));
    if (image.quality_score.has_value() &&
        !(*image.quality_score >= 0 && *image.quality_score <= 1)) {
      return InvalidArgumentError("quality_score must be within 0..1");
    }
  }
  if (images.empty()) return OkStatus();
  // Images the gateway derived ids for go many to a row, one row per second
  // their ids carry (nearly always one or two per batch); others a row each.
  std::vector<std::pair<int64_t, BatchWriter>> batches;
  std::vector<size_t> own_rows;  // indexes into images
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageRecord& image = images[i];
    const std::optional<int64_t> ms = BatchMillis(image);
    if (!ms) {
      own_rows.push_back(i);
      continue;
    }
    const int64_t second = *ms / 1000;
    auto batch = std::find_if(batches.begin(), batches.end(),
                              [&](const auto& b) { return b.first == second; });
    if (batch == batches.end()) {
      batch = batches.emplace(batches.end(), second, BatchWriter());
      batch->second.Reserve(images.size());
    }
    batch->second.Add(image, *ms);
  }
  std::vector<ImageRecord> rows;  // copied only when the batch is mixed
  if (!own_rows.empty() && !batches.empty()) {
    for (size_t i : own_rows) rows.push_back(images[i]);
  }
  int64_t now_ms = ToMillis(clock_.Now());
  std::lock_guard lock(mu_);
  // One transaction, so a batch costs one fsync and lands whole or not at all.
  ZIMON_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status status = OkStatus();
  if (!own_rows.empty()) {
    status = InsertImagesLocked(batches.empty() ? images : rows, now_ms);
  }
  for (size_t i = 0; i < batches.size() && status.ok(); ++i) {
    status =
        InsertBatchLocked(batches[i].first, batches[i].second.Finish(), now_ms);
  }
  if (!status.ok()) {
    (void)db_->Exec("ROLLBACK");
    return status;
  }
  status = db_->Exec("COMMIT");
  if (!status.ok()) {
    (void)db_->Exec("ROLLBACK");
    return status;
  }
  CheckpointIfFullLocked();
  return OkStatus();
}

void FeedbackStore::CheckpointIfFullLocked() {
  // The commit succeeded whatever becomes of the checkpoint.
  if (db_->wal_frames() >= full_checkpoint_frames_) {
    (void)CheckpointLocked("wal_full");
  }
}

Status FeedbackStore::CheckpointIdle() {
  std::lock_guard lock(mu_);
  if (db_->wal_frames() < checkpoint_policy_.idle_frames) return OkStatus();
  return CheckpointLocked("idle");
}

Status FeedbackStore::CheckpointLocked(std::string_view trigger) {
  StatusOr<sqlite::Db::CheckpointResult> result = db_->Checkpoint();
  if (!result.ok()) {
    checkpoints_.WithLabels({trigger, "error"}).Inc();
    // Retried at the next pause, or after the WAL grows by an eighth more.
    full_checkpoint_frames_ =
        db_->wal_frames() + std::max(1, checkpoint_policy_.max_frames / 8);
    log::Error("cannot checkpoint the feedback database's WAL",
               {{"trigger", trigger},
                {"wal_frames", static_cast<int64_t>(db_->wal_frames())},
                {"error", result.status().ToString()}});
    return result.status();
  }
  if (result->complete()) {
    checkpoints_.WithLabels({trigger, "complete"}).Inc();
    full_checkpoint_frames_ = checkpoint_policy_.max_frames;
    return OkStatus();
  }
  checkpoints_.WithLabels({trigger, "partial"}).Inc();
  full_checkpoint_frames_ =
      result->wal_frames + std::max(1, checkpoint_policy_.max_frames / 8);
  log::Warn(
      "the feedback database's WAL was checkpointed only in part: another "
      "process is reading it; the rest waits for the next checkpoint",
      {{"trigger", trigger},
       {"wal_frames", static_cast<int64_t>(result->wal_frames)},
       {"copied", static_cast<int64_t>(result->copied)}});
  return OkStatus();
}

// Which image of images[first, first + count) a failed INSERT found recorded
// already (SQLite's message names only the column): one named twice in the
// batch, or one in the table.
std::string FeedbackStore::DuplicateMessageLocked(
    const std::vector<ImageRecord>& images, size_t first, size_t count) const {
  std::string duplicate;
  for (size_t i = 0; i < first + count && duplicate.empty(); ++i) {
    for (size_t j = std::max(i + 1, first); j < first + count; ++j) {
      if (images[i].image_id == images[j].image_id) {
        duplicate = images[j].image_id;
        break;
      }
    }
  }
  if (duplicate.empty()) {
    StatusOr<sqlite::Statement> find =
        db_->Prepare("SELECT 1 FROM images WHERE image_id = ?");
    for (size_t i = first; i < first + count && find.ok(); ++i) {
      find->Reset();
      find->Bind(1, std::string_view(images[i].image_id));
      StatusOr<bool> row = find->Step();
      if (row.ok() && *row) {
        duplicate = images[i].image_id;
        break;
      }
    }
  }
  if (duplicate.empty()) return "an image_id is already recorded";
  return "image_id \"" + duplicate + "\" is already recorded";
}

// Rows go in by multi-row INSERTs of 64, 16, 4 and 1 (the fewest statements
// for the batch): a statement's set-up and halt cost as much as a row, and the
// recorder commits some hundred rows at a time at high rates.
Status FeedbackStore::InsertImagesLocked(const std::vector<ImageRecord>& images,
                                         int64_t now_ms) {
  constexpr int kColumns = 6;
  size_t next = 0;
  for (size_t which = 0; which < kInsertRows.size(); ++which) {
    const size_t rows = kInsertRows[which];
    while (images.size() - next >= rows) {
      std::optional<sqlite::Statement>& stmt = inserts_[which];
      if (!stmt) {
        std::string sql =
            "INSERT INTO images (image_id, request_id, created_ms, backend, "
            "size, quality_score) VALUES ";
        for (size_t r = 0; r < rows; ++r) {
          sql += r == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
        }
        ZIMON_ASSIGN_OR_RETURN(sqlite::Statement prepared,
                               db_->Prepare(sql.c_str()));
        stmt.emplace(std::move(prepared));
      }
      for (size_t r = 0; r < rows; ++r) {
        const ImageRecord& image = images[next + r];
        const int base = static_cast<int>(r) * kColumns;
        stmt->BindUncopied(base + 1, image.image_id);
        if (ImpliesRequestId(image.image_id, image.request_id)) {
          stmt->BindNull(base + 2);
        } else {
          stmt->BindUncopied(base + 2, image.request_id);
        }
        stmt->Bind(base + 3, now_ms);
        stmt->BindUncopied(base + 4, image.backend);
        stmt->BindUncopied(base + 5, image.size);
        stmt->Bind(base + 6, image.quality_score);
      }
      StatusOr<bool> done = stmt->Step();
      stmt->Reset();
      if (!done.ok() && done.status().code() == StatusCode::kAlreadyExists) {
        return AlreadyExistsError(DuplicateMessageLocked(images, next, rows));
      }
      ZIMON_RETURN_IF_ERROR(done.status());
      next += rows;
    }
  }
  return OkStatus();
}

Status FeedbackStore::InsertBatchLocked(int64_t second,
                                        std::string_view records,
                                        int64_t now_ms) {
  if (!insert_batch_) {
    ZIMON_ASSIGN_OR_RETURN(
        sqlite::Statement prepared,
        db_->Prepare("INSERT INTO image_batches (second, created_ms, records) "
                     "VALUES (?, ?, ?)"));
    insert_batch_.emplace(std::move(prepared));
  }
  insert_batch_->Bind(1, second);
  insert_batch_->Bind(2, now_ms);
  insert_batch_->BindBlobUncopied(3, records);
  StatusOr<bool> done = insert_batch_->Step();
  insert_batch_->Reset();
  return done.status();
}

StatusOr<std::optional<ImageRecord>> FeedbackStore::FindBatchedLocked(
    int64_t second,
    const std::function<bool(std::string_view image_id)>& match) const {
  ZIMON_ASSIGN_OR_RETURN(
      sqlite::Statement stmt,
      db_->Prepare("SELECT rowid, created_ms, records FROM image_batches "
                   "WHERE second = ?"));
  stmt.Bind(1, second);
  // A corrupt row costs only its own images: the other rows of the second
  // are still read, and the error is returned only when none matched.
  Status corrupt = OkStatus();
  auto note_corrupt = [&](std::string_view what) {
    if (!corrupt.ok()) return;
    corrupt = DataLossError(db_->path() + ": image_batches row " +
                            std::to_string(stmt.ColumnInt(0)) +
                            " is corrupt (" + std::string(what) + ")");
  };
  while (true) {
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    BatchReader reader;
    if (!reader.Open(stmt.ColumnBlob(2), second)) {
      note_corrupt("not a format this build reads, or cut short");
      continue;
    }
    BatchReader::Image batched;
    while (true) {
      const std::optional<bool> next = reader.Next(batched);
      if (!next) {
        note_corrupt("an image record is cut short");
        break;
      }
      if (!*next) break;
      if (!match(batched.image_id)) continue;
      ImageRecord image;
      image.image_id = std::move(batched.image_id);
      image.request_id = ImpliedRequestId(image.image_id).value_or("");
      image.created = FromMillis(stmt.ColumnInt(1));
      image.backend = std::string(batched.backend);
      image.size = std::string(batched.size);
      image.quality_score = batched.quality_score;
      return std::optional<ImageRecord>(std::move(image));
    }
  }
  if (!corrupt.ok()) return corrupt;
  return std::optional<ImageRecord>();
}

StatusOr<std::optional<ImageRecord>> FeedbackStore::FindImageLocked(
    const std::string& image_id) const {
  ZIMON_ASSIGN_OR_RETURN(
      sqlite::Statement stmt,
      db_->Prepare("SELECT request_id, created_ms, backend, size, "
                   "quality_score FROM images WHERE image_id = ?"));
  stmt.Bind(1, std::string_view(image_id));
  ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (row) {
    ImageRecord image;
    image.image_id = image_id;
    image.request_id = RequestIdOf(image_id, stmt.ColumnText(0));
    image.created = FromMillis(stmt.ColumnInt(1));
    image.backend = stmt.ColumnText(2);
    image.size = stmt.ColumnText(3);
    image.quality_score = stmt.ColumnOptionalDouble(4);
    return std::optional<ImageRecord>(std::move(image));
  }
  const std::optional<int64_t> second = IdSecond(image_id);
  if (!second || !ImpliedRequestId(image_id)) {
    return std::optional<ImageRecord>();
  }
  return FindBatchedLocked(*second,
                           [&](std::string_view id) { return id == image_id; });
}

StatusOr<ImageRecord> FeedbackStore::FindImage(
    const std::string& image_id) const {
  std::lock_guard lock(mu_);
  ZIMON_ASSIGN_OR_RETURN(std::optional<ImageRecord> image,
                         FindImageLocked(image_id));
  if (!image) return NotFoundError("unknown image_id \"" + image_id + "\"");
  return std::move(*image);
}

StatusOr<Feedback> FeedbackStore::ResolveIds(
    const FeedbackRequest& request) const {
  Feedback out;
  if (!request.image_id.empty()) {
    ZIMON_ASSIGN_OR_RETURN(std::optional<ImageRecord> image,
                           FindImageLocked(request.image_id));
    if (!image) {
      return NotFoundError("unknown image_id \"" + request.image_id + "\"");
    }
    out.image_id = request.image_id;
    out.request_id = std::move(image->request_id);
    if (!request.request_id.empty() && request.request_id != out.request_id) {
      return InvalidArgumentError("image_id \"" + request.image_id +
                                  "\" does not belong to request_id \"" +
                                  request.request_id + "\"");
    }
    return out;
  }
  ZIMON_ASSIGN_OR_RETURN(bool known, HasRequestLocked(request.request_id));
  if (!known) {
    return NotFoundError("unknown request_id \"" + request.request_id + "\"");
  }
  out.request_id = request.request_id;
  return out;
}

// Whether an image of `request_id` is recorded: stored with it (the partial
// index), under an image id that implies it (a range of the primary key:
// ids that start with what the request id implies), or batched under the
// second such ids carry.
StatusOr<bool> FeedbackStore::HasRequestLocked(
    const std::string& request_id) const {
  {
    ZIMON_ASSIGN_OR_RETURN(
        sqlite::Statement stmt,
        db_->Prepare("SELECT 1 FROM images WHERE request_id = ? LIMIT 1"));
    stmt.Bind(1, std::string_view(request_id));
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) return true;
  }
  std::optional<std::string> first_id = DerivedImageId(request_id, 0);
  if (!first_id) return false;
  // Every id implying request_id is first_id or first_id + "-" + digits,
  // so it sorts in [first_id, first_id + "."), '.' following '-'.
  ZIMON_ASSIGN_OR_RETURN(
      sqlite::Statement stmt,
      db_->Prepare("SELECT image_id FROM images WHERE image_id >= ? AND "
                   "image_id < ? AND request_id IS NULL"));
  stmt.Bind(1, std::string_view(*first_id));
  stmt.Bind(2, std::string_view(*first_id + "."));
  while (true) {
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (ImpliesRequestId(stmt.ColumnText(0), request_id)) return true;
  }
  // Or batched: all its images under the second its id carries.
  const std::optional<int64_t> second = IdSecond(*first_id);
  if (!second) return false;
  ZIMON_ASSIGN_OR_RETURN(
      std::optional<ImageRecord> batched,
      FindBatchedLocked(*second, [&](std::string_view image_id) {
        return ImpliesRequestId(image_id, request_id);
      }));
  return batched.has_value();
}

StatusOr<Feedback> FeedbackStore::AddFeedback(const FeedbackRequest& request) {
  ZIMON_RETURN_IF_ERROR(ValidateFeedbackRequest(request));
  Clock::WallTime now = clock_.Now();
  Feedback stored;
  {
    std::lock_guard lock(mu_);
    ZIMON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
    ZIMON_ASSIGN_OR_RETURN(stored, ResolveIds(request));
    ZIMON_ASSIGN_OR_RETURN(
        sqlite::Statement stmt,
        db_->Prepare("INSERT INTO feedback (request_id, image_id, rating, "
                     "comment, created_ms) VALUES (?, ?, ?, ?, ?)"));
    stmt.Bind(1, std::string_view(stored.request_id));
    stmt.BindTextOrNull(2, stored.image_id);
    stmt.Bind(3, static_cast<int64_t>(request.rating));
    stmt.Bind(4, std::string_view(request.comment));
    stmt.Bind(5, ToMillis(now));
    ZIMON_RETURN_IF_ERROR(stmt.Step().status());
    stored.id = db_->LastInsertRowId();
    ZIMON_RETURN_IF_ERROR(txn.Commit());
    CheckpointIfFullLocked();
  }
  stored.rating = request.rating;
  stored.comment = request.comment;
  stored.created = FromMillis(ToMillis(now));
  rating_histogram_.Observe(request.rating);
  feedback_total_.Inc();
  return stored;
}

StatusOr<RatingDistribution> FeedbackStore::GetRatingDistribution() const {
  std::lock_guard lock(mu_);
  ZIMON_ASSIGN_OR_RETURN(
      sqlite::Statement stmt,
      db_->Prepare("SELECT rating, COUNT(*) FROM feedback GROUP BY rating"));
  RatingDistribution dist;
  while (true) {
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    int64_t rating = stmt.ColumnInt(0);
    // The CHECK constraint keeps ratings in range; a file edited by hand
    // might not, and such rows are left out rather than trusted.
    if (rating >= kMinRating && rating <= kMaxRating) {
      dist.counts[static_cast<size_t>(rating - 1)] = stmt.ColumnInt(1);
    }
  }
  return dist;
}

StatusOr<std::vector<Feedback>> FeedbackStore::RecentFeedback(
    size_t limit) const {
  std::lock_guard lock(mu_);
  ZIMON_ASSIGN_OR_RETURN(
      sqlite::Statement stmt,
      db_->Prepare("SELECT id, request_id, image_id, rating, comment, "
                   "created_ms FROM feedback ORDER BY id DESC LIMIT ?"));
  stmt.Bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<Feedback> out;
  while (true) {
    ZIMON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    Feedback& fb = out.emplace_back();
    fb.id = stmt.ColumnInt(0);
    fb.request_id = stmt.ColumnText(1);
    fb.image_id = stmt.ColumnText(2);
    fb.rating = static_cast<int>(stmt.ColumnInt(3));
    fb.comment = stmt.ColumnText(4);
    fb.created = FromMillis(stmt.ColumnInt(5));
  }
  return out;
}

}  // namespace zimon::gateway
