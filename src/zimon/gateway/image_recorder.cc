#include "zimon/gateway/image_recorder.h"

#include <limits>

#include "zimon/common/logging.h"

namespace zimon::gateway {

ImageRecorder::ImageRecorder(FeedbackStore& store, metrics::Registry& registry)
    : store_(store),
      errors_(registry
                  .AddCounter("zimon_feedback_record_errors_total",
                              "Batches of generated-image records that could "
                              "not be written to the feedback store.")
                  .WithLabels({})),
      // Unbounded: a record is a few hundred bytes, and the store only stalls
      // as long as its disk does.
      worker_("zimon-records", kGatherTime, std::numeric_limits<size_t>::max(),
              [this](std::vector<ImageRecord>& batch) { Write(batch); }) {}

void ImageRecorder::Write(std::vector<ImageRecord>& batch) {
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
