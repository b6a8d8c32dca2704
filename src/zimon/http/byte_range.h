// Single byte-range requests (RFC 9110 §14) for handlers that hold the whole
// representation in memory.
//
//   http::Response r = ...;  // 200 with the whole body
//   http::ApplyRange(request, r);  // 206 with the part the Range asks for,
//                                  // 416, or unchanged
//
// One range is served ("bytes=0-99", "bytes=100-", "bytes=-500"). As the RFC
// allows, a request for several ranges, an invalid Range, a unit other than
// bytes or any If-Range (there are no validators to compare it with) gets the
// whole representation.
//
// Thread safety: pure functions.
#ifndef ZIMON_HTTP_BYTE_RANGE_H_
#define ZIMON_HTTP_BYTE_RANGE_H_

#include <cstdint>
#include <string_view>

#include "zimon/http/message.h"

namespace zimon::http {

struct RangeAnswer {
  enum class Kind {
    kWhole,          // ignore the Range: 200 with everything
    kPartial,        // 206 with bytes [first, last]
    kUnsatisfiable,  // 416: no byte of the range exists
  };
  Kind kind = Kind::kWhole;
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

// What to answer for the value of a Range header on `size` bytes.
RangeAnswer ResolveRange(std::string_view range, uint64_t size);

// Turns a 200 `response` holding the whole body into the answer `request`'s
// Range asks for: 206 with Content-Range and the part, or 416 with
// "Content-Range: bytes */<size>" and an empty body. Sets
// "Accept-Ranges: bytes" on 200 and 206. Other statuses are left alone.
void ApplyRange(const Request& request, Response& response);

}  // namespace zimon::http

#endif  // ZIMON_HTTP_BYTE_RANGE_H_
