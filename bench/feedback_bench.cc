// The feedback store's image records (docs/feedback.md): what one batch of
// the gateway's image recorder costs per row, committed to a database file
// in a fresh temporary directory with the store's own settings (WAL,
// synchronous FULL). Ids are time-ordered, as the gateway makes them:
// client_ids:0 is a request without X-Request-Id, whose image ids the gateway
// derives from the request id it makes (stored many to a row of
// image_batches), client_ids:1 one whose client sent its own request id (a
// row of images each, with the request id indexed). wal:0 commits into a
// fresh database, whose WAL grows into new disk blocks; wal:1 first fills the
// WAL to the store's limit so that it is checkpointed and starts over, as in
// a gateway that has run a while: its commits then overwrite blocks the WAL
// already has.
//
//   build/release/bench/feedback_bench
//
// The counter rows_per_s is images committed per CPU second of this thread
// (waits for the disk excluded): the recorder shares a core with the
// gateway's I/O thread, so every microsecond of CPU a row costs here is one a
// proxied request pays there.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/logging.h"
#include "zimon/gateway/access_log.h"
#include "zimon/gateway/feedback_store.h"
#include "zimon/gateway/image_store.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {
namespace {

// Records images until the store checkpoints a full WAL; false if it never
// does within far more than the limit's worth of commits.
bool FillWalOnce(FeedbackStore& store, metrics::Registry& registry) {
  auto checkpoints = [&] {
    double n = 0;
    for (const auto& family : registry.Collect()) {
      if (family.name != "zimon_feedback_checkpoints") continue;
      for (const auto& point : family.points) n += point.value;
    }
    return n;
  };
  std::vector<ImageRecord> batch(1000);
  for (int commit = 0; commit < 100000; ++commit) {
    for (ImageRecord& image : batch) {
      image.request_id = AcceptOrMakeRequestId("");
      image.image_id = *DerivedImageId(image.request_id, 0);
    }
    if (!store.RecordImages(batch).ok()) return false;
    if (commit % 16 == 15 && checkpoints() > 0) return true;
  }
  return false;
}

void BM_RecordImages(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  const bool client_ids = state.range(1) != 0;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "zimon-feedback-bench-XXXXXX")
          .string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::filesystem::path dir(dir_template);
  log::SetLevel(log::Level::kWarn);  // not the migration's info line per run
  {
    metrics::Registry registry;
    StatusOr<std::unique_ptr<FeedbackStore>> store =
        FeedbackStore::Open((dir / "feedback.db").string(), registry);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    if (state.range(2) != 0 && !FillWalOnce(**store, registry)) {
      state.SkipWithError("the WAL was never checkpointed");
      return;
    }
    std::vector<ImageRecord> batch(batch_size);
    int64_t rows = 0;
    for (auto _ : state) {
      state.PauseTiming();
      for (ImageRecord& image : batch) {
        image.request_id = AcceptOrMakeRequestId("");
        if (client_ids) {
          // The request id a client sent: stored with every image.
          image.image_id = ImageStore::NewImageId();
        } else {
          image.image_id = *DerivedImageId(image.request_id, 0);
        }
        image.backend = "gpu-0";
        image.size = "1024x1024";
        image.quality_score = 0.75;
      }
      state.ResumeTiming();
      Status status = (*store)->RecordImages(batch);
      if (!status.ok()) {
        state.SkipWithError(status.ToString().c_str());
        break;
      }
      rows += static_cast<int64_t>(batch_size);
    }
    state.counters["rows_per_s"] = benchmark::Counter(
        static_cast<double>(rows), benchmark::Counter::kIsRate);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_RecordImages)
    ->ArgNames({"batch", "client_ids", "wal"})
    ->ArgsProduct({{1, 20, 100, 400}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace zimon::gateway

BENCHMARK_MAIN();
