// ReadJsonMembers: reads a JSON text and keeps only the top-level members a
// caller asks for by name, without building the document.
//
//   constexpr std::string_view kNames[] = {"prompt", "n"};
//   std::array<nlohmann::json, 2> values;
//   StatusOr<nlohmann::json::value_t> type =
//       ReadJsonMembers(body, kNames, values);
//   // type: the document's type; values[i]: the member named kNames[i] when
//   // the document is an object and has it, else null.
//
// The whole text is checked as nlohmann::json::parse checks it (RFC 8259:
// one value and only whitespace around it, strings of valid UTF-8 with
// control characters escaped, paired surrogate escapes, a leading UTF-8 BOM
// skipped), so that both accept and refuse the same texts. Numbers take
// nlohmann's types too: unsigned for a non-negative integer, signed for a
// negative one, floating point when either overflows or the number has a
// fraction or exponent; a number beyond a double's range is refused. A member
// named twice keeps its last value. One deliberate difference: nlohmann stops
// reading at a NUL byte outside a string and accepts whatever follows; here
// the whole text must be JSON. A kept
// member whose value is an array or object holds an empty one of that type
// (callers that want a scalar need only its type, for the error message).
//
// Why: the gateway parses every request body; building the whole DOM cost
// more than a tenth of the time a small proxied request takes.
//
// Errors: InvalidArgument, with what was wrong and where (line, column).
// Thread safety: a pure function.
#ifndef ZIMON_GATEWAY_JSON_MEMBERS_H_
#define ZIMON_GATEWAY_JSON_MEMBERS_H_

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "zimon/common/status.h"

namespace zimon::gateway {

// `values` must be as long as `names`; each is set to null first.
StatusOr<nlohmann::json::value_t> ReadJsonMembers(
    std::string_view text, std::span<const std::string_view> names,
    std::span<nlohmann::json> values);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_JSON_MEMBERS_H_
