// The `/metrics` endpoint: serves a metrics::Registry in the exposition format
// the scraper's Accept header asks for (Prometheus text 0.0.4 or
// OpenMetrics 1.0).
//
// The endpoint measures itself in the registry it serves, as prometheus-cpp's
// exposer does: zimon_metrics_scrapes_total and
// zimon_metrics_scrape_duration_seconds (time to collect and write the body).
//
// Ownership: the handler keeps a reference to `registry`, which must outlive
// it. Thread safety: the handler may run on several I/O threads at once.
#ifndef ZIMON_HTTP_METRICS_HANDLER_H_
#define ZIMON_HTTP_METRICS_HANDLER_H_

#include "zimon/http/router.h"
#include "zimon/metrics/registry.h"

namespace zimon::http {

SyncHandler MetricsHandler(metrics::Registry& registry);

}  // namespace zimon::http

#endif  // ZIMON_HTTP_METRICS_HANDLER_H_
