#include "zimon/http/head_parser.h"

#include <algorithm>
#include <array>
#include <limits>

#include "zimon/http/headers.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zimon::http::internal {
namespace {

// RFC 9110 tchar: the bytes of a method or a field name.
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}();

bool IsTchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The first byte from `p` below `kLowest` or above 0x7E (DEL and every byte
// with the high bit set), or `end`. kLowest 0x20 stops at controls (HTAB
// included); 0x21 at a space too.
template <char kLowest>
const char* SkipPrintable(const char* p, const char* end) {
#if defined(__SSE2__)
  // As signed bytes, everything from 0x80 up is below kLowest.
  const __m128i lowest = _mm_set1_epi8(kLowest);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int stop = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmplt_epi8(v, lowest), _mm_cmpeq_epi8(v, del)));
    if (stop != 0) return p + __builtin_ctz(static_cast<unsigned>(stop));
    p += 16;
  }
#endif
  while (p < end && static_cast<signed char>(*p) >= kLowest && *p != 0x7f) {
    ++p;
  }
  return p;
}

// Reads one message head from [begin, end); `p` is the cursor.
class HeadReader {
 public:
  HeadReader(const char* begin, const char* end)
      : begin_(begin), end_(end), p_(begin) {}

  // Matches `literal` at the cursor. kIncomplete: the data ends inside it.
  HeadResult Literal(std::string_view literal) {
    for (char c : literal) {
      if (p_ == end_) return HeadResult::kIncomplete;
      if (*p_ != c) return HeadResult::kDeclined;
      ++p_;
    }
    return HeadResult::kParsed;
  }

  // "HTTP/1.0" or "HTTP/1.1".
  HeadResult Version(int& version) {
    if (HeadResult r = Literal("HTTP/1."); r != HeadResult::kParsed) return r;
    if (p_ == end_) return HeadResult::kIncomplete;
    if (*p_ != '0' && *p_ != '1') return HeadResult::kDeclined;
    version = 10 + (*p_++ - '0');
    return HeadResult::kParsed;
  }

  // One or more tchars ended by `stop`, which is passed.
  HeadResult Token(char stop, std::string_view& out) {
    const char* start = p_;
    while (end_ - p_ >= 4 &&
           IsTchar(p_[0]) & IsTchar(p_[1]) & IsTchar(p_[2]) & IsTchar(p_[3])) {
      p_ += 4;
    }
    while (p_ != end_ && IsTchar(*p_)) ++p_;
    if (p_ == end_) return HeadResult::kIncomplete;
    if (p_ == start || *p_ != stop) return HeadResult::kDeclined;
    out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return HeadResult::kParsed;
  }

  // A request target (visible ASCII) and the space after it.
  HeadResult Target(std::string_view& out) {
    const char* start = p_;
    p_ = SkipPrintable<0x21>(p_, end_);
    if (p_ == end_) return HeadResult::kIncomplete;
    if (p_ == start || *p_ != ' ') return HeadResult::kDeclined;
    out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return HeadResult::kParsed;
  }

  // Printable ASCII and tabs up to the line's end, which is passed; `last`
  // is where the text ends without trailing spaces and tabs.
  HeadResult Text(const char*& last) {
    const char* start = p_;
    while (true) {
      p_ = SkipPrintable<0x20>(p_, end_);
      if (p_ == end_) return HeadResult::kIncomplete;
      if (*p_ != '\t') break;
      ++p_;
    }
    last = p_;
    while (last != start && IsBlank(last[-1])) --last;
    return Literal("\r\n");
  }

  // A status line after the version: " DDD reason\r\n".
  HeadResult Status(int& status) {
    if (HeadResult r = Literal(" "); r != HeadResult::kParsed) return r;
    status = 0;
    for (int i = 0; i < 3; ++i, ++p_) {
      if (p_ == end_) return HeadResult::kIncomplete;
      if (!IsDigit(*p_)) return HeadResult::kDeclined;
      status = status * 10 + (*p_ - '0');
    }
    // 1xx, 204 and 304 have no body whatever the fields say; below 100 is
    // not a status.
    if (status < 200 || status == 204 || status == 304) {
      return HeadResult::kDeclined;
    }
    if (HeadResult r = Literal(" "); r != HeadResult::kParsed) return r;
    const char* last = nullptr;
    return Text(last);
  }

  // The fields and the blank line after them.
  HeadResult Fields(ParsedHead& out) {
    bool close = false;
    bool keep_alive = false;
    bool connection_seen = false;
    out.field_count = 0;
    out.content_length.reset();
    while (true) {
      if (p_ == end_) return HeadResult::kIncomplete;
      if (*p_ == '\r') {
        if (HeadResult r = Literal("\r\n"); r != HeadResult::kParsed) return r;
        break;
      }
      // A line starting with a space or tab (obs-fold) ends here too.
      std::string_view name;
      if (HeadResult r = Token(':', name); r != HeadResult::kParsed) return r;
      while (p_ != end_ && IsBlank(*p_)) ++p_;
      const char* value_at = p_;
      const char* value_end = nullptr;
      if (HeadResult r = Text(value_end); r != HeadResult::kParsed) return r;
      const std::string_view value(value_at,
                                   static_cast<size_t>(value_end - value_at));
      if (out.field_count == ParsedHead::kMaxFields) {
        return HeadResult::kDeclined;
      }
      out.fields[out.field_count++] = {
          static_cast<uint32_t>(name.data() - begin_),
          static_cast<uint32_t>(name.size()),
          static_cast<uint32_t>(value_at - begin_),
          static_cast<uint32_t>(value.size())};

      switch (name.size()) {
        case 7:   // Upgrade
        case 16:  // Proxy-Connection
        case 17:  // Transfer-Encoding
          if (EqualsIgnoreCase(name, "upgrade") ||
              EqualsIgnoreCase(name, "proxy-connection") ||
              EqualsIgnoreCase(name, "transfer-encoding")) {
            return HeadResult::kDeclined;
          }
          break;
        case 10:  // Connection
          if (!EqualsIgnoreCase(name, "connection")) break;
          if (connection_seen) return HeadResult::kDeclined;
          connection_seen = true;
          if (EqualsIgnoreCase(value, "close")) {
            close = true;
          } else if (EqualsIgnoreCase(value, "keep-alive")) {
            keep_alive = true;
          } else {
            return HeadResult::kDeclined;
          }
          break;
        case 14: {  // Content-Length
          if (!EqualsIgnoreCase(name, "content-length")) break;
          if (out.content_length || value.empty() || value.size() > 18) {
            return HeadResult::kDeclined;
          }
          uint64_t length = 0;
          for (char c : value) {
            if (!IsDigit(c)) return HeadResult::kDeclined;
            length = length * 10 + static_cast<uint64_t>(c - '0');
          }
          out.content_length = length;
          break;
        }
        default:
          break;
      }
    }
    out.keep_alive = out.version >= 11 ? !close : keep_alive;
    out.size = static_cast<size_t>(p_ - begin_);
    return HeadResult::kParsed;
  }

 private:
  const char* begin_;
  const char* end_;
  const char* p_;
};

// Field offsets are 32-bit; a head never comes near that.
HeadReader ReaderFor(std::string_view data) {
  const size_t size =
      std::min<size_t>(data.size(), std::numeric_limits<uint32_t>::max());
  return HeadReader(data.data(), data.data() + size);
}

}  // namespace

HeadResult ParseRequestHead(std::string_view data, ParsedHead& out) {
  HeadReader reader = ReaderFor(data);
  HeadResult r = reader.Token(' ', out.method);
  if (r == HeadResult::kParsed) r = reader.Target(out.target);
  if (r == HeadResult::kParsed) r = reader.Version(out.version);
  if (r == HeadResult::kParsed) r = reader.Literal("\r\n");
  if (r == HeadResult::kParsed) r = reader.Fields(out);
  return r;
}

HeadResult ParseResponseHead(std::string_view data, ParsedHead& out) {
  HeadReader reader = ReaderFor(data);
  HeadResult r = reader.Version(out.version);
  if (r == HeadResult::kParsed) r = reader.Status(out.status);
  if (r == HeadResult::kParsed) r = reader.Fields(out);
  // Without a length the body runs to the end of the connection.
  if (r == HeadResult::kParsed && !out.content_length) {
    return HeadResult::kDeclined;
  }
  return r;
}

}  // namespace zimon::http::internal
