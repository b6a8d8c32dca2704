#include "zimon/gateway/image_decode_jpeg.h"

#include <string>

#ifdef ZIMON_HAVE_JPEG
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#endif

namespace zimon::gateway::internal {

#ifdef ZIMON_HAVE_JPEG
namespace {

// libjpeg reports fatal errors through error_exit, which must not return; it
// long-jumps back to DecodeInto. Only plain C state lives in the frames
// between setjmp and longjmp, and the output is written through a pointer.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  bool truncated;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void OnMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

// Returns false with err->message set on failure. `out->pixels` is sized and
// filled here; `out` must outlive the call.
bool DecodeInto(std::string_view bytes, const DecodeOptions& options,
                RgbImage* out, ErrorManager* err) {
  const int max_dimension = options.max_dimension;
  const int min_long_side = options.jpeg_min_long_side;
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = OnError;
  err->pub.emit_message = OnMessage;
  err->truncated = false;
  err->message[0] = '\0';
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));  // NOLINT
  jpeg_read_header(&cinfo, TRUE);
  const unsigned w = cinfo.image_width;
  const unsigned h = cinfo.image_height;
  if (w == 0 || h == 0 || w > static_cast<unsigned>(max_dimension) ||
      h > static_cast<unsigned>(max_dimension)) {
    std::snprintf(err->message, sizeof(err->message),
                  "dimensions %ux%u out of range", w, h);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  // Counted at full size, as for PNG and WebP, whatever scale it decodes at.
  if (options.max_pixels <= 0 ||
      uint64_t{w} * h > static_cast<uint64_t>(options.max_pixels)) {
    std::snprintf(err->message, sizeof(err->message),
                  "%ux%u is more than the limit of %lld pixels", w, h,
                  static_cast<long long>(options.max_pixels));  // NOLINT
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const unsigned long_side = w > h ? w : h;
  unsigned denom = 1;
  while (min_long_side > 0 && denom < 8 &&
         long_side / (denom * 2) >= static_cast<unsigned>(min_long_side)) {
    denom *= 2;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out->source_width = static_cast<int>(w);
  out->source_height = static_cast<int>(h);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  const size_t stride = static_cast<size_t>(cinfo.output_width) * 3;
  out->pixels.resize(stride * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (err->truncated) break;
  }
  if (err->truncated) {
    std::snprintf(err->message, sizeof(err->message),
                  "Premature end of JPEG file");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

bool JpegSupported() { return true; }

StatusOr<RgbImage> DecodeJpeg(std::string_view bytes,
                              const DecodeOptions& options) {
  RgbImage out;
  out.format = ImageFormat::kJpeg;
  ErrorManager err;
  if (!DecodeInto(bytes, options, &out, &err)) {
    return InvalidArgumentError(std::string("jpeg: ") + err.message);
  }
  return out;
}

#else  // !ZIMON_HAVE_JPEG

bool JpegSupported() { return false; }

StatusOr<RgbImage> DecodeJpeg(std::string_view /*bytes*/,
                              const DecodeOptions& /*options*/) {
  return UnimplementedError(
      "JPEG decoding not built (libjpeg was not found at configure time)");
}

#endif  // ZIMON_HAVE_JPEG

}  // namespace zimon::gateway::internal
