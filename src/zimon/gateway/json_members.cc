#include "zimon/gateway/json_members.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "zimon/common/ascii_words.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;

// The length of the UTF-8 sequence starting at s[0] (2 to 4), or 0 when it
// is not one RFC 3629 allows (overlong, a surrogate, beyond U+10FFFF,
// truncated). The lead byte is >= 0x80.
size_t Utf8SequenceLength(std::string_view s) {
  auto in = [&](size_t i, unsigned lo, unsigned hi) {
    if (i >= s.size()) return false;
    const unsigned c = static_cast<unsigned char>(s[i]);
    return c >= lo && c <= hi;
  };
  const unsigned lead = static_cast<unsigned char>(s[0]);
  if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (lead == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
  if (lead == 0xF0) {
    return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (lead >= 0xF1 && lead <= 0xF3) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (lead == 0xF4) {
    return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  StatusOr<json::value_t> Document(std::span<const std::string_view> names,
                                   std::span<json> values) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    SkipSpace();
    if (AtEnd()) return Error("empty body; expected a JSON value");
    json::value_t type;
    switch (text_[pos_]) {
      case '{':
        ZIMON_RETURN_IF_ERROR(TopObject(names, values));
        type = json::value_t::object;
        break;
      case '[':
        ZIMON_RETURN_IF_ERROR(SkipContainer());
        type = json::value_t::array;
        break;
      default: {
        json scalar;
        ZIMON_RETURN_IF_ERROR(Scalar(&scalar));
        type = scalar.type();
        break;
      }
    }
    SkipSpace();
    if (!AtEnd()) return Error("unexpected text after the JSON value");
    return type;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipSpace() {
    while (!AtEnd()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  Status Error(std::string_view what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return InvalidArgumentError(std::string(what) + " at line " +
                                std::to_string(line) + ", column " +
                                std::to_string(column));
  }

  // The error for `what` missing at the current position.
  Status Missing(std::string_view what) const {
    return Error(
        (AtEnd() ? "unexpected end of input; expected " : "expected ") +
        std::string(what));
  }

  // Expects `c` (after optional whitespace).
  Status Expect(char c, std::string_view what) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != c) return Missing(what);
    ++pos_;
    return OkStatus();
  }

  // A member's name (decoded into `out` when not null) and its ':'.
  Status MemberName(std::string* out) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != '"')
      return Missing("a member name (a string)");
    ZIMON_RETURN_IF_ERROR(String(out));
    return Expect(':', "':' after a member name");
  }

  // The top-level object: each member's name is decoded and looked up; kept
  // values are read into their slot, the others only checked.
  Status TopObject(std::span<const std::string_view> names,
                   std::span<json> values) {
    ++pos_;  // '{'
    SkipSpace();
    if (!AtEnd() && text_[pos_] == '}') {
      ++pos_;
      return OkStatus();
    }
    std::string name;
    while (true) {
      name.clear();
      ZIMON_RETURN_IF_ERROR(MemberName(&name));
      json* slot = nullptr;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) slot = &values[i];
      }
      ZIMON_RETURN_IF_ERROR(Value(slot));
      SkipSpace();
      if (!AtEnd() && text_[pos_] == '}') {
        ++pos_;
        return OkStatus();
      }
      ZIMON_RETURN_IF_ERROR(Expect(',', "',' or '}'"));
    }
  }

  // A value; `out` (when not null) gets scalars whole and containers as
  // empty ones of their type.
  Status Value(json* out) {
    SkipSpace();
    if (AtEnd()) return Missing("a value");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (out != nullptr) *out = c == '{' ? json::object() : json::array();
      return SkipContainer();
    }
    return Scalar(out);
  }

  // Checks one array or object (at its opening bracket) and everything in
  // it, without recursion: a body of nested brackets cannot exhaust the
  // stack.
  Status SkipContainer() {
    enum class At { kOpened, kComma, kItem };
    std::string open;  // the brackets not yet closed
    open.push_back(text_[pos_++]);
    At at = At::kOpened;
    while (true) {
      SkipSpace();
      const bool object = open.back() == '{';
      const char close = object ? '}' : ']';
      if (at != At::kComma && !AtEnd() && text_[pos_] == close) {
        ++pos_;
        open.pop_back();
        if (open.empty()) return OkStatus();
        at = At::kItem;
        continue;
      }
      if (at == At::kItem) {
        ZIMON_RETURN_IF_ERROR(
            Expect(',', std::string("',' or '") + close + "'"));
        at = At::kComma;
        continue;
      }
      if (object) {
        ZIMON_RETURN_IF_ERROR(MemberName(nullptr));
        SkipSpace();
      }
      if (AtEnd()) return Missing("a value");
      const char c = text_[pos_];
      if (c == '{' || c == '[') {
        open.push_back(c);
        ++pos_;
        at = At::kOpened;
        continue;
      }
      ZIMON_RETURN_IF_ERROR(Scalar(nullptr));
      at = At::kItem;
    }
  }

  Status Scalar(json* out) {
    switch (text_[pos_]) {
      case '"': {
        if (out == nullptr) return String(nullptr);
        std::string s;
        ZIMON_RETURN_IF_ERROR(String(&s));
        *out = std::move(s);
        return OkStatus();
      }
      case 't':
        return Literal("true", out, json(true));
      case 'f':
        return Literal("false", out, json(false));
      case 'n':
        return Literal("null", out, json(nullptr));
      default:
        return Number(out);
    }
  }

  Status Literal(std::string_view word, json* out, json value) {
    if (text_.substr(pos_, word.size()) != word) {
      return Error("invalid literal; expected '" + std::string(word) + "'");
    }
    pos_ += word.size();
    if (out != nullptr) *out = std::move(value);
    return OkStatus();
  }

  // RFC 8259's number grammar; converted as nlohmann's lexer converts it.
  Status Number(json* out) {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (!AtEnd() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (AtEnd() || text_[pos_] < '0' || text_[pos_] > '9') {
      return Error("invalid value; expected a JSON value");
    }
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      digits();
    }
    bool integer = true;
    if (!AtEnd() && text_[pos_] == '.') {
      ++pos_;
      integer = false;
      if (!digits()) return Error("invalid number; expected a digit after '.'");
    }
    if (!AtEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      integer = false;
      if (!AtEnd() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) {
        return Error("invalid number; expected a digit in the exponent");
      }
    }
    const std::string_view token = text_.substr(start, pos_ - start);
    const char* first = token.data();
    const char* last = first + token.size();
    if (integer) {
      if (negative) {
        int64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) {
          if (out != nullptr) *out = value;
          return OkStatus();
        }
      } else {
        uint64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) {
          if (out != nullptr) *out = value;
          return OkStatus();
        }
      }
    }
    // Too big for an integer, or not one: strtod, as nlohmann uses; like
    // nlohmann, a number beyond the range of a double is refused (one too
    // small to tell from zero is not).
    const std::string copy(token);
    const double value = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(value)) {
      pos_ = start;
      return Error("number out of range: " + copy);
    }
    if (out != nullptr) *out = value;
    return OkStatus();
  }

  // A string at its opening quote; decoded into `out` when not null.
  Status String(std::string* out) {
    ++pos_;             // '"'
    size_t run = pos_;  // start of bytes not yet copied to `out`
    while (true) {
      // Plain ASCII runs first, in a tight loop: most strings are nothing
      // else.
      const char* p = text_.data() + pos_;
      const char* const end = text_.data() + text_.size();
      while (end - p >= 8 && PlainJsonAscii8(p)) p += 8;
      while (p < end && PlainJsonAscii(*p)) ++p;
      pos_ = static_cast<size_t>(p - text_.data());
      if (AtEnd()) return Error("unexpected end of input in a string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        if (out != nullptr) out->append(text_.substr(run, pos_ - run));
        ++pos_;
        return OkStatus();
      }
      if (c == '\\') {
        if (out != nullptr) out->append(text_.substr(run, pos_ - run));
        ZIMON_RETURN_IF_ERROR(Escape(out));
        run = pos_;
      } else if (c < 0x20) {
        return Error("invalid string: control characters must be escaped");
      } else if (c < 0x80) {
        ++pos_;
      } else {
        const size_t n = Utf8SequenceLength(text_.substr(pos_));
        if (n == 0) return Error("invalid string: ill-formed UTF-8");
        pos_ += n;
      }
    }
  }

  // An escape at its backslash.
  Status Escape(std::string* out) {
    ++pos_;
    if (AtEnd()) return Error("unexpected end of input in a string");
    char decoded;
    switch (text_[pos_]) {
      case '"':
        decoded = '"';
        break;
      case '\\':
        decoded = '\\';
        break;
      case '/':
        decoded = '/';
        break;
      case 'b':
        decoded = '\b';
        break;
      case 'f':
        decoded = '\f';
        break;
      case 'n':
        decoded = '\n';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 't':
        decoded = '\t';
        break;
      case 'u': {
        ++pos_;
        uint32_t cp = 0;
        ZIMON_RETURN_IF_ERROR(Hex4(cp));
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return Error(
              "invalid string: a low surrogate escape without a "
              "high one before it");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low = 0;
          if (text_.substr(pos_, 2) != "\\u") {
            return Error(
                "invalid string: a high surrogate escape must be "
                "followed by a low one");
          }
          pos_ += 2;
          ZIMON_RETURN_IF_ERROR(Hex4(low));
          if (low < 0xDC00 || low > 0xDFFF) {
            return Error(
                "invalid string: a high surrogate escape must be "
                "followed by a low one");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out != nullptr) AppendUtf8(cp, *out);
        return OkStatus();
      }
      default:
        return Error("invalid string: unknown escape");
    }
    ++pos_;
    if (out != nullptr) *out += decoded;
    return OkStatus();
  }

  Status Hex4(uint32_t& cp) {
    if (pos_ + 4 > text_.size()) {
      return Error("invalid string: '\\u' needs four hex digits");
    }
    for (int i = 0; i < 4; ++i) {
      const int d = HexDigit(text_[pos_ + i]);
      if (d < 0) return Error("invalid string: '\\u' needs four hex digits");
      cp = cp * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 4;
    return OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

StatusOr<json::value_t> ReadJsonMembers(std::string_view text,
                                        std::span<const std::string_view> names,
                                        std::span<json> values) {
  if (values.size() != names.size()) {
    return InvalidArgumentError("ReadJsonMembers: one value slot per name");
  }
  for (json& v : values) {
    if (!v.is_null()) v = nullptr;
  }
  return Reader(text).Document(names, values);
}

}  // namespace zimon::gateway
