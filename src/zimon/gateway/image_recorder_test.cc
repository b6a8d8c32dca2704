#include "zimon/gateway/image_recorder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "zimon/common/thread_name.h"
#include "zimon/metrics/registry.h"
#include "zimon/testing/fake_clock.h"
#include "zimon/testing/log_capture.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::gateway {
namespace {

ImageRecord Image(const std::string& request, const std::string& image) {
  ImageRecord r;
  r.request_id = request;
  r.image_id = image;
  r.backend = "gpu-0";
  r.size = "512x512";
  return r;
}

// The value of the unlabelled counter `name` (without _total).
double Count(metrics::Registry& registry, std::string_view name) {
  for (const auto& f : registry.Collect()) {
    if (f.name == name) return f.points[0].value;
  }
  return -1;
}

double ErrorCount(metrics::Registry& registry) {
  return Count(registry, "zimon_feedback_record_errors");
}

TEST(ImageRecorder, FlushMakesEveryRecordFindable) {
  testing::TempDir dir;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ImageRecorder recorder(**store, registry);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&recorder, t] {
      for (int i = 0; i < 50; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        recorder.Record(Image("req-" + id, "img-" + id));
      }
    });
  }
  for (auto& t : threads) t.join();
  recorder.Flush();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 50; ++i) {
      std::string id = std::to_string(t) + "-" + std::to_string(i);
      EXPECT_TRUE((*store)->FindImage("img-" + id).ok()) << id;
    }
  }
  EXPECT_EQ(ErrorCount(registry), 0);
}

TEST(ImageRecorder, WritesOnANamedThread) {
  testing::TempDir dir;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto count = [] {
    std::vector<std::string> names = ProcessThreadNames();
    return std::count(names.begin(), names.end(), "zimon-records");
  };
  const auto before = count();
  {
    ImageRecorder recorder(**store, registry);
    EXPECT_EQ(count(), before + 1);
  }
  EXPECT_EQ(count(), before);
}

TEST(ImageRecorder, ADuplicateCostsOnlyItself) {
  testing::TempDir dir;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->RecordImage(Image("req-0", "img-dup")).ok());
  {
    ImageRecorder recorder(**store, registry);
    recorder.Record(Image("req-1", "img-1"));
    recorder.Record(Image("req-1", "img-dup"));
    recorder.Record(Image("req-1", "img-2"));
    recorder.Flush();
    EXPECT_EQ(ErrorCount(registry), 1);
  }
  EXPECT_TRUE((*store)->FindImage("img-1").ok());
  EXPECT_TRUE((*store)->FindImage("img-2").ok());
  EXPECT_EQ((*store)->FindImage("img-dup")->request_id, "req-0");
}

TEST(ImageRecorder, DestructorWritesWhatIsPending) {
  testing::TempDir dir;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    ImageRecorder recorder(**store, registry);
    for (int i = 0; i < 20; ++i) {
      recorder.Record(Image("req", "img-" + std::to_string(i)));
    }
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE((*store)->FindImage("img-" + std::to_string(i)).ok()) << i;
  }
}

TEST(ImageRecorder, DropsCountsAndLogsRecordsPastItsBound) {
  testing::TempDir dir;
  testing::FakeClock clock;
  testing::LogCapture logs;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    // No room at all: every record is turned away, as when max_pending
    // records already wait behind a stalled disk.
    ImageRecorder recorder(**store, registry, clock, /*max_pending=*/0);
    for (int i = 0; i < 3; ++i) {
      recorder.Record(Image("req", "img-" + std::to_string(i)));
    }
    recorder.Flush();
    EXPECT_EQ(Count(registry, "zimon_feedback_records_dropped"), 3);
  }
  auto warnings = logs.With("image records dropped");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["records"], 3);
  EXPECT_FALSE((*store)->FindImage("img-0").ok());
  EXPECT_EQ(ErrorCount(registry), 0);
}

TEST(ImageRecorder, CheckpointsTheStoreWhenRecordsPause) {
  testing::TempDir dir;
  metrics::Registry registry;
  auto store = FeedbackStore::Open(dir.Join("f.db"), registry, SystemClock(),
                                   {.idle_frames = 1, .max_frames = 100000});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto idle_checkpoints = [&] {
    for (const auto& f : registry.Collect()) {
      if (f.name != "zimon_feedback_checkpoints") continue;
      for (const auto& p : f.points) {
        if (p.labels ==
            metrics::Labels{{"trigger", "idle"}, {"outcome", "complete"}}) {
          return p.value;
        }
      }
    }
    return 0.0;
  };
  ImageRecorder recorder(**store, registry);
  recorder.Record(Image("req-1", "img-1"));
  recorder.Flush();
  // Flush returns once the batch is committed; the checkpoint follows
  // kCheckpointPause later.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (idle_checkpoints() < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(ImageRecorder::kCheckpointPause / 4);
  }
  EXPECT_EQ(idle_checkpoints(), 1);
  EXPECT_TRUE((*store)->FindImage("img-1").ok());
}

}  // namespace
}  // namespace zimon::gateway
