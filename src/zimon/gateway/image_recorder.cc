#include "zimon/gateway/image_recorder.h"

#include <utility>

#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"

namespace zimon::gateway {

ImageRecorder::ImageRecorder(FeedbackStore& store, metrics::Registry& registry)
    : store_(store),
      errors_(registry
                  .AddCounter("zimon_feedback_record_errors_total",
                              "Batches of generated-image records that could "
                              "not be written to the feedback store.")
                  .WithLabels({})),
      thread_([this] { Run(); }) {
  SetThreadName(thread_.native_handle(), "zimon-records");
}

ImageRecorder::~ImageRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ImageRecorder::Record(ImageRecord image) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(image));
    ++recorded_;
    // While the writer gathers a batch, a record must not wake it: that would
    // be a thread switch per request for nothing.
    wake = idle_;
    idle_ = false;
  }
  if (wake) wake_.notify_one();
}

void ImageRecorder::Flush() {
  std::unique_lock lock(mu_);
  uint64_t target = recorded_;
  ++flushes_waiting_;
  wake_.notify_all();
  done_.wait(lock, [&] { return written_ >= target; });
  --flushes_waiting_;
}

void ImageRecorder::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    idle_ = pending_.empty();
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    idle_ = false;
    if (pending_.empty()) return;  // stopping, nothing left
    std::vector<ImageRecord> batch;
    batch.swap(pending_);
    lock.unlock();
    Status status = store_.RecordImages(batch);
    if (!status.ok() && batch.size() > 1) {
      // One bad record (a duplicate id) must not cost the others theirs.
      status = OkStatus();
      for (const ImageRecord& image : batch) {
        Status one = store_.RecordImage(image);
        if (!one.ok()) status = one;
      }
    }
    if (!status.ok()) {
      errors_.Inc();
      log::Error("cannot record generated images",
                 {{"images", static_cast<int64_t>(batch.size())},
                  {"error", status.ToString()}});
    }
    lock.lock();
    written_ += batch.size();
    done_.notify_all();
    // Let records gather for a moment, so a busy gateway commits at most one
    // batch per kGatherTime instead of one small one per fsync; a Flush() or
    // the destructor cuts the wait short.
    wake_.wait_for(lock, kGatherTime,
                   [&] { return stopping_ || flushes_waiting_ > 0; });
  }
}

}  // namespace zimon::gateway
