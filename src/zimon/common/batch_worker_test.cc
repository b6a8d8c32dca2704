#include "zimon/common/batch_worker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "zimon/common/thread_name.h"

namespace zimon {
namespace {

using namespace std::chrono_literals;

// Records the batches it is handed; the first batch can be held back until
// Release(), so a test knows what waits meanwhile.
class Recorder {
 public:
  explicit Recorder(bool hold_first = false) {
    if (!hold_first) release_.set_value();
  }

  BatchWorker<int>::Handler Handler() {
    return [this](std::vector<int>& batch) {
      bool first;
      {
        std::lock_guard lock(mu_);
        first = batches_.empty();
        batches_.push_back(batch);
      }
      if (first) {
        entered_.set_value();
        release_future_.wait();
      }
    };
  }

  void WaitUntilFirstBatch() { entered_.get_future().wait(); }
  void Release() { release_.set_value(); }

  std::vector<std::vector<int>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<int>> batches_;
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
};

TEST(BatchWorker, FlushWaitsForEveryItemAddedBefore) {
  Recorder recorder;
  BatchWorker<int> worker("zimon-test", 1ms, 1000, recorder.Handler());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&worker, t] {
      for (int i = 0; i < 100; ++i) EXPECT_TRUE(worker.Add(t * 100 + i));
    });
  }
  for (auto& t : threads) t.join();
  worker.Flush();
  std::vector<int> seen;
  for (const auto& batch : recorder.batches()) {
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 400u);
  for (int i = 0; i < 400; ++i) EXPECT_EQ(seen[i], i);
}

TEST(BatchWorker, ItemsThatArriveDuringABatchMakeTheNextOne) {
  Recorder recorder(/*hold_first=*/true);
  BatchWorker<int> worker("zimon-test", 1h, 1000, recorder.Handler());
  worker.Add(0);
  recorder.WaitUntilFirstBatch();
  for (int i = 1; i <= 50; ++i) worker.Add(i);
  recorder.Release();
  worker.Flush();  // cuts the hour's gathering short
  auto batches = recorder.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<int>{0});
  EXPECT_EQ(batches[1].size(), 50u);
}

TEST(BatchWorker, RefusesItemsPastMaxPending) {
  Recorder recorder(/*hold_first=*/true);
  BatchWorker<int> worker("zimon-test", 1ms, 2, recorder.Handler());
  EXPECT_TRUE(worker.Add(0));
  recorder.WaitUntilFirstBatch();  // 0 is out of the queue
  EXPECT_TRUE(worker.Add(1));
  EXPECT_TRUE(worker.Add(2));
  EXPECT_FALSE(worker.Add(3));
  recorder.Release();
  worker.Flush();
  EXPECT_TRUE(worker.Add(4));  // room again
  worker.Flush();
  auto batches = recorder.batches();
  std::vector<int> seen;
  for (const auto& batch : batches) {
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 4}));
}

TEST(BatchWorker, DestructorHandlesWhatIsPending) {
  Recorder recorder;
  {
    BatchWorker<int> worker("zimon-test", 1h, 1000, recorder.Handler());
    for (int i = 0; i < 10; ++i) worker.Add(i);
  }
  size_t handled = 0;
  for (const auto& batch : recorder.batches()) handled += batch.size();
  EXPECT_EQ(handled, 10u);
}

TEST(BatchWorker, RunsOnANamedThread) {
  auto count = [] {
    std::vector<std::string> names = ProcessThreadNames();
    return std::count(names.begin(), names.end(), "zimon-batchtest");
  };
  const auto before = count();
  {
    Recorder recorder;
    BatchWorker<int> worker("zimon-batchtest", 1ms, 10, recorder.Handler());
    EXPECT_EQ(count(), before + 1);
  }
  EXPECT_EQ(count(), before);
}

TEST(BatchWorker, CallsTheIdleHandlerOnceAfterEachPause) {
  std::mutex mu;
  std::condition_variable changed;
  int idles = 0;
  std::vector<int> handled_before_idle;  // items handled at each idle call
  int handled = 0;
  BatchWorker<int> worker(
      "zimon-test", 1ms, 1000,
      [&](std::vector<int>& batch) {
        std::lock_guard lock(mu);
        handled += static_cast<int>(batch.size());
      },
      20ms,
      [&] {
        std::lock_guard lock(mu);
        ++idles;
        handled_before_idle.push_back(handled);
        changed.notify_all();
      });
  auto wait_for_idles = [&](int n) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, 10s, [&] { return idles >= n; });
  };
  std::this_thread::sleep_for(60ms);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(idles, 0) << "no batch yet, so nothing to follow up";
  }
  for (int i = 0; i < 3; ++i) worker.Add(i);
  ASSERT_TRUE(wait_for_idles(1));
  std::this_thread::sleep_for(60ms);  // a longer pause calls it no more
  worker.Add(3);
  ASSERT_TRUE(wait_for_idles(2));
  std::lock_guard lock(mu);
  EXPECT_EQ(idles, 2);
  EXPECT_EQ(handled_before_idle, (std::vector<int>{3, 4}));
}

TEST(BatchWorker, ItemsDuringTheIdleHandlerAreHandled) {
  std::promise<void> idle_entered;
  std::promise<void> idle_release;
  std::shared_future<void> release = idle_release.get_future().share();
  Recorder recorder;
  bool first_idle = true;
  BatchWorker<int> worker("zimon-test", 1ms, 1000, recorder.Handler(), 1ms,
                          [&] {
                            if (!std::exchange(first_idle, false)) return;
                            idle_entered.set_value();
                            release.wait();
                          });
  worker.Add(0);
  idle_entered.get_future().wait();
  worker.Add(1);  // while the handler runs
  idle_release.set_value();
  worker.Flush();
  auto batches = recorder.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], std::vector<int>{1});
}

// Polls until `recorder` has seen `n` batches; false after 10 s.
bool WaitForBatches(Recorder& recorder, size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (recorder.batches().size() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(BatchWorker, AMinimumBatchWaitsUntilItsLastItemArrives) {
  Recorder recorder;
  BatchWorker<int> worker("zimon-test", {1ms, 4, 1h}, 1000, recorder.Handler());
  worker.Add(0);  // wakes the idle thread: a batch of its own
  recorder.WaitUntilFirstBatch();
  for (int i = 1; i <= 3; ++i) worker.Add(i);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(recorder.batches().size(), 1u) << "three of four wait";
  worker.Add(4);  // the fourth ends the wait
  ASSERT_TRUE(WaitForBatches(recorder, 2));
  EXPECT_EQ(recorder.batches()[1], (std::vector<int>{1, 2, 3, 4}));
}

TEST(BatchWorker, AMinimumBatchWaitsNoLongerThanItsMaximumTime) {
  Recorder recorder;
  BatchWorker<int> worker("zimon-test", {1ms, 1000, 30ms}, 1000,
                          recorder.Handler());
  worker.Add(0);
  recorder.WaitUntilFirstBatch();
  // The gathering starts after the first batch, so after this.
  const auto start = std::chrono::steady_clock::now();
  worker.Add(1);
  ASSERT_TRUE(WaitForBatches(recorder, 2));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_EQ(recorder.batches()[1], std::vector<int>{1});
}

TEST(BatchWorker, FlushCutsTheWaitForAMinimumBatchShort) {
  Recorder recorder;
  BatchWorker<int> worker("zimon-test", {1ms, 1000, 1h}, 1000,
                          recorder.Handler());
  worker.Add(0);
  recorder.WaitUntilFirstBatch();
  worker.Add(1);
  auto flushed = std::async(std::launch::async, [&] { worker.Flush(); });
  ASSERT_EQ(flushed.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(recorder.batches().size(), 2u);
}

}  // namespace
}  // namespace zimon
