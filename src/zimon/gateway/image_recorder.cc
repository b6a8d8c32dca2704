#include "zimon/gateway/image_recorder.h"

#include "zimon/common/logging.h"

namespace zimon::gateway {

ImageRecorder::ImageRecorder(FeedbackStore& store, metrics::Registry& registry,
                             Clock& clock, size_t max_pending)
    : store_(store),
      errors_(registry
                  .AddCounter("zimon_feedback_record_errors_total",
                              "Batches of generated-image records that could "
                              "not be written to the feedback store.")
                  .WithLabels({})),
      dropped_(registry
                   .AddCounter("zimon_feedback_records_dropped_total",
                               "Generated-image records dropped unwritten "
                               "because too many waited for the feedback "
                               "store (its disk stalled).")
                   .WithLabels({})),
      drop_report_("image records dropped: the feedback store is behind",
                   "records", clock),
      worker_(
          "zimon-records", {kGatherTime, kMinBatch, kMaxGatherTime},
          max_pending,
          [this](std::vector<ImageRecord>& batch) { Write(batch); },
          kCheckpointPause,
          // Errors are logged and counted by the store.
          [this] { (void)store_.CheckpointIdle(); }) {}

void ImageRecorder::Record(ImageRecord image) {
  if (!worker_.Add(std::move(image))) {
    dropped_.Inc();
    drop_report_.Add();
  }
}

void ImageRecorder::Write(std::vector<ImageRecord>& batch) {
  drop_report_.Report();
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
}

}  // namespace zimon::gateway
