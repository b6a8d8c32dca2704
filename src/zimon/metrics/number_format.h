// Number rendering and parsing shared by the exposition writers and parser.
//
// Thread safety: pure functions.
#ifndef ZIMON_METRICS_NUMBER_FORMAT_H_
#define ZIMON_METRICS_NUMBER_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zimon::metrics {

// Shortest text that parses back to the same double: "0.25", "1e+06",
// "NaN", "+Inf", "-Inf".
void AppendDouble(std::string& out, double v);

// OpenMetrics canonical form for `le` and `quantile`: like AppendDouble, with
// ".0" added to whole numbers ("1.0", "0.5", "1e-05", "+Inf").
void AppendCanonicalDouble(std::string& out, double v);

// Decimal integer.
void AppendInt(std::string& out, int64_t v);
void AppendUint(std::string& out, uint64_t v);

// Milliseconds as OpenMetrics seconds, exact: 1500 -> "1.5", -1 -> "-0.001".
void AppendSecondsFromMillis(std::string& out, int64_t ms);

// A sample value: decimal or exponent notation with an optional sign, or
// NaN / Inf / +Inf / -Inf (any case). Rejects anything else, including
// trailing characters.
std::optional<double> ParseDouble(std::string_view text);

// A decimal int64 with an optional sign.
std::optional<int64_t> ParseInt64(std::string_view text);

// Seconds (OpenMetrics timestamp) to milliseconds, rounded to nearest.
std::optional<int64_t> ParseSecondsAsMillis(std::string_view text);

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_NUMBER_FORMAT_H_
