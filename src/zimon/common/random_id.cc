#include "zimon/common/random_id.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zimon {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Random bytes handed out from a per-thread block, one getrandom() call per
// block.
class RandomPool {
 public:
  void Take(uint8_t* out, size_t size) {
    while (size > 0) {
      if (used_ == sizeof(block_)) {
        FillRandomBytes(block_, sizeof(block_));
        used_ = 0;
      }
      size_t n = std::min(size, sizeof(block_) - used_);
      std::memcpy(out, block_ + used_, n);
      // What was handed out is not kept.
      std::memset(block_ + used_, 0, n);
      used_ += n;
      out += n;
      size -= n;
    }
  }

 private:
  uint8_t block_[1024];
  size_t used_ = sizeof(block_);
};

void AppendHex(uint64_t value, size_t digits, char* out) {
  for (size_t i = digits; i-- > 0;) {
    out[i] = kHex[value & 0xf];
    value >>= 4;
  }
}

}  // namespace

void FillRandomBytes(void* out, size_t size) {
  auto* p = static_cast<uint8_t*>(out);
  while (size > 0) {
    ssize_t n = ::getrandom(p, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "zimon: getrandom failed: %s\n",
                   std::strerror(errno));
      std::abort();
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

std::string NewTimeOrderedId(std::string_view prefix) {
  thread_local RandomPool pool;
  uint8_t random[12];
  pool.Take(random, sizeof(random));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string id(prefix.size() + kTimeOrderedIdDigits, '\0');
  char* out = id.data();
  std::memcpy(out, prefix.data(), prefix.size());
  out += prefix.size();
  AppendHex(static_cast<uint64_t>(ms), kTimeOrderedIdTimeDigits, out);
  out += kTimeOrderedIdTimeDigits;
  for (uint8_t byte : random) {
    *out++ = kHex[byte >> 4];
    *out++ = kHex[byte & 0xf];
  }
  return id;
}

std::optional<int64_t> TimeOrderedIdMillis(std::string_view digits) {
  if (digits.size() < kTimeOrderedIdTimeDigits) return std::nullopt;
  int64_t ms = 0;
  for (char c : digits.substr(0, kTimeOrderedIdTimeDigits)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    ms = ms * 16 + digit;
  }
  return ms;
}

}  // namespace zimon
