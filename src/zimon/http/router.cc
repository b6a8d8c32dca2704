#include "zimon/http/router.h"

#include <algorithm>
#include <set>

#include "zimon/http/server_internal.h"

namespace zimon::http {
namespace {

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}.
// Segments reserved up front: one allocation for a typical path, not one per
// doubling.
constexpr size_t kTypicalSegments = 8;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(kTypicalSegments);
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// True when the comma-separated header `value` contains `token`.
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The answer to a GET on a WebSocket route.
Response UpgradeResponse(Request& request, const WebSocketHandler& handler) {
  auto upgrade = request.headers.Get("Upgrade");
  auto connection = request.headers.Get("Connection");
  if (!upgrade || !HasToken(*upgrade, "websocket") || !connection ||
      !HasToken(*connection, "upgrade")) {
    Response response = Response::Text(426, "websocket upgrade required\n");
    response.headers.Set("Upgrade", "websocket");
    return response;
  }
  auto version = request.headers.Get("Sec-WebSocket-Version");
  if (!request.headers.Get("Sec-WebSocket-Key") || !version ||
      *version != "13" || request.version < 11) {
    Response response = Response::FromStatus(InvalidArgumentError(
        "bad websocket handshake: needs HTTP/1.1, Sec-WebSocket-Key and "
        "Sec-WebSocket-Version: 13"));
    response.headers.Set("Sec-WebSocket-Version", "13");
    return response;
  }
  if (!internal::OfferUpgrade(request, handler)) {
    return Response::FromStatus(
        InternalError("websocket upgrade outside an http::Server"));
  }
  Response response;
  response.status = 101;
  return response;
}

bool ValidParamName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

Handler MakeHandler(SyncHandler handler) {
  return [handler = std::move(handler)](
             Request& request) -> boost::asio::awaitable<Response> {
    co_return handler(request);
  };
}

Status Router::Handle(std::string_view method, std::string_view pattern,
                      Handler handler) {
  if (method.empty()) return InvalidArgumentError("empty method");
  if (!handler) return InvalidArgumentError("null handler");
  if (pattern.empty() || pattern.front() != '/') {
    return InvalidArgumentError("route pattern must start with '/': " +
                                std::string(pattern));
  }
  Route route;
  route.method = std::string(method);
  route.handler = std::move(handler);
  std::vector<std::string_view> parts = SplitPath(pattern);
  std::set<std::string_view> names;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    bool braced = !part.empty() && part.front() == '{' && part.back() == '}';
    if (!braced) {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return InvalidArgumentError("bad route segment '" + std::string(part) +
                                    "' in " + std::string(pattern));
      }
      route.segments.push_back({SegmentKind::kLiteral, std::string(part)});
      route.shape += "/" + std::string(part);
      continue;
    }
    std::string_view name = part.substr(1, part.size() - 2);
    SegmentKind kind = SegmentKind::kParam;
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      if (i + 1 != parts.size()) {
        return InvalidArgumentError("'{name...}' must be the last segment in " +
                                    std::string(pattern));
      }
      name.remove_suffix(3);
      kind = SegmentKind::kRest;
    }
    if (!ValidParamName(name) || !names.insert(name).second) {
      return InvalidArgumentError("bad or repeated parameter name in " +
                                  std::string(pattern));
    }
    route.segments.push_back({kind, std::string(name)});
    route.shape += kind == SegmentKind::kRest ? "/{...}" : "/{}";
  }
  for (const Route& other : routes_) {
    if (other.method == route.method && other.shape == route.shape) {
      return AlreadyExistsError("route already registered: " + route.method +
                                " " + std::string(pattern));
    }
  }
  // Keep the most specific first: compare segment kinds position by position.
  auto key = [](const Route& r) {
    std::vector<int> k;
    for (const Segment& s : r.segments) k.push_back(static_cast<int>(s.kind));
    return k;
  };
  auto pos = std::upper_bound(
      routes_.begin(), routes_.end(), route,
      [&](const Route& a, const Route& b) { return key(a) < key(b); });
  routes_.insert(pos, std::move(route));
  IndexLiteralRoutes();
  return OkStatus();
}

void Router::IndexLiteralRoutes() {
  literal_routes_.clear();
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    std::string path;
    bool literal = true;
    for (size_t k = 0; k < route.segments.size() && literal; ++k) {
      literal = route.segments[k].kind == SegmentKind::kLiteral;
      if (k > 0) path += '/';
      path += route.segments[k].text;
    }
    if (literal) literal_routes_[path].push_back(i);
  }
}

Status Router::HandleSync(std::string_view method, std::string_view pattern,
                          SyncHandler handler) {
  if (!handler) return InvalidArgumentError("null handler");
  return Handle(method, pattern, MakeHandler(std::move(handler)));
}

Status Router::HandleWebSocket(std::string_view pattern,
                               WebSocketHandler handler) {
  if (!handler) return InvalidArgumentError("null handler");
  return Handle("GET", pattern,
                [handler = std::move(handler)](
                    Request& request) -> boost::asio::awaitable<Response> {
                  co_return UpgradeResponse(request, handler);
                });
}

bool Router::Matches(const Route& route,
                     const std::vector<std::string>& segments,
                     PathParams* params) {
  params->clear();
  size_t n = route.segments.size();
  bool has_rest = n > 0 && route.segments.back().kind == SegmentKind::kRest;
  if (has_rest ? segments.size() < n - 1 : segments.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    const Segment& seg = route.segments[i];
    switch (seg.kind) {
      case SegmentKind::kLiteral:
        if (segments[i] != seg.text) return false;
        break;
      case SegmentKind::kParam:
        params->emplace_back(seg.text, segments[i]);
        break;
      case SegmentKind::kRest: {
        std::string rest;
        for (size_t j = i; j < segments.size(); ++j) {
          if (j > i) rest += '/';
          rest += segments[j];
        }
        params->emplace_back(seg.text, std::move(rest));
        break;
      }
    }
  }
  return true;
}

Router::Match Router::Find(std::string_view method,
                           std::string_view raw_path) const {
  Match match;
  // A route without parameters is the first of its method to match its own
  // path (routes are kept most specific first, and two such routes of one
  // method differ in some segment), so the walk below would find it too.
  if (raw_path.find('%') == std::string_view::npos) {
    std::string_view key = raw_path;
    if (!key.empty() && key.front() == '/') key.remove_prefix(1);
    if (auto it = literal_routes_.find(key); it != literal_routes_.end()) {
      for (size_t i : it->second) {
        if (routes_[i].method == method) {
          match.handler = &routes_[i].handler;
          match.status = 200;
          return match;
        }
      }
    }
  }
  std::vector<std::string> segments;
  segments.reserve(kTypicalSegments);
  // SplitPath's segments, decoded as they are cut (no list of views first).
  std::string_view rest = raw_path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (true) {
    const size_t slash = rest.find('/');
    StatusOr<std::string> decoded = PercentDecode(rest.substr(0, slash), false);
    if (!decoded.ok()) {
      match.status = 400;
      return match;
    }
    segments.push_back(std::move(decoded).value());
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::set<std::string> allowed;
  const Route* get_fallback = nullptr;
  PathParams get_params;
  PathParams params;
  for (const Route& route : routes_) {
    if (!Matches(route, segments, &params)) continue;
    if (route.method == method) {
      match.handler = &route.handler;
      match.params = std::move(params);
      match.status = 200;
      return match;
    }
    if (method == "HEAD" && route.method == "GET" && get_fallback == nullptr) {
      get_fallback = &route;
      get_params = params;
    }
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
  }
  if (get_fallback != nullptr) {
    match.handler = &get_fallback->handler;
    match.params = std::move(get_params);
    match.status = 200;
    return match;
  }
  if (allowed.empty()) {
    match.status = 404;
    return match;
  }
  match.status = 405;
  for (const std::string& m : allowed) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += m;
  }
  return match;
}

boost::asio::awaitable<Response> Router::operator()(Request& request) const {
  std::string_view raw_path = request.path;
  if (!request.target.empty() && request.target.front() == '/') {
    raw_path = std::string_view(request.target);
    raw_path = raw_path.substr(0, raw_path.find('?'));
  }
  Match match = Find(request.method, raw_path);
  switch (match.status) {
    case 200:
      request.path_params = std::move(match.params);
      co_return co_await (*match.handler)(request);
    case 400:
      co_return ErrorAnswer(
          error_response_, 400,
          InvalidArgumentError("malformed percent escape in path"));
    case 405: {
      Response response =
          ErrorAnswer(error_response_, 405,
                      UnimplementedError("method " + request.method +
                                         " not allowed for " + request.path));
      response.headers.Set("Allow", match.allow);
      co_return response;
    }
    default:
      co_return ErrorAnswer(error_response_, 404,
                            NotFoundError("no route for " + request.path));
  }
}

}  // namespace zimon::http
