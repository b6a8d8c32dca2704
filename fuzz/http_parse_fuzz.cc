// libFuzzer target for the http module's own parsers: URLs, query strings,
// percent-coding, route matching and header fields. (Request framing is
// Boost.Beast's.)
//
//   clang++ build: fuzz/http_parse_fuzz -max_total_time=60
//
// Properties: nothing crashes; PercentDecode(PercentEncode(x)) == x; a parsed
// URL's target starts with '/'; route matching yields 200, 400, 404 or 405,
// and a 200 for the "{rest...}" route binds the whole remaining path; a path
// without '%' (found by one lookup when a route has no parameters) matches as
// the same path with one byte percent-encoded (found by the walk over every
// route); Headers, run through the input as a list of edits, agrees with a
// plain list of string pairs after every edit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zimon/http/headers.h"
#include "zimon/http/message.h"
#include "zimon/http/router.h"
#include "zimon/http/url.h"

namespace {

const zimon::http::Router& Routes() {
  static const zimon::http::Router* router = [] {
    auto* r = new zimon::http::Router();
    auto ok = [](zimon::http::Request&) { return zimon::http::Response(); };
    for (const char* pattern :
         {"/", "/images/{id}", "/images/latest", "/sdcpp/v1/jobs/{id}",
          "/a/{x}/b/{y}", "/static/{path...}", "/a//b", "/static/x"}) {
      if (!r->HandleSync("GET", pattern, ok).ok()) std::abort();
    }
    for (const char* pattern : {"/images/latest", "/v1/images/generations"}) {
      if (!r->HandleSync("POST", pattern, ok).ok()) std::abort();
    }
    return r;
  }();
  return *router;
}

bool SameMatch(const zimon::http::Router::Match& a,
               const zimon::http::Router::Match& b) {
  return a.status == b.status && a.handler == b.handler &&
         a.params == b.params && a.allow == b.allow;
}

// Edits a Headers and a plain list alike, as the input says, comparing the
// two after each edit. Each edit takes a byte for the operation and a byte
// each for where the name and value are cut from the input.
void CheckHeaders(std::string_view input) {
  using Fields = std::vector<std::pair<std::string, std::string>>;
  auto lower = [](std::string s) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return s;
  };
  zimon::http::Headers headers;
  Fields model;
  auto slice = [&](uint8_t at, uint8_t size) {
    if (input.empty()) return std::string_view();
    size_t from = at % input.size();
    return input.substr(from, size % 40);
  };
  for (size_t i = 0; i + 4 < input.size() && i < 4 * 64; i += 5) {
    const auto op = static_cast<uint8_t>(input[i]) % 6;
    std::string_view name = slice(static_cast<uint8_t>(input[i + 1]),
                                  static_cast<uint8_t>(input[i + 2]) % 8);
    std::string_view value = slice(static_cast<uint8_t>(input[i + 3]),
                                   static_cast<uint8_t>(input[i + 4]));
    auto remove = [&](std::string_view n) {
      size_t before = model.size();
      std::erase_if(model, [&](const auto& f) {
        return lower(f.first) == lower(std::string(n));
      });
      return before - model.size();
    };
    switch (op) {
      case 0:
        headers.Add(name, value);
        model.emplace_back(name, value);
        break;
      case 1:
        headers.Set(name, value);
        remove(name);
        model.emplace_back(name, value);
        break;
      case 2:
        if (headers.Remove(name) != remove(name)) std::abort();
        break;
      case 3:
        // A value of its own passed back in (the buffer may grow under it).
        if (!model.empty()) {
          const auto [own_name, own_value] = *headers.begin();
          std::string copy(own_value);
          headers.Add(name, own_value);
          model.emplace_back(name, copy);
        }
        break;
      case 4:
        // Its own name passed back in to Set, which moves text under it.
        if (!model.empty()) {
          const auto [own_name, own_value] = *headers.begin();
          std::string copy(own_name);
          headers.Set(own_name, value);
          remove(copy);
          model.emplace_back(copy, value);
        }
        break;
      case 5: {
        zimon::http::Headers copy = headers;
        headers = std::move(copy);
        break;
      }
    }
    if (headers.size() != model.size()) std::abort();
    size_t k = 0;
    for (const auto& [n, v] : headers) {
      if (n != model[k].first || v != model[k].second) std::abort();
      ++k;
    }
    auto first = headers.Get(name);
    auto it = std::find_if(model.begin(), model.end(), [&](const auto& f) {
      return lower(f.first) == lower(std::string(name));
    });
    if (first.has_value() != (it != model.end())) std::abort();
    if (first && *first != it->second) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto url = zimon::http::ParseUrl(input);
  if (url.ok() && (url->target.empty() || url->target.front() != '/'))
    std::abort();

  (void)zimon::http::ParseQueryString(input);
  (void)zimon::http::PercentDecode(input, true);
  auto round =
      zimon::http::PercentDecode(zimon::http::PercentEncode(input), false);
  if (!round.ok() || *round != input) std::abort();

  size_t split = input.find(' ');
  std::string_view method =
      split == std::string_view::npos ? "GET" : input.substr(0, split);
  std::string_view path =
      split == std::string_view::npos ? input : input.substr(split + 1);
  auto match = Routes().Find(method, path);
  switch (match.status) {
    case 200:
      if (match.handler == nullptr) std::abort();
      break;
    case 400:
    case 404:
      break;
    case 405:
      if (match.allow.empty()) std::abort();
      break;
    default:
      std::abort();
  }
  // The same path with its first byte after '/' percent-encoded goes through
  // the walk over every route; so do the routes' own paths, for this method.
  auto check_walk = [&](std::string_view p) {
    if (p.size() < 2 || p.front() != '/' || p[1] == '/' ||
        p.find('%') != std::string_view::npos) {
      return;
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(p[1]);
    std::string encoded = "/%";
    encoded += kHex[byte >> 4];
    encoded += kHex[byte & 0xf];
    encoded += p.substr(2);
    if (!SameMatch(Routes().Find(method, p), Routes().Find(method, encoded))) {
      std::abort();
    }
  };
  check_walk(path);
  for (std::string_view p : {"/images/latest", "/v1/images/generations",
                             "/a//b", "/static/x", "/images/x"}) {
    check_walk(p);
  }

  CheckHeaders(input);
  return 0;
}
