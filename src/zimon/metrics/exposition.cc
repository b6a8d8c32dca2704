#include "zimon/metrics/exposition.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "zimon/metrics/names.h"
#include "zimon/metrics/number_format.h"

namespace zimon::metrics {
namespace {

constexpr std::string_view kTotal = "_total";

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    const char* rep = nullptr;
    if (c == '\\') {
      rep = "\\\\";
    } else if (c == '\n') {
      rep = "\\n";
    } else if (c == '"' && quote) {
      rep = "\\\"";
    } else {
      continue;
    }
    out.append(s.data() + start, i - start);
    out += rep;
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

// Writes `{a="x",b="y"[,extra="value"]}`; nothing when there are no labels.
// `extra_value` is pre-rendered (it is a number).
void AppendLabels(std::string& out, const Labels& labels,
                  std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const Label& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    AppendEscapedLabelValue(out, label.value);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

class Writer {
 public:
  Writer(ExpositionFormat format, std::string& out)
      : om_(format == ExpositionFormat::kOpenMetrics), out_(out) {}

  void Family(const FamilySnapshot& f) {
    std::string_view name = f.name;
    if (f.type == MetricType::kCounter && name.ends_with(kTotal)) {
      name.remove_suffix(kTotal.size());
    }
    base_ = name;
    if (f.type == MetricType::kCounter && !om_) base_ += kTotal;
    if (om_) {
      Meta("TYPE",
           f.type == MetricType::kUntyped ? "unknown" : MetricTypeName(f.type));
      if (!f.help.empty()) Help(f.help);
    } else {
      if (!f.help.empty()) Help(f.help);
      Meta("TYPE", MetricTypeName(f.type));
    }
    for (const MetricPoint& p : f.points) Point(f.type, p);
  }

 private:
  void Meta(std::string_view keyword, std::string_view text) {
    out_ += "# ";
    out_ += keyword;
    out_ += ' ';
    out_ += base_;
    out_ += ' ';
    out_ += text;
    out_ += '\n';
  }

  void Help(std::string_view help) {
    out_ += "# HELP ";
    out_ += base_;
    out_ += ' ';
    AppendEscapedHelp(out_, help,
                      om_ ? ExpositionFormat::kOpenMetrics
                          : ExpositionFormat::kPrometheusText);
    out_ += '\n';
  }

  void Bound(double v) {
    bound_.clear();
    if (om_) {
      AppendCanonicalDouble(bound_, v);
    } else {
      AppendDouble(bound_, v);
    }
  }

  void Tail(const MetricPoint& p) {
    if (p.timestamp_ms) {
      out_ += ' ';
      if (om_) {
        AppendSecondsFromMillis(out_, *p.timestamp_ms);
      } else {
        AppendInt(out_, *p.timestamp_ms);
      }
    }
    out_ += '\n';
  }

  void Sample(std::string_view suffix, const MetricPoint& p, double value,
              std::string_view extra = {}) {
    out_ += base_;
    out_ += suffix;
    AppendLabels(out_, p.labels, extra, bound_);
    out_ += ' ';
    AppendDouble(out_, value);
    Tail(p);
  }

  void CountSample(std::string_view suffix, const MetricPoint& p, uint64_t v,
                   std::string_view extra = {}) {
    out_ += base_;
    out_ += suffix;
    AppendLabels(out_, p.labels, extra, bound_);
    out_ += ' ';
    AppendUint(out_, v);
    Tail(p);
  }

  void Point(MetricType type, const MetricPoint& p) {
    switch (type) {
      case MetricType::kCounter:
        Sample(om_ ? kTotal : std::string_view(), p, p.value);
        return;
      case MetricType::kGauge:
      case MetricType::kUntyped:
        Sample({}, p, p.value);
        return;
      case MetricType::kHistogram: {
        const HistogramData& h = p.histogram;
        for (const Bucket& b : h.buckets) {
          Bound(b.upper_bound);
          CountSample("_bucket", p, b.cumulative_count, "le");
        }
        if (h.buckets.empty() || h.buckets.back().upper_bound != INFINITY) {
          Bound(INFINITY);
          CountSample("_bucket", p, h.count, "le");
        }
        Sample("_sum", p, h.sum);
        CountSample("_count", p, h.count);
        return;
      }
      case MetricType::kSummary: {
        const SummaryData& s = p.summary;
        for (const Quantile& q : s.quantiles) {
          Bound(q.quantile);
          Sample({}, p, q.value, "quantile");
        }
        Sample("_sum", p, s.sum);
        CountSample("_count", p, s.count);
        return;
      }
    }
  }

  bool om_;
  std::string& out_;
  std::string base_;   // family name as written on sample lines
  std::string bound_;  // rendered le/quantile
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    return lower(x) == lower(y);
  });
}

}  // namespace

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  AppendEscaped(out, value, /*quote=*/true);
}

void AppendEscapedHelp(std::string& out, std::string_view help,
                       ExpositionFormat format) {
  AppendEscaped(out, help, format == ExpositionFormat::kOpenMetrics);
}

std::string_view ContentType(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics ? kOpenMetricsContentType
                                                  : kPrometheusTextContentType;
}

ExpositionFormat NegotiateFormat(std::string_view accept_header) {
  double om_q = 0;
  std::optional<double> text_q;      // explicit text/plain
  std::optional<double> wildcard_q;  // text/* or */*
  while (!accept_header.empty()) {
    size_t comma = accept_header.find(',');
    std::string_view range = accept_header.substr(0, comma);
    accept_header = comma == std::string_view::npos
                        ? std::string_view()
                        : accept_header.substr(comma + 1);
    size_t semi = range.find(';');
    std::string_view type = Trim(range.substr(0, semi));
    double q = 1;
    std::string_view version;
    while (semi != std::string_view::npos) {
      range = range.substr(semi + 1);
      semi = range.find(';');
      std::string_view param = Trim(range.substr(0, semi));
      size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = Trim(param.substr(0, eq));
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (IEquals(key, "q")) {
        std::optional<double> parsed = ParseDouble(value);
        q = parsed && *parsed >= 0 && *parsed <= 1 ? *parsed : 0;
      } else if (IEquals(key, "version")) {
        version = value;
      }
    }
    if (IEquals(type, "application/openmetrics-text")) {
      if (version.empty() || version == "1.0.0" || version == "0.0.1") {
        om_q = std::max(om_q, q);
      }
    } else if (IEquals(type, "text/plain")) {
      text_q = std::max(text_q.value_or(0), q);
    } else if (IEquals(type, "text/*") || type == "*/*") {
      wildcard_q = std::max(wildcard_q.value_or(0), q);
    }
  }
  double plain = text_q ? *text_q : wildcard_q.value_or(0);
  return om_q > 0 && om_q >= plain ? ExpositionFormat::kOpenMetrics
                                   : ExpositionFormat::kPrometheusText;
}

void WritePrometheusText(std::span<const FamilySnapshot> families,
                         std::string& out) {
  Writer writer(ExpositionFormat::kPrometheusText, out);
  for (const FamilySnapshot& f : families) writer.Family(f);
}

void WriteOpenMetrics(std::span<const FamilySnapshot> families,
                      std::string& out) {
  Writer writer(ExpositionFormat::kOpenMetrics, out);
  for (const FamilySnapshot& f : families) writer.Family(f);
  out += "# EOF\n";
}

void WriteExposition(std::span<const FamilySnapshot> families,
                     ExpositionFormat format, std::string& out) {
  if (format == ExpositionFormat::kOpenMetrics) {
    WriteOpenMetrics(families, out);
  } else {
    WritePrometheusText(families, out);
  }
}

}  // namespace zimon::metrics
