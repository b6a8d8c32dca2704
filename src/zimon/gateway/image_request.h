// ImageRequest: one validated image-generation request as the gateway hands it
// to a backend adapter, independent of the client's and the backend's wire
// formats (image_api.h parses the OpenAI form; adapter.h sends it on).
//
// Thread safety: a plain value type.
#ifndef ZIMON_GATEWAY_IMAGE_REQUEST_H_
#define ZIMON_GATEWAY_IMAGE_REQUEST_H_

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

namespace zimon::gateway {

enum class ResponseFormat {
  kB64Json,  // images inline, base64
  kUrl,      // images written to the image directory, served at /images/
};

struct ImageRequest {
  std::string request_id;       // X-Request-Id (accepted or generated)
  std::string prompt;           // non-empty
  std::string negative_prompt;  // empty: none
  std::string model;            // as the client sent it; empty: none
  int n = 1;                    // images wanted
  int width = 1024;             // pixels, a multiple of 16
  int height = 1024;
  std::optional<int64_t> seed;
  std::optional<int> steps;  // num_inference_steps; unset: backend's default
  std::optional<double> guidance_scale;  // unset: backend's default
  ResponseFormat response_format = ResponseFormat::kB64Json;

  // "WIDTHxHEIGHT", e.g. "1024x1024".
  std::string SizeString() const {
    char text[32];  // two ints of at most 11 characters and the 'x'
    char* p = std::to_chars(text, text + 11, width).ptr;
    *p++ = 'x';
    p = std::to_chars(p, text + sizeof text, height).ptr;
    return std::string(text, p);
  }
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_REQUEST_H_
