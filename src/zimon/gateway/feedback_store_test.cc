#include "zimon/gateway/feedback_store.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "zimon/gateway/image_store.h"
#include "zimon/metrics/registry.h"
#include "zimon/testing/fake_clock.h"
#include "zimon/testing/log_capture.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ImageRecord Image(std::string request_id, std::string image_id) {
  ImageRecord image;
  image.request_id = std::move(request_id);
  image.image_id = std::move(image_id);
  image.backend = "gpu-0";
  image.size = "1024x1024";
  image.quality_score = 0.75;
  return image;
}

// The first column of the first row of `sql` on the database at `path`, as
// text ("" for none or NULL).
std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &raw) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(raw);
  return out;
}

FeedbackRequest Rate(std::string request_id, std::string image_id, int rating,
                     std::string comment = "") {
  FeedbackRequest request;
  request.request_id = std::move(request_id);
  request.image_id = std::move(image_id);
  request.rating = rating;
  request.comment = std::move(comment);
  return request;
}

const metrics::FamilySnapshot* FindFamily(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

class FeedbackStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<FeedbackStore> OpenStore(CheckpointPolicy checkpoints = {}) {
    auto store = FeedbackStore::Open(path_, registry_, clock_, checkpoints);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.Join("feedback.db");
  metrics::Registry registry_;
  testing::FakeClock clock_;
};

TEST_F(FeedbackStoreTest, AddsFeedbackByImageAndReadsItBack) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  auto fb = store->AddFeedback(Rate("", "img-1", 4, "nice light"));
  ASSERT_TRUE(fb.ok()) << fb.status().ToString();
  EXPECT_GT(fb->id, 0);
  EXPECT_EQ(fb->request_id, "req-1");  // resolved from the image
  EXPECT_EQ(fb->image_id, "img-1");

  auto recent = store->RecentFeedback(10);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].id, fb->id);
  EXPECT_EQ((*recent)[0].rating, 4);
  EXPECT_EQ((*recent)[0].comment, "nice light");
  EXPECT_EQ((*recent)[0].request_id, "req-1");
  EXPECT_EQ((*recent)[0].created, fb->created);
}

TEST_F(FeedbackStoreTest, AddsFeedbackByRequestId) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-2")).ok());
  auto fb = store->AddFeedback(Rate("req-1", "", 2));
  ASSERT_TRUE(fb.ok()) << fb.status().ToString();
  EXPECT_EQ(fb->request_id, "req-1");
  EXPECT_EQ(fb->image_id, "");
}

TEST_F(FeedbackStoreTest, RecordsAndFindsImages) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ImageRecord unscored = Image("req-9", "img-9");
  unscored.quality_score.reset();
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  ASSERT_TRUE(store->RecordImage(unscored).ok());
  auto found = store->FindImage("img-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->request_id, "req-1");
  EXPECT_EQ(found->backend, "gpu-0");
  EXPECT_EQ(found->size, "1024x1024");
  EXPECT_EQ(found->quality_score, 0.75);
  EXPECT_EQ(
      found->created,
      std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now()));
  auto nine = store->FindImage("img-9");
  ASSERT_TRUE(nine.ok());
  EXPECT_FALSE(nine->quality_score.has_value());
  EXPECT_EQ(store->FindImage("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FeedbackStoreTest, RejectsDuplicateAndInvalidImages) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  EXPECT_EQ(store->RecordImage(Image("req-2", "img-1")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store->RecordImage(Image("", "img-3")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->RecordImage(Image("req-3", "")).code(),
            StatusCode::kInvalidArgument);
  ImageRecord bad_score = Image("req-4", "img-4");
  bad_score.quality_score = 1.5;
  EXPECT_EQ(store->RecordImage(bad_score).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->RecordImage(Image("req-5", std::string(200, 'x'))).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(FeedbackStoreTest, RecordsABatchWholeOrNotAtAll) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-0", "img-0")).ok());
  ASSERT_TRUE(
      store
          ->RecordImages({Image("req-1", "img-1"), Image("req-1", "img-2"),
                          Image("req-2", "img-3")})
          .ok());
  EXPECT_TRUE(store->FindImage("img-2").ok());
  EXPECT_TRUE(store->FindImage("img-3").ok());
  // A duplicate inside the batch rolls the whole batch back.
  EXPECT_EQ(
      store->RecordImages({Image("req-3", "img-4"), Image("req-3", "img-0")})
          .code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(store->FindImage("img-4").status().code(), StatusCode::kNotFound);
  // An invalid entry is refused before anything is written.
  EXPECT_EQ(
      store->RecordImages({Image("req-5", "img-5"), Image("", "img-6")}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(store->FindImage("img-5").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->RecordImages({}).ok());
}

// 150 rows go in as INSERTs of 64, 64, 16, 4 and 1 rows and one more of 1:
// every size of statement, each row with its own values.
TEST_F(FeedbackStoreTest, RecordsALargeBatchRowByRow) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<ImageRecord> batch;
  for (int i = 0; i < 150; ++i) {
    ImageRecord image =
        Image("req-" + std::to_string(i / 2), "img-" + std::to_string(i));
    image.backend = "gpu-" + std::to_string(i % 3);
    image.size = std::to_string(256 + 16 * i) + "x512";
    if (i % 5 == 0) {
      image.quality_score.reset();
    } else {
      image.quality_score = i / 200.0;
    }
    batch.push_back(image);
  }
  ASSERT_TRUE(store->RecordImages(batch).ok());
  for (const ImageRecord& want : batch) {
    StatusOr<ImageRecord> got = store->FindImage(want.image_id);
    ASSERT_TRUE(got.ok()) << want.image_id;
    EXPECT_EQ(got->request_id, want.request_id);
    EXPECT_EQ(got->backend, want.backend);
    EXPECT_EQ(got->size, want.size);
    EXPECT_EQ(got->quality_score, want.quality_score) << want.image_id;
  }
}

TEST_F(FeedbackStoreTest, NamesTheDuplicateInALargeBatch) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-old", "img-old")).ok());
  std::vector<ImageRecord> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(Image("req-new", "img-" + std::to_string(i)));
  }
  // One already in the table, in the second INSERT of 64 rows...
  batch[90].image_id = "img-old";
  Status status = store->RecordImages(batch);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("\"img-old\""), std::string::npos)
      << status.message();
  EXPECT_EQ(store->FindImage("img-0").status().code(), StatusCode::kNotFound);
  // ...and one named twice in the batch, the second time in a later INSERT.
  batch[90].image_id = "img-90";
  batch[70].image_id = "img-3";
  status = store->RecordImages(batch);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("\"img-3\""), std::string::npos)
      << status.message();
  EXPECT_EQ(store->FindImage("img-0").status().code(), StatusCode::kNotFound);
}

TEST_F(FeedbackStoreTest, SurvivesCloseAndReopen) {
  int64_t id = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
    auto fb = store->AddFeedback(Rate("req-1", "img-1", 5, "keep me"));
    ASSERT_TRUE(fb.ok());
    id = fb->id;
  }
  metrics::Registry fresh_registry;
  auto reopened = FeedbackStore::Open(path_, fresh_registry, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto recent = (*reopened)->RecentFeedback(10);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].id, id);
  EXPECT_EQ((*recent)[0].comment, "keep me");
  EXPECT_TRUE((*reopened)->FindImage("img-1").ok());
  // Feedback about an image recorded before the restart still works, and ids
  // keep increasing.
  auto again = (*reopened)->AddFeedback(Rate("", "img-1", 3));
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->id, id);
  auto dist = (*reopened)->GetRatingDistribution();
  ASSERT_TRUE(dist.ok());
  EXPECT_EQ(dist->counts[4], 1);
  EXPECT_EQ(dist->counts[2], 1);
}

TEST_F(FeedbackStoreTest, RejectsRatingsOutsideOneToFive) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  for (int rating : {0, 6, -1, 100}) {
    auto fb = store->AddFeedback(Rate("req-1", "", rating));
    EXPECT_EQ(fb.status().code(), StatusCode::kInvalidArgument) << rating;
    EXPECT_THAT(fb.status().message(), HasSubstr("rating"));
  }
  for (int rating = 1; rating <= 5; ++rating) {
    EXPECT_TRUE(store->AddFeedback(Rate("req-1", "", rating)).ok()) << rating;
  }
}

TEST_F(FeedbackStoreTest, RequiresAnId) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto fb = store->AddFeedback(Rate("", "", 3));
  EXPECT_EQ(fb.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(fb.status().message(), HasSubstr("request_id or image_id"));
}

TEST_F(FeedbackStoreTest, UnknownIdsAreNotFound) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  auto by_image = store->AddFeedback(Rate("", "img-404", 3));
  EXPECT_EQ(by_image.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(by_image.status().message(), HasSubstr("img-404"));
  EXPECT_EQ(HttpStatusFor(by_image.status().code()), 404);
  auto by_request = store->AddFeedback(Rate("req-404", "", 3));
  EXPECT_EQ(by_request.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(by_request.status().message(), HasSubstr("req-404"));
  // Nothing was stored and no metric moved.
  auto recent = store->RecentFeedback(10);
  ASSERT_TRUE(recent.ok());
  EXPECT_TRUE(recent->empty());
  auto families = registry_.Collect();
  const auto* total = FindFamily(families, "zimon_feedback");
  ASSERT_NE(total, nullptr);
  ASSERT_EQ(total->points.size(), 1u);
  EXPECT_EQ(total->points[0].value, 0);
}

TEST_F(FeedbackStoreTest, ImageMustBelongToTheNamedRequest) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  ASSERT_TRUE(store->RecordImage(Image("req-2", "img-2")).ok());
  auto fb = store->AddFeedback(Rate("req-2", "img-1", 3));
  EXPECT_EQ(fb.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(fb.status().message(), HasSubstr("does not belong"));
  EXPECT_TRUE(store->AddFeedback(Rate("req-1", "img-1", 3)).ok());
}

TEST_F(FeedbackStoreTest, RejectsLongOrInvalidComments) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  std::string at_limit(kMaxFeedbackCommentChars, 'a');
  EXPECT_TRUE(store->AddFeedback(Rate("req-1", "", 3, at_limit)).ok());
  auto too_long = store->AddFeedback(Rate("req-1", "", 3, at_limit + "a"));
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(), HasSubstr("2001 characters"));
  // The limit counts characters, not bytes: 2,000 two-byte characters pass.
  std::string umlauts;
  for (size_t i = 0; i < kMaxFeedbackCommentChars; ++i) umlauts += "\xc3\xbc";
  EXPECT_TRUE(store->AddFeedback(Rate("req-1", "", 3, umlauts)).ok());
  auto bad_utf8 = store->AddFeedback(Rate("req-1", "", 3, "bad \xff byte"));
  EXPECT_EQ(bad_utf8.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_utf8.status().message(), HasSubstr("UTF-8"));
}

// Ids are checked eight bytes at a time when they are printable ASCII: a
// control character or DEL anywhere, at any length, is still refused, and
// non-ASCII text goes to the UTF-8 check.
TEST(ValidateFeedbackRequest, FindsABadIdByteAtEveryPosition) {
  for (size_t length = 1; length <= 24; ++length) {
    FeedbackRequest request = Rate(std::string(length, 'r'), "", 3);
    EXPECT_TRUE(ValidateFeedbackRequest(request).ok()) << length;
    for (size_t at = 0; at < length; ++at) {
      for (char bad : {'\x01', '\x1f', '\x7f', '\x80', '\xff'}) {
        request.request_id = std::string(length, 'r');
        request.request_id[at] = bad;
        EXPECT_EQ(ValidateFeedbackRequest(request).code(),
                  StatusCode::kInvalidArgument)
            << "byte " << int(static_cast<unsigned char>(bad)) << " at " << at
            << " of " << length;
      }
      request.request_id = std::string(length, 'r');
      request.request_id.replace(at, 1, "\xc3\xbc");  // valid UTF-8
      EXPECT_TRUE(ValidateFeedbackRequest(request).ok()) << at;
      request.request_id = std::string(length, 'r');
      request.request_id[at] = ' ';  // 0x20 and 0x7e are printable
      request.request_id[length - 1] = '~';
      EXPECT_TRUE(ValidateFeedbackRequest(request).ok()) << at;
    }
  }
}

TEST_F(FeedbackStoreTest, CountsRatingsInMetrics) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  for (int rating : {5, 5, 1, 3}) {
    ASSERT_TRUE(store->AddFeedback(Rate("req-1", "", rating)).ok());
  }
  ASSERT_FALSE(store->AddFeedback(Rate("req-1", "", 9)).ok());
  auto families = registry_.Collect();
  const auto* hist = FindFamily(families, "zimon_user_rating");
  ASSERT_NE(hist, nullptr);
  EXPECT_EQ(hist->type, metrics::MetricType::kHistogram);
  ASSERT_EQ(hist->points.size(), 1u);
  const metrics::HistogramData& h = hist->points[0].histogram;
  ASSERT_EQ(h.buckets.size(), 6u);  // 1..5 and +Inf
  std::vector<uint64_t> cumulative;
  for (const auto& b : h.buckets) cumulative.push_back(b.cumulative_count);
  EXPECT_EQ(cumulative, (std::vector<uint64_t>{1, 1, 2, 2, 4, 4}));
  EXPECT_EQ(h.sum, 14);
  const auto* total = FindFamily(families, "zimon_feedback");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->points[0].value, 4);

  auto dist = store->GetRatingDistribution();
  ASSERT_TRUE(dist.ok());
  EXPECT_EQ(dist->counts, (std::array<int64_t, 5>{1, 0, 1, 0, 2}));
  EXPECT_EQ(dist->total(), 4);
  EXPECT_DOUBLE_EQ(dist->mean(), 3.5);
}

TEST_F(FeedbackStoreTest, DoesNotRefillMetricsOnOpen) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
    ASSERT_TRUE(store->AddFeedback(Rate("req-1", "", 4)).ok());
  }
  metrics::Registry fresh_registry;
  auto reopened = FeedbackStore::Open(path_, fresh_registry, clock_);
  ASSERT_TRUE(reopened.ok());
  auto families = fresh_registry.Collect();
  const auto* hist = FindFamily(families, "zimon_user_rating");
  ASSERT_NE(hist, nullptr);
  EXPECT_EQ(hist->points[0].histogram.count, 0u);
}

TEST_F(FeedbackStoreTest, RecentFeedbackIsNewestFirstAndLimited) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-1", "img-1")).ok());
  for (int i = 1; i <= 5; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_TRUE(
        store->AddFeedback(Rate("req-1", "", i, std::to_string(i))).ok());
  }
  auto recent = store->RecentFeedback(2);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].comment, "5");
  EXPECT_EQ((*recent)[1].comment, "4");
  EXPECT_GT((*recent)[0].created, (*recent)[1].created);
}

TEST_F(FeedbackStoreTest, ConcurrentAddFeedbackLosesNone) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(store
                    ->RecordImage(Image("req-" + std::to_string(t),
                                        "img-" + std::to_string(t)))
                    .ok());
  }
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto fb = store->AddFeedback(
            Rate("", "img-" + std::to_string(t), 1 + (i % 5)));
        if (!fb.ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << t;
  auto dist = store->GetRatingDistribution();
  ASSERT_TRUE(dist.ok());
  EXPECT_EQ(dist->total(), kThreads * kPerThread);
  auto all = store->RecentFeedback(1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kThreads * kPerThread));
  // Ids are unique and strictly decreasing, newest first.
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i].id, (*all)[i - 1].id);
  }
  auto families = registry_.Collect();
  EXPECT_EQ(FindFamily(families, "zimon_feedback")->points[0].value,
            kThreads * kPerThread);
}

TEST_F(FeedbackStoreTest, CorruptFileIsDataLossNamingThePath) {
  for (const std::string& garbage :
       {std::string(4096, 'z'), std::string("not a database at all")}) {
    {
      std::ofstream out(path_, std::ios::binary | std::ios::trunc);
      out << garbage;
    }
    auto store = FeedbackStore::Open(path_, registry_, clock_);
    ASSERT_FALSE(store.ok()) << garbage.size();
    EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(store.status().message(), HasSubstr(path_));
  }
}

TEST_F(FeedbackStoreTest, UnopenablePathIsAnErrorNamingThePath) {
  std::string missing_dir = dir_.Join("no/such/dir/feedback.db");
  auto store = FeedbackStore::Open(missing_dir, registry_, clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(missing_dir));
  // A directory where the file should be.
  auto on_dir = FeedbackStore::Open(dir_.path(), registry_, clock_);
  ASSERT_FALSE(on_dir.ok());
  EXPECT_THAT(on_dir.status().message(), HasSubstr(dir_.path()));
}

// The gateway derives image ids from the request ids it makes
// (DerivedImageId): such images are kept many to a row, with no request id
// of their own, and read back with the request id their image ids imply.
TEST_F(FeedbackStoreTest, KeepsARequestIdTheImageIdImpliesOnlyOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string key = "01a2269c0aa8a8f2a69bb8733a2624c02f8d";
  ASSERT_TRUE(store
                  ->RecordImages({Image("req_" + key, "img_" + key),
                                  Image("req_" + key, "img_" + key + "-1"),
                                  // A client's own id of the same shape.
                                  Image("req_abc", "img_" + key + "7")})
                  .ok());
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM image_batches"), "1");
  EXPECT_EQ(QueryText(path_, "SELECT second FROM image_batches"),
            std::to_string(0x01a2269c0aa8 / 1000));
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM images"), "1");
  EXPECT_EQ(QueryText(path_,
                      "SELECT COUNT(*) FROM images INDEXED BY "
                      "images_by_request WHERE request_id > ''"),
            "1");

  auto second = store->FindImage("img_" + key + "-1");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->request_id, "req_" + key);
  EXPECT_EQ(second->backend, "gpu-0");
  auto other = store->FindImage("img_" + key + "7");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->request_id, "req_abc");

  auto by_image = store->AddFeedback(Rate("", "img_" + key + "-1", 5));
  ASSERT_TRUE(by_image.ok()) << by_image.status().ToString();
  EXPECT_EQ(by_image->request_id, "req_" + key);
  EXPECT_TRUE(store->AddFeedback(Rate("req_" + key, "img_" + key, 4)).ok());
  EXPECT_TRUE(store->AddFeedback(Rate("req_" + key, "", 3)).ok());
  EXPECT_TRUE(store->AddFeedback(Rate("req_abc", "", 3)).ok());
  // The image of another request, and requests no image implies: a prefix
  // of the key, the key with the other image's suffix, the image's own id.
  EXPECT_EQ(
      store->AddFeedback(Rate("req_abc", "img_" + key, 2)).status().code(),
      StatusCode::kInvalidArgument);
  for (const std::string& unknown :
       std::vector<std::string>{"req_" + key.substr(0, 30), "req_" + key + "7",
                                "req_" + key + "-1", "img_" + key, "req_"}) {
    EXPECT_EQ(store->AddFeedback(Rate(unknown, "", 2)).status().code(),
              StatusCode::kNotFound)
        << unknown;
  }
}

// A derived id for every second the ids carry: "img_" + 12 hex digits of
// `ms` + 24 more + an optional "-index".
std::string DerivedKey(int64_t ms, int n) {
  char key[64];
  std::snprintf(key, sizeof(key), "%012llx%024x",
                static_cast<unsigned long long>(ms), n);
  return key;
}

// Images of requests made over three seconds, recorded in one call, go in
// one row per second; each reads back whole, before and after a restart, and
// feedback finds them by image and by request.
TEST_F(FeedbackStoreTest, BatchesDerivedImagesOneRowPerSecond) {
  std::vector<ImageRecord> batch;
  for (int i = 0; i < 300; ++i) {
    const std::string key = DerivedKey(1'700'000'000'000 + i * 10, i);
    ImageRecord image = Image("req_" + key, "img_" + key);
    image.backend = "gpu-" + std::to_string(i % 3) + std::string(i % 200, 'b');
    image.size = std::to_string(256 + 16 * i) + "x512";
    if (i % 5 == 0) {
      image.quality_score.reset();
    } else {
      image.quality_score = i / 300.0;
    }
    batch.push_back(image);
    if (i % 7 == 0) {
      image.image_id += "-1";
      batch.push_back(image);
    }
  }
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->RecordImages(batch).ok());
  }
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM image_batches"), "3");
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM images"), "0");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (const ImageRecord& want : batch) {
    StatusOr<ImageRecord> got = store->FindImage(want.image_id);
    ASSERT_TRUE(got.ok()) << want.image_id << ": " << got.status().ToString();
    EXPECT_EQ(got->request_id, want.request_id);
    EXPECT_EQ(got->backend, want.backend);
    EXPECT_EQ(got->size, want.size);
    EXPECT_EQ(got->quality_score, want.quality_score) << want.image_id;
    EXPECT_EQ(
        got->created,
        std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now()));
  }
  const std::string last = batch.back().request_id;
  EXPECT_TRUE(store->AddFeedback(Rate(last, "", 4)).ok());
  auto by_image = store->AddFeedback(Rate("", batch[1].image_id, 5));
  ASSERT_TRUE(by_image.ok()) << by_image.status().ToString();
  EXPECT_EQ(by_image->request_id, batch[1].request_id);
  // Same second, never recorded: not found, by either id.
  const std::string missing = DerivedKey(1'700'000'000'005, 9999);
  EXPECT_EQ(store->FindImage("img_" + missing).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store->AddFeedback(Rate("req_" + missing, "", 3)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store->AddFeedback(Rate("", "img_" + missing, 3)).status().code(),
            StatusCode::kNotFound);
}

// Batched ids of every shape read back exactly: 24 hex digits after the
// time (packed as bytes), with an index suffix, and any other tail (kept as
// text): upper-case hex, a suffix with a leading zero, a short tail.
TEST_F(FeedbackStoreTest, BatchesIdsOfEveryShape) {
  const std::string key = DerivedKey(1'700'000'000'999, 0xabcdef);
  const std::string time = key.substr(0, 12);
  std::vector<ImageRecord> batch;
  for (const std::string& tail :
       {key.substr(12), key.substr(12) + "-0", key.substr(12) + "-1",
        key.substr(12) + "-123456789", key.substr(12) + "-01",
        key.substr(12) + "-", std::string("0123456789ABCDEF01234567"),
        std::string("x"), std::string(""), key.substr(12) + "ff"}) {
    const std::string id = "img_" + time + tail;
    batch.push_back(Image(ImpliedRequestId(id).value_or(""), id));
    batch.back().backend = tail.size() % 2 ? "odd" : "";
    batch.back().size = tail.size() % 3 ? "512x512" : "";
  }
  for (const ImageRecord& image : batch) {
    ASSERT_TRUE(ImpliesRequestId(image.image_id, image.request_id))
        << image.image_id;
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImages(batch).ok());
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM image_batches"), "1");
  for (const ImageRecord& want : batch) {
    StatusOr<ImageRecord> got = store->FindImage(want.image_id);
    ASSERT_TRUE(got.ok()) << want.image_id << ": " << got.status().ToString();
    EXPECT_EQ(got->request_id, want.request_id);
    EXPECT_EQ(got->backend, want.backend) << want.image_id;
    EXPECT_EQ(got->size, want.size) << want.image_id;
  }
  EXPECT_EQ(
      store->FindImage("img_" + time + key.substr(12) + "-2").status().code(),
      StatusCode::kNotFound);
}

// Derived images and rows of their own land together or not at all.
TEST_F(FeedbackStoreTest, RecordsBatchedAndOwnRowsInOneTransaction) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordImage(Image("req-0", "img-0")).ok());
  const std::string key = DerivedKey(1'700'000'000'000, 1);
  EXPECT_EQ(store
                ->RecordImages({Image("req_" + key, "img_" + key),
                                Image("req-1", "img-0")})
                .code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store->FindImage("img_" + key).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM image_batches"), "0");
  ASSERT_TRUE(store
                  ->RecordImages({Image("req_" + key, "img_" + key),
                                  Image("req-1", "img-1")})
                  .ok());
  EXPECT_TRUE(store->FindImage("img_" + key).ok());
  EXPECT_TRUE(store->FindImage("img-1").ok());
}

// A batch row whose bytes are cut short is reported as data loss naming the
// file and row, not read past its end; rows of their own and other batch
// rows still work.
TEST_F(FeedbackStoreTest, CorruptBatchRowIsDataLoss) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string key = DerivedKey(1'700'000'000'000, 1);
  ASSERT_TRUE(store
                  ->RecordImages({Image("req_" + key, "img_" + key),
                                  Image("req-1", "img-1")})
                  .ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "UPDATE image_batches SET records = "
                         "substr(records, 1, 30)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  StatusOr<ImageRecord> found = store->FindImage("img_" + key);
  EXPECT_EQ(found.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(found.status().message(), HasSubstr(path_));
  EXPECT_THAT(found.status().message(), HasSubstr("row 1"));
  EXPECT_EQ(store->AddFeedback(Rate("req_" + key, "", 3)).status().code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(store->FindImage("img-1").ok());
  EXPECT_TRUE(store->AddFeedback(Rate("", "img-1", 3)).ok());
  // A row in a format this build does not read.
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE image_batches SET records = x'0700'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  found = store->FindImage("img_" + key);
  EXPECT_EQ(found.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(found.status().message(), HasSubstr("not a format"));
  // A corrupt row costs only its own images: a later row of the same second
  // still answers, and the corrupt one is reported only for ids not found.
  const std::string later = DerivedKey(1'700'000'000'500, 2);
  ASSERT_TRUE(store->RecordImage(Image("req_" + later, "img_" + later)).ok());
  EXPECT_TRUE(store->FindImage("img_" + later).ok());
  EXPECT_TRUE(store->AddFeedback(Rate("req_" + later, "", 4)).ok());
  EXPECT_EQ(store->FindImage("img_" + key).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(FeedbackStoreTest, RefusesANewerSchema) {
  { ASSERT_NE(OpenStore(), nullptr); }
  // Mark the file as written by a later build.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(
      sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  auto store = FeedbackStore::Open(path_, registry_, clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 99"));
}

TEST_F(FeedbackStoreTest, CreatesTheCurrentSchemaInWalMode) {
  { ASSERT_NE(OpenStore(), nullptr); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  auto query_text = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  };
  EXPECT_EQ(query_text("PRAGMA user_version"),
            std::to_string(FeedbackStore::kSchemaVersion));
  EXPECT_EQ(query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                       "'table' AND name IN ('images', 'feedback')"),
            "2");
  sqlite3_close(raw);
}

// A database written by a build with schema version 1 (images as a rowid
// table) keeps its rows and feedback links through the upgrade.
TEST_F(FeedbackStoreTest, MigratesAVersionOneDatabase) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  const char* v1 = R"sql(
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
INSERT INTO images VALUES ('img-old', 'req-old', 1700000000000, 'gpu-7',
                           '512x512', 0.5);
INSERT INTO feedback (request_id, image_id, rating, comment, created_ms)
  VALUES ('req-old', 'img-old', 5, 'kept', 1700000000001);
PRAGMA user_version = 1;
)sql";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto image = store->FindImage("img-old");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->request_id, "req-old");
  EXPECT_EQ(image->backend, "gpu-7");
  EXPECT_EQ(image->size, "512x512");
  EXPECT_EQ(image->quality_score, 0.5);
  auto recent = store->RecentFeedback(10);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].image_id, "img-old");
  EXPECT_EQ((*recent)[0].comment, "kept");
  // Still refused after the rebuilds: duplicates and unknown images.
  EXPECT_EQ(store->RecordImage(Image("req-x", "img-old")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store->AddFeedback(Rate("", "img-gone", 3)).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store->RecordImage(Image("req-new", "img-new")).ok());
  auto added = store->AddFeedback(Rate("", "img-new", 3));
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  // AUTOINCREMENT's counter came through the rebuild of the feedback table.
  EXPECT_EQ(added->id, 2);
  EXPECT_TRUE(store->AddFeedback(Rate("req-old", "", 4)).ok());
  const std::string key = DerivedKey(1'700'000'000'000, 1);
  ASSERT_TRUE(store->RecordImage(Image("req_" + key, "img_" + key)).ok());
  EXPECT_TRUE(store->AddFeedback(Rate("", "img_" + key, 5)).ok());
  store.reset();

  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw,
                               "SELECT sql FROM sqlite_master WHERE type = "
                               "'table' AND name = 'images'",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_THAT(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
              HasSubstr("WITHOUT ROWID"));
  sqlite3_finalize(stmt);
  // Version 3: request ids kept where no image id implies them, and only
  // those indexed.
  EXPECT_EQ(QueryText(path_,
                      "SELECT request_id FROM images WHERE image_id "
                      "= 'img-old'"),
            "req-old");
  EXPECT_THAT(QueryText(path_,
                        "SELECT sql FROM sqlite_master WHERE name = "
                        "'images_by_request'"),
              HasSubstr("WHERE request_id IS NOT NULL"));
  // Version 4: derived images batched; feedback references no table.
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM image_batches"), "1");
  EXPECT_THAT(QueryText(path_,
                        "SELECT sql FROM sqlite_master WHERE name = "
                        "'feedback'"),
              Not(HasSubstr("REFERENCES")));
  EXPECT_EQ(QueryText(path_, "SELECT COUNT(*) FROM feedback"), "4");
  int violations = 0;
  EXPECT_EQ(sqlite3_exec(
                raw, "PRAGMA foreign_key_check",
                [](void* n, int, char**, char**) {
                  ++*static_cast<int*>(n);
                  return 0;
                },
                &violations, nullptr),
            SQLITE_OK);
  EXPECT_EQ(violations, 0);
  sqlite3_close(raw);
}

// zimon_feedback_checkpoints_total{trigger, outcome} in `registry`.
double Checkpoints(metrics::Registry& registry, std::string_view trigger,
                   std::string_view outcome) {
  auto families = registry.Collect();
  const auto* family = FindFamily(families, "zimon_feedback_checkpoints");
  if (family == nullptr) return 0;
  for (const auto& point : family->points) {
    if (point.labels == metrics::Labels{{"trigger", std::string(trigger)},
                                        {"outcome", std::string(outcome)}}) {
      return point.value;
    }
  }
  return 0;
}

// Each image in its own transaction, so each adds at least one WAL frame.
void RecordOneByOne(FeedbackStore& store, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    ASSERT_TRUE(store
                    .RecordImage(Image("req-" + std::to_string(i),
                                       "img-" + std::to_string(i)))
                    .ok());
  }
}

TEST_F(FeedbackStoreTest, CheckpointsAtAPauseOnlyPastTheIdleThreshold) {
  auto store = OpenStore({.idle_frames = 8, .max_frames = 100000});
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CheckpointIdle().ok());  // an empty WAL: nothing
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 0);
  RecordOneByOne(*store, 0, 10);
  ASSERT_TRUE(store->CheckpointIdle().ok());
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 1);
  ASSERT_TRUE(store->CheckpointIdle().ok());  // nothing new since
  RecordOneByOne(*store, 10, 1);
  ASSERT_TRUE(store->CheckpointIdle().ok());  // under the threshold
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 1);
  EXPECT_EQ(Checkpoints(registry_, "wal_full", "complete"), 0);
  // The second record found a WAL started over: had the first checkpoint
  // not been complete, its 11 or more frames would have been past 8.
}

TEST_F(FeedbackStoreTest, CheckpointsAFullWalAtTheCommitThatFillsIt) {
  auto store = OpenStore({.idle_frames = 100000, .max_frames = 6});
  ASSERT_NE(store, nullptr);
  RecordOneByOne(*store, 0, 20);
  ASSERT_TRUE(store->AddFeedback(Rate("req-3", "", 4)).ok());
  EXPECT_GE(Checkpoints(registry_, "wal_full", "complete"), 2);
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 0);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(store->FindImage("img-" + std::to_string(i)).ok()) << i;
  }
}

TEST_F(FeedbackStoreTest, AReaderOfAnotherProcessKeepsPartOfTheWal) {
  testing::LogCapture logs;
  auto store = OpenStore({.idle_frames = 1, .max_frames = 100000});
  ASSERT_NE(store, nullptr);
  RecordOneByOne(*store, 0, 1);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &reader), SQLITE_OK);
  // A read transaction's snapshot: the frames after it must stay in the WAL.
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM images;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  RecordOneByOne(*store, 1, 3);
  EXPECT_TRUE(store->CheckpointIdle().ok());
  EXPECT_EQ(Checkpoints(registry_, "idle", "partial"), 1);
  ASSERT_EQ(
      logs.With("the feedback database's WAL was checkpointed only").size(),
      1u);
  EXPECT_EQ(
      logs.With(
          "the feedback database's WAL was checkpointed only")[0]["trigger"],
      "idle");
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 0);
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(reader);
  EXPECT_TRUE(store->CheckpointIdle().ok());  // the rest, now
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 1);
  EXPECT_TRUE(store->FindImage("img-3").ok());
}

TEST_F(FeedbackStoreTest, AFailedCheckpointIsAnErrorAndCounted) {
  testing::LogCapture logs;
  auto store = OpenStore({.idle_frames = 1, .max_frames = 100000});
  ASSERT_NE(store, nullptr);
  RecordOneByOne(*store, 0, 2);
  // Another process checkpointing holds the WAL's checkpoint lock: byte 121
  // of the "-shm" file, an fcntl lock (SQLite's WAL format, "WAL_CKPT_LOCK").
  // A passive checkpoint does not wait for it.
  int ready[2];
  int done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  const std::string shm = path_ + "-shm";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(done[1]);  // so that the parent's close is the end of the pipe
    int fd = open(shm.c_str(), O_RDWR);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 121;
    lock.l_len = 1;
    char byte = (fd >= 0 && fcntl(fd, F_SETLK, &lock) == 0) ? 'y' : 'n';
    (void)!write(ready[1], &byte, 1);
    (void)!read(done[0], &byte, 1);  // until the parent closes its end
    _exit(0);
  }
  char locked = 0;
  ASSERT_EQ(read(ready[0], &locked, 1), 1);
  EXPECT_EQ(locked, 'y');
  Status status = store->CheckpointIdle();
  close(done[1]);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  close(done[0]);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_EQ(Checkpoints(registry_, "idle", "error"), 1);
  EXPECT_EQ(logs.With("cannot checkpoint").size(), 1u);
  EXPECT_TRUE(store->CheckpointIdle().ok());  // the lock is gone
  EXPECT_EQ(Checkpoints(registry_, "idle", "complete"), 1);
}

TEST_F(FeedbackStoreTest, RefusesCheckpointThresholdsBelowOne) {
  auto store = FeedbackStore::Open(path_, registry_, clock_,
                                   {.idle_frames = 0, .max_frames = 10});
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zimon::gateway
