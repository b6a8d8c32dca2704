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

// A lowercase hex digit's value; -1 for any other character.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
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
  TimeOrderedIdRandom random;
  pool.Take(random.data(), random.size());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string id;
  id.reserve(prefix.size() + kTimeOrderedIdDigits);
  id.append(prefix);
  AppendTimeOrderedIdTime(ms, id);
  AppendTimeOrderedIdRandom(random, id);
  return id;
}

std::optional<int64_t> TimeOrderedIdMillis(std::string_view digits) {
  if (digits.size() < kTimeOrderedIdTimeDigits) return std::nullopt;
  int64_t ms = 0;
  for (char c : digits.substr(0, kTimeOrderedIdTimeDigits)) {
    const int digit = HexValue(c);
    if (digit < 0) return std::nullopt;
    ms = ms * 16 + digit;
  }
  return ms;
}

std::optional<TimeOrderedIdRandom> TimeOrderedIdRandomBytes(
    std::string_view digits) {
  if (digits.size() < kTimeOrderedIdDigits) return std::nullopt;
  const std::string_view hex =
      digits.substr(kTimeOrderedIdTimeDigits, kTimeOrderedIdRandomDigits);
  TimeOrderedIdRandom random;
  for (size_t i = 0; i < random.size(); ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    random[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return random;
}

void AppendTimeOrderedIdTime(int64_t ms, std::string& out) {
  const auto value = static_cast<uint64_t>(ms);
  for (int shift = 4 * (kTimeOrderedIdTimeDigits - 1); shift >= 0; shift -= 4) {
    out += kHex[(value >> shift) & 0xf];
  }
}

void AppendTimeOrderedIdRandom(const TimeOrderedIdRandom& random,
                               std::string& out) {
  for (uint8_t byte : random) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
}

}  // namespace zimon
