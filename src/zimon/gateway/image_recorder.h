// ImageRecorder: records generated images in the feedback store off the I/O
// threads, many per transaction.
//
//   ImageRecorder recorder(*store, registry);
//   // Returns at once:
//   recorder.Record({.request_id = id, .image_id = img, ...});
//   // Before looking an id up: every Record() so far is committed (or failed
//   // and was logged).
//   recorder.Flush();
//
// A writer thread (a BatchWorker) takes everything recorded since its last
// commit and writes it in one transaction (one fsync), at most one batch per
// kGatherTime unless a Flush() waits, so the cost per image falls as the rate
// rises instead of capping the gateway at one fsync per request. kGatherTime is
// short (5 ms) because a batch's inserts run in one burst: where the writer
// shares a core with the I/O thread, the burst is a stall of every request in
// flight, and 50 ms batches at 25 000 images/s made the p99 latency 6 ms
// instead of 3. At moderate rates the commit is the cost instead (about
// 190 us of CPU on a VM's disk, where a batch of 13 images costs 14 us an
// image): past kGatherTime the writer waits for kMinBatch records, up to
// kMaxGatherTime since the last batch, so from 200 to 12 800 images/s it
// commits every 64 images rather than every 5 ms. A record is durable once
// its batch commits, within kMaxGatherTime plus one fsync (tens of ms); a
// crash before that loses the record (the image was still delivered, but
// feedback naming it will get 404). A failed batch is logged and counted in
// zimon_feedback_record_errors_total; the gateway keeps serving.
//
// Once records pause for kCheckpointPause the writer checkpoints the store's
// WAL (FeedbackStore::CheckpointIdle): the copy into the database file then
// runs while few requests wait on the core, not inside a busy commit.
//
// At most `max_pending` records wait (kMaxPending, about 40 MB): past that,
// with the store's disk stalled, Record() drops the record rather than let
// memory grow without bound. Drops count in
// zimon_feedback_records_dropped_total and are logged by the writer once it
// runs again (at most once per 10 s, and at the stop); feedback naming such
// an image gets 404.
//
// Ownership: references the store, registry and clock, which must outlive
// it. The destructor writes what is pending, then stops the thread.
// Thread safety: Record() and Flush() are thread-safe; Flush() blocks, so call
// it from a worker thread, not an I/O thread.
#ifndef ZIMON_GATEWAY_IMAGE_RECORDER_H_
#define ZIMON_GATEWAY_IMAGE_RECORDER_H_

#include <chrono>
#include <cstddef>
#include <vector>

#include "zimon/common/batch_worker.h"
#include "zimon/common/clock.h"
#include "zimon/common/drop_report.h"
#include "zimon/gateway/feedback_store.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

class ImageRecorder {
 public:
  static constexpr std::chrono::milliseconds kGatherTime{5};
  static constexpr size_t kMinBatch = 64;
  static constexpr std::chrono::milliseconds kMaxGatherTime{25};
  static constexpr std::chrono::milliseconds kCheckpointPause{100};
  // About 5 s of records at 25 000 images/s.
  static constexpr size_t kMaxPending = 131072;

  ImageRecorder(FeedbackStore& store, metrics::Registry& registry,
                Clock& clock = SystemClock(), size_t max_pending = kMaxPending);
  ImageRecorder(const ImageRecorder&) = delete;
  ImageRecorder& operator=(const ImageRecorder&) = delete;

  void Record(ImageRecord image);
  // Waits until everything recorded before the call has been written.
  void Flush() { worker_.Flush(); }

 private:
  void Write(std::vector<ImageRecord>& batch);

  FeedbackStore& store_;
  metrics::Counter& errors_;
  metrics::Counter& dropped_;
  DropReport drop_report_;  // records Record() dropped, logged by the writer
  BatchWorker<ImageRecord> worker_;  // last: its thread calls Write()
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_RECORDER_H_
