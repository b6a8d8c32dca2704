#include "zimon/http/metrics_handler.h"

#include <chrono>
#include <string>

#include "zimon/metrics/exposition.h"

namespace zimon::http {

SyncHandler MetricsHandler(metrics::Registry& registry) {
  auto& scrapes =
      registry.AddCounter("zimon_metrics_scrapes_total",
                          "Requests served by this /metrics endpoint.");
  auto& duration =
      registry.AddHistogram("zimon_metrics_scrape_duration_seconds",
                            "Time to collect and write one /metrics response.",
                            {}, metrics::ExponentialBuckets(0.00005, 4, 8));
  metrics::Counter& scrape_count = scrapes.WithLabels({});
  metrics::Histogram& scrape_time = duration.WithLabels({});
  return [&registry, &scrape_count, &scrape_time](Request& request) {
    auto start = std::chrono::steady_clock::now();
    metrics::ExpositionFormat format =
        metrics::NegotiateFormat(request.headers.GetOr("Accept", ""));
    Response response;
    response.status = 200;
    response.headers.Set("Content-Type", metrics::ContentType(format));
    metrics::WriteExposition(registry.Collect(), format, response.body);
    scrape_count.Inc();
    scrape_time.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
    return response;
  };
}

}  // namespace zimon::http
