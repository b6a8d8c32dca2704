#include "zimon/http/headers.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace zimon::http {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Eight bytes at a time, then a plain loop: string_view::find_first_of calls
// memchr on the set for every character, which made this check a few per
// cent of a small proxied request.
bool HasLineBreakOrNul(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, sizeof x);
    if (has_zero(x) | has_zero(x ^ (kOnes * '\r')) |
        has_zero(x ^ (kOnes * '\n'))) {
      break;  // the loop below finds it
    }
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view Headers::GetOr(std::string_view name,
                                std::string_view fallback) const {
  auto value = Get(name);
  return value ? *value : fallback;
}

std::vector<std::string_view> Headers::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [key, value] : fields_) {
    if (EqualsIgnoreCase(key, name)) out.emplace_back(value);
  }
  return out;
}

bool IsWritableField(std::string_view name, std::string_view value) {
  return !name.empty() && !HasLineBreakOrNul(name) && !HasLineBreakOrNul(value);
}

void Headers::Set(std::string_view name, std::string_view value) {
  Remove(name);
  Add(name, value);
}

void Headers::Add(std::string_view name, std::string_view value) {
  // Room for a typical message's fields at once, instead of growing through
  // 1, 2, 4 and 8 (each growth an allocation and a move of every field).
  if (fields_.capacity() == 0) fields_.reserve(kTypicalFields);
  fields_.emplace_back(std::string(name), std::string(value));
}

size_t Headers::Remove(std::string_view name) {
  auto it = std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) {
    return EqualsIgnoreCase(f.first, name);
  });
  size_t removed = static_cast<size_t>(fields_.end() - it);
  fields_.erase(it, fields_.end());
  return removed;
}

}  // namespace zimon::http
