// GroupFamilies (declared in parser.h): parsed samples back into snapshots.
#include <algorithm>
#include <cmath>
#include <map>

#include "zimon/metrics/number_format.h"
#include "zimon/metrics/parser.h"

namespace zimon::metrics {
namespace {

constexpr std::string_view kTotal = "_total";

Status SampleError(const ParsedSample& s, std::string_view what) {
  return InvalidArgumentError("line " + std::to_string(s.line) + ": " + s.name +
                              ": " + std::string(what));
}

// Splits `special` (le / quantile) off a sample's labels.
Status SplitLabel(const ParsedSample& s, std::string_view special,
                  Labels& labels, double& value) {
  bool found = false;
  labels.clear();
  for (const Label& l : s.labels) {
    if (l.name != special) {
      labels.push_back(l);
      continue;
    }
    std::optional<double> v = ParseDouble(l.value);
    if (!v) {
      return SampleError(
          s, std::string(special) + "=\"" + l.value + "\" is not a number");
    }
    value = *v;
    found = true;
  }
  if (!found) return SampleError(s, "missing label " + std::string(special));
  return OkStatus();
}

StatusOr<uint64_t> Count(const ParsedSample& s) {
  double v = s.value;
  if (!(v >= 0) || v != std::floor(v) || v > 1.8e19) {
    return SampleError(s, "count must be a non-negative whole number");
  }
  return static_cast<uint64_t>(v);
}

// Histograms and summaries: points keyed by their labels (minus le/quantile).
class PointIndex {
 public:
  explicit PointIndex(FamilySnapshot& family) : family_(family) {}
  MetricPoint& Get(Labels labels, const ParsedSample& s) {
    auto [it, inserted] = index_.try_emplace(labels, family_.points.size());
    if (inserted) {
      MetricPoint& p = family_.points.emplace_back();
      p.labels = std::move(labels);
      p.timestamp_ms = s.timestamp_ms;
      has_count_.push_back(false);
    }
    return family_.points[it->second];
  }
  void SetCount(const MetricPoint& p) {
    has_count_[&p - family_.points.data()] = true;
  }
  bool HasCount(size_t i) const { return has_count_[i]; }

 private:
  FamilySnapshot& family_;
  std::map<Labels, size_t> index_;
  std::vector<bool> has_count_;
};

Status GroupHistogram(const FamilyMetadata& meta,
                      const std::vector<const ParsedSample*>& samples,
                      FamilySnapshot& family) {
  PointIndex points(family);
  Labels labels;
  for (const ParsedSample* s : samples) {
    std::string_view suffix =
        std::string_view(s->name).substr(meta.name.size());
    if (suffix == "_created") continue;
    if (suffix == "_bucket") {
      double le = 0;
      ZIMON_RETURN_IF_ERROR(SplitLabel(*s, "le", labels, le));
      ZIMON_ASSIGN_OR_RETURN(uint64_t count, Count(*s));
      points.Get(std::move(labels), *s)
          .histogram.buckets.push_back({le, count});
    } else if (suffix == "_sum") {
      points.Get(s->labels, *s).histogram.sum = s->value;
    } else if (suffix == "_count") {
      ZIMON_ASSIGN_OR_RETURN(uint64_t count, Count(*s));
      MetricPoint& p = points.Get(s->labels, *s);
      p.histogram.count = count;
      points.SetCount(p);
    } else {
      return SampleError(*s, "is not a sample of histogram " + meta.name);
    }
  }
  for (size_t i = 0; i < family.points.size(); ++i) {
    HistogramData& h = family.points[i].histogram;
    std::stable_sort(h.buckets.begin(), h.buckets.end(),
                     [](const Bucket& a, const Bucket& b) {
                       return a.upper_bound < b.upper_bound;
                     });
    bool has_inf =
        !h.buckets.empty() && h.buckets.back().upper_bound == INFINITY;
    if (!points.HasCount(i) && has_inf)
      h.count = h.buckets.back().cumulative_count;
    if (!has_inf) h.buckets.push_back({INFINITY, h.count});
  }
  return OkStatus();
}

Status GroupSummary(const FamilyMetadata& meta,
                    const std::vector<const ParsedSample*>& samples,
                    FamilySnapshot& family) {
  PointIndex points(family);
  Labels labels;
  for (const ParsedSample* s : samples) {
    std::string_view suffix =
        std::string_view(s->name).substr(meta.name.size());
    if (suffix.empty()) {
      double q = 0;
      ZIMON_RETURN_IF_ERROR(SplitLabel(*s, "quantile", labels, q));
      points.Get(std::move(labels), *s)
          .summary.quantiles.push_back({q, s->value});
    } else if (suffix == "_sum") {
      points.Get(s->labels, *s).summary.sum = s->value;
    } else if (suffix == "_count") {
      ZIMON_ASSIGN_OR_RETURN(uint64_t count, Count(*s));
      points.Get(s->labels, *s).summary.count = count;
    } else if (suffix != "_created") {
      return SampleError(*s, "is not a sample of summary " + meta.name);
    }
  }
  return OkStatus();
}

void AddPoint(FamilySnapshot& family, const ParsedSample& s) {
  MetricPoint& p = family.points.emplace_back();
  p.labels = s.labels;
  p.value = s.value;
  p.timestamp_ms = s.timestamp_ms;
}

}  // namespace

StatusOr<std::vector<FamilySnapshot>> GroupFamilies(
    const ParsedExposition& parsed) {
  std::vector<std::vector<const ParsedSample*>> by_family(
      parsed.families.size());
  for (const ParsedSample& s : parsed.samples) {
    if (s.family < 0 || static_cast<size_t>(s.family) >= by_family.size()) {
      return SampleError(s, "refers to no family");
    }
    by_family[s.family].push_back(&s);
  }
  std::vector<FamilySnapshot> out;
  out.reserve(parsed.families.size());
  for (size_t i = 0; i < parsed.families.size(); ++i) {
    const FamilyMetadata& meta = parsed.families[i];
    const std::vector<const ParsedSample*>& samples = by_family[i];
    bool modelled = meta.type != MetricType::kUntyped ||
                    meta.type_name.empty() || meta.type_name == "untyped" ||
                    meta.type_name == "unknown";
    if (!modelled) {
      // info / stateset / gaugehistogram: one gauge family per sample name.
      size_t first = out.size();
      for (const ParsedSample* s : samples) {
        auto it = std::find_if(
            out.begin() + first, out.end(),
            [&](const FamilySnapshot& f) { return f.name == s->name; });
        if (it == out.end()) {
          out.push_back({s->name, meta.help, MetricType::kGauge, {}});
          it = out.end() - 1;
        }
        AddPoint(*it, *s);
      }
      continue;
    }
    FamilySnapshot& family = out.emplace_back();
    family.name = meta.name;
    family.help = meta.help;
    family.type = meta.type;
    switch (meta.type) {
      case MetricType::kHistogram:
        ZIMON_RETURN_IF_ERROR(GroupHistogram(meta, samples, family));
        break;
      case MetricType::kSummary:
        ZIMON_RETURN_IF_ERROR(GroupSummary(meta, samples, family));
        break;
      case MetricType::kCounter:
        if (family.name.ends_with(kTotal)) {
          family.name.resize(family.name.size() - kTotal.size());
        }
        for (const ParsedSample* s : samples) {
          bool created = s->name.size() == meta.name.size() + 8 &&
                         s->name.ends_with("_created");
          if (!created) AddPoint(family, *s);
        }
        break;
      default:
        for (const ParsedSample* s : samples) AddPoint(family, *s);
        break;
    }
  }
  return out;
}

}  // namespace zimon::metrics
