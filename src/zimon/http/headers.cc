#include "zimon/http/headers.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

#include "zimon/common/ascii_words.h"

namespace zimon::http {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Eight bytes at a time (short strings byte by byte):
// string_view::find_first_of calls memchr on the set for every character, which
// made this check a few per cent of a small proxied request.
bool HasLineBreakOrNul(std::string_view s) {
  auto bad = [](const char* at) {
    const uint64_t x = LoadWord(at);
    return (HasZeroByte(x) | HasZeroByte(x ^ (kEveryByte * '\r')) |
            HasZeroByte(x ^ (kEveryByte * '\n'))) != 0;
  };
  if (s.size() >= 8) {
    // Whole words, then the last eight bytes (overlapping the words before):
    // no byte loop for the tail.
    for (size_t i = 0; i + 8 < s.size(); i += 8) {
      if (bad(s.data() + i)) return true;
    }
    return bad(s.data() + s.size() - 8);
  }
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Eight bytes at a time: equal words (the usual case, names written the
  // same way) or equal once ASCII letters are lowered in both.
  auto lower = [](uint64_t x) {
    const uint64_t low7 = x & ~kHighBits;
    const uint64_t above_z = low7 + kEveryByte * (0x7f - 'Z');
    const uint64_t from_a = low7 + kEveryByte * (0x80 - 'A');
    const uint64_t upper = (from_a ^ above_z) & ~x & kHighBits;
    return x | (upper >> 2);  // 0x80 >> 2 is the case bit
  };
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    const uint64_t x = LoadWord(a.data() + i);
    const uint64_t y = LoadWord(b.data() + i);
    if (x != y && lower(x) != lower(y)) return false;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i] && Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

Headers::Headers(std::initializer_list<Field> fields) {
  for (const auto& [name, value] : fields) Add(name, value);
}

Headers::Headers(const Headers& other)
    : text_(other.text_size_ == 0
                ? nullptr
                : std::make_unique_for_overwrite<char[]>(other.text_size_)),
      text_size_(other.text_size_),
      text_capacity_(other.text_size_),
      spans_(other.spans_) {
  std::copy_n(other.text_.get(), text_size_, text_.get());
}

Headers& Headers::operator=(const Headers& other) {
  if (this != &other) *this = Headers(other);
  return *this;
}

Headers::Headers(Headers&& other) noexcept
    : text_(std::move(other.text_)),
      text_size_(std::exchange(other.text_size_, 0)),
      text_capacity_(std::exchange(other.text_capacity_, 0)),
      spans_(std::move(other.spans_)) {
  other.spans_.clear();
}

Headers& Headers::operator=(Headers&& other) noexcept {
  if (this != &other) {
    text_ = std::move(other.text_);
    text_size_ = std::exchange(other.text_size_, 0);
    text_capacity_ = std::exchange(other.text_capacity_, 0);
    spans_ = std::move(other.spans_);
    other.spans_.clear();
  }
  return *this;
}

Headers::Field Headers::At(size_t index) const {
  const Span& span = spans_[index];
  const char* name = text_.get() + span.at;
  return {std::string_view(name, span.name_size),
          std::string_view(name + span.name_size, span.value_size)};
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const Span& span : spans_) {
    const char* key = text_.get() + span.at;
    if (span.name_size == name.size() &&
        EqualsIgnoreCase(std::string_view(key, span.name_size), name)) {
      return std::string_view(key + span.name_size, span.value_size);
    }
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
  for (const auto& [key, value] : *this) {
    if (EqualsIgnoreCase(key, name)) out.push_back(value);
  }
  return out;
}

bool IsWritableField(std::string_view name, std::string_view value) {
  return !name.empty() && !HasLineBreakOrNul(name) && !HasLineBreakOrNul(value);
}

void Headers::Set(std::string_view name, std::string_view value) {
  if (Aliases(name) || Aliases(value)) {
    // Remove moves the text under them.
    Set(std::string(name), std::string(value));
    return;
  }
  Remove(name);
  Add(name, value);
}

std::unique_ptr<char[]> Headers::Grow(size_t bytes) {
  constexpr size_t kMaxText = std::numeric_limits<uint32_t>::max();
  if (bytes > kMaxText - text_size_) {
    throw std::length_error("header fields larger than 4 GiB");
  }
  const size_t capacity = std::min(
      kMaxText,
      std::max({kTypicalText, 2 * text_capacity_, text_size_ + bytes}));
  auto text = std::make_unique_for_overwrite<char[]>(capacity);
  std::copy_n(text_.get(), text_size_, text.get());
  text_capacity_ = capacity;
  return std::exchange(text_, std::move(text));
}

bool Headers::Aliases(std::string_view s) const {
  std::less<const char*> before;
  return !before(s.data(), text_.get()) &&
         before(s.data(), text_.get() + text_capacity_);
}

void Headers::Add(std::string_view name, std::string_view value) {
  const size_t bytes = name.size() + value.size();
  // `name` or `value` may lie in the text (a field copied from another of
  // this Headers): the old buffer lives until they are copied.
  std::unique_ptr<char[]> old;
  if (bytes > text_capacity_ - text_size_) old = Grow(bytes);
  if (spans_.capacity() == 0) spans_.reserve(kTypicalFields);
  spans_.push_back({static_cast<uint32_t>(text_size_),
                    static_cast<uint32_t>(name.size()),
                    static_cast<uint32_t>(value.size())});
  char* out = std::copy(name.begin(), name.end(), text_.get() + text_size_);
  std::copy(value.begin(), value.end(), out);
  text_size_ += bytes;
}

void Headers::Reserve(size_t fields, size_t bytes) {
  if (bytes > text_capacity_ - text_size_) Grow(bytes);
  spans_.reserve(spans_.size() + fields);
}

size_t Headers::Remove(std::string_view name) {
  if (Aliases(name)) return Remove(std::string(name));
  // Kept fields move down over the removed ones (fields lie in order), so
  // that a Headers set over and over does not grow.
  size_t kept = 0;
  size_t size = 0;
  for (const Span& span : spans_) {
    if (EqualsIgnoreCase(
            std::string_view(text_.get() + span.at, span.name_size), name)) {
      continue;
    }
    const size_t bytes = span.name_size + span.value_size;
    if (span.at != size) {
      std::copy_n(text_.get() + span.at, bytes, text_.get() + size);
    }
    spans_[kept++] = {static_cast<uint32_t>(size), span.name_size,
                      span.value_size};
    size += bytes;
  }
  const size_t removed = spans_.size() - kept;
  spans_.resize(kept);
  text_size_ = size;
  return removed;
}

}  // namespace zimon::http
