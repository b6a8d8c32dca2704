// Headers: an ordered list of HTTP header fields with case-insensitive names.
//
// Field order and repeated fields are kept as received. Get() returns the first
// field of a name; GetAll() every one. Names are compared ASCII
// case-insensitively, as RFC 9110 requires.
//
// Thread safety: a value type; const methods may be called concurrently.
#ifndef ZIMON_HTTP_HEADERS_H_
#define ZIMON_HTTP_HEADERS_H_

#include <cstddef>
#include <initializer_list>
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
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // The value of the first field named `name`, or nullopt.
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

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  static constexpr size_t kTypicalFields = 8;
  std::vector<Field> fields_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_HEADERS_H_
