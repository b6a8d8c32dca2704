// ImagePool: cheap output PNGs for a busy simulator.
//
// Rendering and deflating a 1024x1024 picture costs tens of milliseconds of
// CPU, which would dwarf everything else a simulated server does. The pool
// renders a few base pictures per size once (RenderRgb), deflates each in
// bands of rows that are independent deflate streams (SUB filter, fresh
// dictionary per band), and assembles a request's PNG from the bands of its
// bases: the picture switches base at a few band boundaries chosen by the
// hash of (prompt, seed), like a collage of horizontal strips. Assembly is a
// copy plus a CRC, well under a millisecond, and the result is a valid PNG,
// deterministic for (prompt, seed, size). Distinct pictures per size:
// bases^(switches+1) x band positions.
//
// Thread safety: thread-safe. A base is rendered once, by the first thread
// that needs it; other threads needing the same size wait for it.
#ifndef ZIMON_SIM_IMAGE_POOL_H_
#define ZIMON_SIM_IMAGE_POOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/sim/model.h"

namespace zimon::sim {

class ImagePool {
 public:
  // `bases` pictures per size (1..64), `band_rows` rows per band, at most
  // `max_sizes` sizes kept (least recently used size dropped first).
  explicit ImagePool(int bases = 8, int band_rows = 64, size_t max_sizes = 6);

  // The PNG for (prompt, seed) at `size`, or all black. kInvalidArgument for
  // an invalid size.
  StatusOr<std::string> Png(std::string_view prompt, uint64_t seed,
                            ImageSize size, bool black = false);

  // A process-wide pool (never destroyed).
  static ImagePool& Shared();

 private:
  struct Band {
    std::string deflated;  // raw deflate, byte-aligned, no final block
    uint32_t adler = 1;    // adler32 of the band's filtered bytes
    size_t raw_bytes = 0;
  };
  using Picture = std::vector<Band>;
  struct SizeEntry {
    std::mutex mu;  // held while a base is built
    std::vector<std::shared_ptr<const Picture>> bases;
    std::shared_ptr<const Picture> black;
    uint64_t last_use = 0;
  };

  std::shared_ptr<SizeEntry> Entry(ImageSize size);
  std::shared_ptr<const Picture> Base(SizeEntry& e, ImageSize size, int index);
  std::shared_ptr<const Picture> Black(SizeEntry& e, ImageSize size);
  Picture Compress(const std::vector<uint8_t>& rgb, ImageSize size) const;

  const int bases_;
  const int band_rows_;
  const size_t max_sizes_;
  std::mutex mu_;
  uint64_t clock_ = 0;  // guarded by mu_
  std::map<std::pair<int, int>, std::shared_ptr<SizeEntry>> sizes_;  // mu_
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_IMAGE_POOL_H_
