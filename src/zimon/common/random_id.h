// Identifiers that are unguessable and sort by creation time.
//
//   std::string id = NewTimeOrderedId("img_");  // "img_0193a1b2c3d4" + 24 hex
//
// The 12 hex digits after the prefix are the wall-clock milliseconds since the
// Unix epoch; the 24 after them are 96 bits from the kernel's random source
// (getrandom), read in blocks per thread. Time first keeps database indexes on
// these ids append-mostly; the random part keeps them unguessable, so an id
// can serve as a capability (an image URL).
//
// Thread-safe.
#ifndef ZIMON_COMMON_RANDOM_ID_H_
#define ZIMON_COMMON_RANDOM_ID_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zimon {

// Hex digits after the prefix: 12 of time, 24 random.
inline constexpr size_t kTimeOrderedIdTimeDigits = 12;
inline constexpr size_t kTimeOrderedIdRandomDigits = 24;
inline constexpr size_t kTimeOrderedIdDigits =
    kTimeOrderedIdTimeDigits + kTimeOrderedIdRandomDigits;

std::string NewTimeOrderedId(std::string_view prefix);

// The Unix milliseconds at the start of `digits` (an id less its prefix):
// nullopt unless it starts with 12 lowercase hex digits, as NewTimeOrderedId
// writes them.
std::optional<int64_t> TimeOrderedIdMillis(std::string_view digits);

// The random part of an id: the 12 bytes its 24 digits after the time spell.
using TimeOrderedIdRandom = std::array<uint8_t, kTimeOrderedIdRandomDigits / 2>;

// The random bytes of `digits` (an id less its prefix): nullopt unless its
// 24 digits after the time are lowercase hex, as NewTimeOrderedId writes them.
std::optional<TimeOrderedIdRandom> TimeOrderedIdRandomBytes(
    std::string_view digits);

// Append an id's time digits, and its random digits, as NewTimeOrderedId
// writes them: a stored id can be spelt again from its parts.
void AppendTimeOrderedIdTime(int64_t ms, std::string& out);
void AppendTimeOrderedIdRandom(const TimeOrderedIdRandom& random,
                               std::string& out);

// Fills `out` with bytes from the kernel's random source; aborts the process
// if the kernel refuses (no safe fallback exists for capability ids).
void FillRandomBytes(void* out, size_t size);

}  // namespace zimon

#endif  // ZIMON_COMMON_RANDOM_ID_H_
