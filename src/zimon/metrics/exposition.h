// Text exposition: Prometheus text format 0.0.4 and OpenMetrics 1.0 writers,
// and the Accept-header negotiation that picks one.
//
//   std::string body;                                  // reuse across scrapes
//   ExpositionFormat format = NegotiateFormat(request_accept_header);
//   body.clear();
//   WriteExposition(registry.Collect(), format, body);
//   response.set("Content-Type", ContentType(format));
//
// Writers append to the caller's string (no allocation once it has grown).
// Counter families are named without `_total` (snapshot.h); 0.0.4 writes the
// HELP/TYPE lines and samples as `x_total` (as client_golang does), OpenMetrics
// writes the family as `x` and the sample as `x_total`. A histogram point whose
// buckets lack +Inf gets one equal to its count.
//
// Thread safety: pure functions.
#ifndef ZIMON_METRICS_EXPOSITION_H_
#define ZIMON_METRICS_EXPOSITION_H_

#include <span>
#include <string>
#include <string_view>

#include "zimon/metrics/snapshot.h"

namespace zimon::metrics {

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

std::string_view ContentType(ExpositionFormat format);

// OpenMetrics when the header lists `application/openmetrics-text` (no
// version, 1.0.0 or 0.0.1) with q > 0 and at least the q of text/plain (or of
// the wildcard that covers it); otherwise the 0.0.4 text format, the last
// resort for every client. Malformed parts of the header are ignored.
ExpositionFormat NegotiateFormat(std::string_view accept_header);

void WritePrometheusText(std::span<const FamilySnapshot> families,
                         std::string& out);
// Ends with "# EOF\n".
void WriteOpenMetrics(std::span<const FamilySnapshot> families,
                      std::string& out);
void WriteExposition(std::span<const FamilySnapshot> families,
                     ExpositionFormat format, std::string& out);

// Escaping used by the writers, exposed for tests and other writers.
// Label values: backslash, double quote and newline.
void AppendEscapedLabelValue(std::string& out, std::string_view value);
// HELP text: backslash and newline (0.0.4); OpenMetrics also escapes `"`.
void AppendEscapedHelp(std::string& out, std::string_view help,
                       ExpositionFormat format);

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_EXPOSITION_H_
