#include "zimon/sim/image_pool.h"

#include <zlib.h>

#include <algorithm>

#include "zimon/sim/image.h"

namespace zimon::sim {

namespace {

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// Appends a PNG chunk: length, type, data, CRC of type and data.
void PutChunk(std::string& out, const char type[4], std::string_view data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  size_t start = out.size();
  out.append(type, 4);
  out.append(data);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start),
                    static_cast<uInt>(out.size() - start));
  PutU32(out, static_cast<uint32_t>(crc));
}

uint64_t Mix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

ImagePool::ImagePool(int bases, int band_rows, size_t max_sizes)
    : bases_(std::clamp(bases, 1, 64)),
      band_rows_(std::max(band_rows, 1)),
      max_sizes_(std::max<size_t>(max_sizes, 1)) {}

ImagePool& ImagePool::Shared() {
  static ImagePool* pool = new ImagePool();
  return *pool;
}

std::shared_ptr<ImagePool::SizeEntry> ImagePool::Entry(ImageSize size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(size.width, size.height);
  auto it = sizes_.find(key);
  if (it == sizes_.end()) {
    if (sizes_.size() >= max_sizes_) {
      auto oldest = std::min_element(
          sizes_.begin(), sizes_.end(), [](const auto& a, const auto& b) {
            return a.second->last_use < b.second->last_use;
          });
      sizes_.erase(oldest);  // users still holding it keep it alive
    }
    auto e = std::make_shared<SizeEntry>();
    e->bases.resize(static_cast<size_t>(bases_));
    it = sizes_.emplace(key, std::move(e)).first;
  }
  it->second->last_use = ++clock_;
  return it->second;
}

ImagePool::Picture ImagePool::Compress(const std::vector<uint8_t>& rgb,
                                       ImageSize size) const {
  const size_t stride = static_cast<size_t>(size.width) * 3;
  Picture bands;
  std::vector<uint8_t> raw;
  for (int y0 = 0; y0 < size.height; y0 += band_rows_) {
    int rows = std::min(band_rows_, size.height - y0);
    raw.assign((stride + 1) * static_cast<size_t>(rows), 0);
    for (int r = 0; r < rows; ++r) {
      const uint8_t* src = &rgb[static_cast<size_t>(y0 + r) * stride];
      uint8_t* dst = &raw[static_cast<size_t>(r) * (stride + 1)];
      dst[0] = 1;  // SUB: depends only on the same row, so bands can mix
      ++dst;
      for (size_t i = 0; i < 3 && i < stride; ++i) dst[i] = src[i];
      for (size_t i = 3; i < stride; ++i) {
        dst[i] = static_cast<uint8_t>(src[i] - src[i - 3]);
      }
    }
    Band band;
    band.raw_bytes = raw.size();
    band.adler = static_cast<uint32_t>(
        adler32(1L, raw.data(), static_cast<uInt>(raw.size())));
    z_stream zs{};
    // Raw deflate, level 1; each band is its own stream, so no match reaches
    // into another band.
    deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    band.deflated.resize(deflateBound(&zs, raw.size()) + 16);
    zs.next_in = raw.data();
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = reinterpret_cast<Bytef*>(band.deflated.data());
    zs.avail_out = static_cast<uInt>(band.deflated.size());
    // Z_SYNC_FLUSH ends on a byte boundary without a final block.
    deflate(&zs, Z_SYNC_FLUSH);
    band.deflated.resize(zs.total_out);
    deflateEnd(&zs);
    bands.push_back(std::move(band));
  }
  return bands;
}

std::shared_ptr<const ImagePool::Picture> ImagePool::Base(SizeEntry& e,
                                                          ImageSize size,
                                                          int index) {
  std::lock_guard<std::mutex> lock(e.mu);
  auto& slot = e.bases[static_cast<size_t>(index)];
  if (!slot) {
    // Bases are ordinary renders with fixed prompts: the pool's variety comes
    // from how requests combine them.
    auto rgb = RenderRgb("zimon sim base " + std::to_string(index),
                         static_cast<uint64_t>(index), size);
    slot = std::make_shared<const Picture>(Compress(rgb, size));
  }
  return slot;
}

std::shared_ptr<const ImagePool::Picture> ImagePool::Black(SizeEntry& e,
                                                           ImageSize size) {
  std::lock_guard<std::mutex> lock(e.mu);
  if (!e.black) {
    std::vector<uint8_t> zeros(static_cast<size_t>(size.width) * size.height *
                               3);
    e.black = std::make_shared<const Picture>(Compress(zeros, size));
  }
  return e.black;
}

StatusOr<std::string> ImagePool::Png(std::string_view prompt, uint64_t seed,
                                     ImageSize size, bool black) {
  ZIMON_RETURN_IF_ERROR(ValidateImageSize(size));
  std::shared_ptr<SizeEntry> entry = Entry(size);
  const int nbands = (size.height + band_rows_ - 1) / band_rows_;

  // Which base each band comes from: start on one, switch at 1-3 boundaries.
  std::vector<std::shared_ptr<const Picture>> pick(static_cast<size_t>(nbands));
  if (black) {
    auto b = Black(*entry, size);
    std::fill(pick.begin(), pick.end(), b);
  } else {
    uint64_t h = ImageSeed(prompt, seed);
    int current = static_cast<int>(Mix(h) % static_cast<uint64_t>(bases_));
    int switches = 1 + static_cast<int>(Mix(h) % 3);
    std::vector<int> at;
    for (int s = 0; s < switches && nbands > 1; ++s) {
      at.push_back(1 + static_cast<int>(Mix(h) % (nbands - 1)));
    }
    for (int b = 0; b < nbands; ++b) {
      if (std::find(at.begin(), at.end(), b) != at.end() && bases_ > 1) {
        current =
            (current + 1 +
             static_cast<int>(Mix(h) % static_cast<uint64_t>(bases_ - 1))) %
            bases_;
      }
      pick[static_cast<size_t>(b)] = Base(*entry, size, current);
    }
  }

  std::string idat;
  size_t total = 8;
  for (int b = 0; b < nbands; ++b) {
    total +=
        (*pick[static_cast<size_t>(b)])[static_cast<size_t>(b)].deflated.size();
  }
  idat.reserve(total);
  idat.push_back(static_cast<char>(0x78));  // zlib header: deflate, 32K window
  idat.push_back(static_cast<char>(0x01));  // fastest; (0x7801 % 31 == 0)
  uLong adler = 1;
  for (int b = 0; b < nbands; ++b) {
    const Band& band = (*pick[static_cast<size_t>(b)])[static_cast<size_t>(b)];
    idat.append(band.deflated);
    adler = adler32_combine(adler, band.adler,
                            static_cast<z_off_t>(band.raw_bytes));
  }
  // A final, empty fixed-Huffman block ends the deflate stream.
  idat.push_back(static_cast<char>(0x03));
  idat.push_back(static_cast<char>(0x00));
  PutU32(idat, static_cast<uint32_t>(adler));

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(size.width));
  PutU32(ihdr, static_cast<uint32_t>(size.height));
  ihdr.append("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  png.reserve(idat.size() + 64);
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", idat);
  PutChunk(png, "IEND", "");
  return png;
}

}  // namespace zimon::sim
