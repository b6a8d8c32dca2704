// libFuzzer target for the http module's own parsers: URLs, query strings,
// percent-coding and route matching. (Request framing is Boost.Beast's.)
//
//   clang++ build: fuzz/http_parse_fuzz -max_total_time=60
//
// Properties: nothing crashes; PercentDecode(PercentEncode(x)) == x; a parsed
// URL's target starts with '/'; route matching yields 200, 400, 404 or 405,
// and a 200 for the "{rest...}" route binds the whole remaining path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

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
          "/a/{x}/b/{y}", "/static/{path...}"}) {
      if (!r->HandleSync("GET", pattern, ok).ok()) std::abort();
    }
    return r;
  }();
  return *router;
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
  return 0;
}
