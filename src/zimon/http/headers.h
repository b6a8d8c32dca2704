// Headers: an ordered list of HTTP header fields with case-insensitive names.
//
// Names and values are kept back to back in one buffer, so a message's
// fields cost two allocations however many there are (this is on every
// proxied request's path, for four messages). Views a Headers hands out
// (Get, GetAll, iteration) are valid until it next changes.
//
// Field order and repeated fields are kept as received. Get() returns the first
// field of a name; GetAll() every one. Names are compared ASCII
// case-insensitively, as RFC 9110 requires.
//
// Thread safety: a value type; const methods may be called concurrently.
#ifndef ZIMON_HTTP_HEADERS_H_
#define ZIMON_HTTP_HEADERS_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zimon::http {

// ASCII case-insensitive equality, for header names and tokens.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// True when `name: value` can be written into a message as is: a non-empty
// name, and no CR, LF or NUL in either (which would end or split the field).
bool IsWritableField(std::string_view name, std::string_view value);

class Headers {
 public:
  // A field as stored: views into the Headers, valid until it next changes.
  using Field = std::pair<std::string_view, std::string_view>;

  // Walks the fields in order; yields Field by value.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Field;

    Iterator() = default;
    Field operator*() const { return owner_->At(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++index_;
      return before;
    }
    bool operator==(const Iterator& other) const {
      return index_ == other.index_;
    }

   private:
    friend class Headers;
    Iterator(const Headers* owner, size_t index)
        : owner_(owner), index_(index) {}
    const Headers* owner_ = nullptr;
    size_t index_ = 0;
  };

  Headers() = default;
  Headers(std::initializer_list<Field> fields);
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);
  Headers(Headers&& other) noexcept;
  Headers& operator=(Headers&& other) noexcept;
  ~Headers() = default;

  // The value of the first field named `name`, or nullopt. Like every view
  // a Headers hands out, it is valid until the Headers next changes.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Get(name) or `fallback` when absent.
  std::string_view GetOr(std::string_view name,
                         std::string_view fallback) const;
  // Values of every field named `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  // Replaces every field named `name` with one field.
  void Set(std::string_view name, std::string_view value);
  // Appends a field, keeping existing ones of the same name.
  void Add(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many were removed.
  size_t Remove(std::string_view name);
  // Makes room for `fields` more fields of `bytes` bytes of names and values
  // in all, so that adding them allocates nothing.
  void Reserve(size_t fields, size_t bytes);

  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, spans_.size()); }

 private:
  // Where a field's name and value lie in text_ (the value follows the name).
  struct Span {
    uint32_t at;
    uint32_t name_size;
    uint32_t value_size;
  };
  // Room for a typical message's fields at once: two allocations per
  // message, where a string per name and value took up to one each.
  static constexpr size_t kTypicalFields = 8;
  static constexpr size_t kTypicalText = 256;

  Field At(size_t index) const;
  // Makes room for `bytes` more of text; returns the previous buffer.
  std::unique_ptr<char[]> Grow(size_t bytes);
  // True when `s` lies in this Headers' text.
  bool Aliases(std::string_view s) const;

  // Every name and value, back to back, in a buffer of its own: appending to
  // a std::string checked and grew it twice per field.
  std::unique_ptr<char[]> text_;
  size_t text_size_ = 0;
  size_t text_capacity_ = 0;
  std::vector<Span> spans_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_HEADERS_H_
