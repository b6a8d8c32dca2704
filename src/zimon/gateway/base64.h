// Base64 (RFC 4648, standard alphabet with '=' padding), for images that
// travel inside JSON (OpenAI's b64_json).
//
// Thread safety: pure functions.
#ifndef ZIMON_GATEWAY_BASE64_H_
#define ZIMON_GATEWAY_BASE64_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::gateway {

std::string Base64Encode(std::string_view bytes);

// The length of the base64 text of n bytes.
inline size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }
// Writes Base64EncodedSize(bytes.size()) characters at `out` (a buffer the
// caller sized, e.g. the tail of a response being built).
void Base64EncodeTo(std::string_view bytes, char* out);

// Decodes `text`. Padding is optional; ASCII whitespace (the line breaks some
// encoders insert) is skipped. Any other character outside the alphabet, or a
// length that cannot be base64, is kInvalidArgument.
StatusOr<std::string> Base64Decode(std::string_view text);

// The number of leading characters of `text` that are in the base64
// alphabet (A-Z a-z 0-9 + /; not '=' or whitespace): text.size() when all
// are. SIMD on x86-64: AVX2 when the CPU has it, else SSE2.
size_t Base64AlphabetPrefix(std::string_view text);

// True when `text` is canonical base64: a multiple of 4 characters of the
// alphabet, with at most two '=' at the end and zero padding bits, so that
// Base64Decode accepts it and Base64Encode of the result gives it back.
bool IsCanonicalBase64(std::string_view text);

namespace internal {

// The implementations Base64AlphabetPrefix chooses from, best last; exposed
// so that tests and benchmarks can run each on any machine that has it.
enum class AlphabetPath { kPortable, kSse2, kAvx2 };

// The paths this build and CPU can run, kPortable first.
std::vector<AlphabetPath> SupportedAlphabetPaths();

// Base64AlphabetPrefix on a given path (one of SupportedAlphabetPaths()).
size_t Base64AlphabetPrefixOn(AlphabetPath path, std::string_view text);

}  // namespace internal

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_BASE64_H_
