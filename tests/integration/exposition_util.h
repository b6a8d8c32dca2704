// Lookups in a parsed /metrics page, shared by the integration tests.
#ifndef ZIMON_TESTS_INTEGRATION_EXPOSITION_UTIL_H_
#define ZIMON_TESTS_INTEGRATION_EXPOSITION_UTIL_H_

#include <cstddef>
#include <optional>
#include <string>

#include "zimon/metrics/parser.h"

namespace zimon::integration {

// The value of the first sample named `name` whose labels include `want`.
std::optional<double> Find(const metrics::ParsedExposition& parsed,
                           const std::string& name,
                           const metrics::Labels& want = {});
// How many samples are named `name`.
size_t Count(const metrics::ParsedExposition& parsed, const std::string& name);

}  // namespace zimon::integration

#endif  // ZIMON_TESTS_INTEGRATION_EXPOSITION_UTIL_H_
