#include "zimon/metrics/parser.h"

#include <cstring>
#include <unordered_map>

#include "zimon/metrics/number_format.h"

namespace zimon::metrics {
namespace {

// The declared type of a family, including OpenMetrics types the snapshot
// model lacks; decides which sample-name suffixes belong to the family.
enum class Kind {
  kCounter,
  kGauge,
  kHistogram,
  kSummary,
  kUntyped,
  kInfo,
  kStateset,
  kGaugeHistogram
};

struct TypeEntry {
  std::string_view token;
  Kind kind;
  MetricType type;
  bool om;    // valid in OpenMetrics
  bool text;  // valid in 0.0.4
};
constexpr TypeEntry kTypes[] = {
    {"counter", Kind::kCounter, MetricType::kCounter, true, true},
    {"gauge", Kind::kGauge, MetricType::kGauge, true, true},
    {"histogram", Kind::kHistogram, MetricType::kHistogram, true, true},
    {"summary", Kind::kSummary, MetricType::kSummary, true, true},
    {"untyped", Kind::kUntyped, MetricType::kUntyped, false, true},
    {"unknown", Kind::kUntyped, MetricType::kUntyped, true, false},
    {"info", Kind::kInfo, MetricType::kUntyped, true, false},
    {"stateset", Kind::kStateset, MetricType::kUntyped, true, false},
    {"gaugehistogram", Kind::kGaugeHistogram, MetricType::kUntyped, true,
     false},
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool HasSuffix(Kind kind, std::string_view suffix) {
  auto any = [&](std::initializer_list<std::string_view> list) {
    for (std::string_view s : list) {
      if (s == suffix) return true;
    }
    return false;
  };
  switch (kind) {
    case Kind::kCounter:
      return any({"_total", "_created"});
    case Kind::kHistogram:
      return any({"_bucket", "_sum", "_count", "_created"});
    case Kind::kSummary:
      return any({"_sum", "_count", "_created"});
    case Kind::kInfo:
      return suffix == "_info";
    case Kind::kGaugeHistogram:
      return any({"_bucket", "_gsum", "_gcount", "_created"});
    default:
      return false;
  }
}

class Parser {
 public:
  Parser(ExpositionFormat format, ParsedExposition& out)
      : om_(format == ExpositionFormat::kOpenMetrics), out_(out) {}

  Status Run(std::string_view text) {
    out_.samples.reserve(text.size() / 80);
    size_t pos = 0;
    bool eof = false;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no_;
      if (om_) {
        if (eof) return Error("text after # EOF");
        if (line == "# EOF") {
          eof = true;
          continue;
        }
      }
      ZIMON_RETURN_IF_ERROR(Line(line));
    }
    if (om_ && !eof) {
      return InvalidArgumentError("line " + std::to_string(line_no_) +
                                  ": OpenMetrics text does not end with # EOF");
    }
    return OkStatus();
  }

 private:
  struct FamilyState {
    Kind kind = Kind::kUntyped;
    bool has_type = false, has_help = false, has_unit = false;
    bool has_samples = false;
  };

  Status Error(std::string_view what) const {
    return InvalidArgumentError("line " + std::to_string(line_no_) + ": " +
                                std::string(what));
  }

  Status Line(std::string_view line) {
    if (!om_) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    }
    if (line.empty()) {
      return om_ ? Error("blank line in OpenMetrics text") : OkStatus();
    }
    if (line[0] == '#') return Comment(line);
    return Sample(line);
  }

  Status Comment(std::string_view line) {
    std::string_view rest = line.substr(1);
    if (om_) {
      if (!rest.starts_with(' ')) return Error("unexpected comment");
      rest.remove_prefix(1);
    } else {
      while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    }
    std::string_view keyword = rest.substr(0, 4);
    bool meta =
        rest.size() > 4 && IsBlank(rest[4]) &&
        (keyword == "HELP" || keyword == "TYPE" || (om_ && keyword == "UNIT"));
    if (!meta) {
      return om_ ? Error(
                       "unexpected comment (OpenMetrics allows only HELP, "
                       "TYPE, UNIT and EOF)")
                 : OkStatus();
    }
    rest.remove_prefix(5);
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    size_t end = 0;
    while (end < rest.size() && !IsBlank(rest[end])) ++end;
    std::string_view name = rest.substr(0, end);
    if (name.empty() || !IsNameStart(name[0])) {
      return Error("expected a metric name after # " + std::string(keyword));
    }
    for (char c : name) {
      if (!IsNameChar(c))
        return Error("invalid metric name \"" + std::string(name) + "\"");
    }
    rest.remove_prefix(end);
    if (om_) {
      if (!rest.empty()) rest.remove_prefix(1);
    } else {
      while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    }
    ZIMON_ASSIGN_OR_RETURN(int index, MetaFamily(name));
    FamilyMetadata& family = out_.families[index];
    FamilyState& state = states_[index];
    if (keyword == "HELP") {
      if (state.has_help) return Error("second HELP line for " + family.name);
      state.has_help = true;
      Unescape(rest, /*quote=*/om_, family.help);
      return OkStatus();
    }
    if (keyword == "UNIT") {
      if (state.has_unit) return Error("second UNIT line for " + family.name);
      state.has_unit = true;
      family.unit = std::string(rest);
      return OkStatus();
    }
    if (state.has_type) return Error("second TYPE line for " + family.name);
    if (!om_) {
      while (!rest.empty() && IsBlank(rest.back())) rest.remove_suffix(1);
    }
    for (const TypeEntry& t : kTypes) {
      if (t.token == rest && (om_ ? t.om : t.text)) {
        state.has_type = true;
        state.kind = t.kind;
        family.type = t.type;
        family.type_name = std::string(rest);
        return OkStatus();
      }
    }
    return Error("unknown metric type \"" + std::string(rest) + "\"");
  }

  // The family a HELP/TYPE/UNIT line for `name` describes.
  StatusOr<int> MetaFamily(std::string_view name) {
    if (current_ >= 0 && out_.families[current_].name == name) {
      if (states_[current_].has_samples) {
        return Error("metadata for " + std::string(name) +
                     " after its samples");
      }
      return current_;
    }
    if (index_.contains(std::string(name))) {
      return Error("metadata for " + std::string(name) +
                   " is separated from its family by other families");
    }
    return NewFamily(name);
  }

  int NewFamily(std::string_view name) {
    int index = static_cast<int>(out_.families.size());
    out_.families.push_back(
        FamilyMetadata{std::string(name), MetricType::kUntyped, "", "", ""});
    states_.emplace_back();
    index_.emplace(std::string(name), index);
    current_ = index;
    return index;
  }

  bool BelongsTo(std::string_view sample, int index) const {
    const std::string& family = out_.families[index].name;
    if (sample == family) return true;
    return sample.size() > family.size() && sample.starts_with(family) &&
           HasSuffix(states_[index].kind, sample.substr(family.size()));
  }

  int FamilyFor(std::string_view sample) {
    if (current_ >= 0 && BelongsTo(sample, current_)) return current_;
    auto it = index_.find(std::string(sample));
    if (it != index_.end()) return it->second;
    return NewFamily(sample);
  }

  // Appends `text` to `out`, resolving \\, \n and (if `quote`) \".
  static void Unescape(std::string_view text, bool quote, std::string& out) {
    size_t start = 0;
    for (size_t i = 0; i + 1 < text.size(); ++i) {
      if (text[i] != '\\') {
        const void* next = std::memchr(text.data() + i, '\\', text.size() - i);
        if (next == nullptr) break;
        i = static_cast<const char*>(next) - text.data();
        if (i + 1 >= text.size()) break;
      }
      char next = text[i + 1];
      char rep = next == '\\'             ? '\\'
                 : next == 'n'            ? '\n'
                 : (quote && next == '"') ? '"'
                                          : 0;
      if (rep == 0) continue;
      out.append(text.data() + start, i - start);
      out += rep;
      start = i + 2;
      ++i;
    }
    out.append(text.data() + start, text.size() - start);
  }

  void SkipBlanks(std::string_view& s) const {
    while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  }

  // Parses `{name="value",...}` at the start of `s` (which starts with '{').
  Status LabelList(std::string_view& s, Labels& labels) {
    s.remove_prefix(1);
    while (true) {
      SkipBlanks(s);
      if (s.empty()) return Error("unterminated label list");
      if (s.front() == '}') break;
      size_t n = 0;
      if (!IsNameStart(s[0]) || s[0] == ':')
        return Error("expected a label name");
      while (n < s.size() && IsNameChar(s[n]) && s[n] != ':') ++n;
      std::string_view name = s.substr(0, n);
      s.remove_prefix(n);
      SkipBlanks(s);
      if (s.empty() || s.front() != '=') {
        return Error("expected '=' after label name " + std::string(name));
      }
      s.remove_prefix(1);
      SkipBlanks(s);
      if (s.empty() || s.front() != '"') {
        return Error("expected '\"' to open the value of label " +
                     std::string(name));
      }
      s.remove_prefix(1);
      size_t close = 0;
      bool escaped = false;
      while (close < s.size() && s[close] != '"') {
        if (s[close] == '\\') {
          escaped = true;
          ++close;
        }
        ++close;
      }
      if (close >= s.size()) {
        return Error("unterminated value of label " + std::string(name));
      }
      for (const Label& l : labels) {
        if (l.name == name)
          return Error("duplicate label " + std::string(name));
      }
      Label& label = labels.emplace_back();
      label.name = std::string(name);
      if (escaped) {
        Unescape(s.substr(0, close), /*quote=*/true, label.value);
      } else {
        label.value = std::string(s.substr(0, close));
      }
      s.remove_prefix(close + 1);
      SkipBlanks(s);
      if (!s.empty() && s.front() == ',') {
        s.remove_prefix(1);
        continue;
      }
      if (!s.empty() && s.front() == '}') break;
      return Error("expected ',' or '}' after the value of label " +
                   std::string(name));
    }
    s.remove_prefix(1);
    return OkStatus();
  }

  static std::string_view Token(std::string_view& s) {
    size_t n = 0;
    while (n < s.size() && !IsBlank(s[n])) ++n;
    std::string_view token = s.substr(0, n);
    s.remove_prefix(n);
    return token;
  }

  Status Exemplar(std::string_view s) {
    // "# {labels} value [timestamp]"
    if (!s.starts_with("# {")) return Error("expected an exemplar after '#'");
    s.remove_prefix(2);
    scratch_.clear();
    ZIMON_RETURN_IF_ERROR(LabelList(s, scratch_));
    SkipBlanks(s);
    if (!ParseDouble(Token(s))) return Error("invalid exemplar value");
    SkipBlanks(s);
    if (!s.empty() && !ParseSecondsAsMillis(Token(s))) {
      return Error("invalid exemplar timestamp");
    }
    SkipBlanks(s);
    if (!s.empty()) return Error("unexpected text after exemplar");
    return OkStatus();
  }

  Status Sample(std::string_view s) {
    if (s[0] == '{') return Error("quoted metric names are not supported");
    if (!IsNameStart(s[0])) return Error("expected a metric name");
    size_t n = 1;
    while (n < s.size() && IsNameChar(s[n])) ++n;
    ParsedSample sample;
    sample.name = std::string(s.substr(0, n));
    sample.line = line_no_;
    s.remove_prefix(n);
    size_t before = s.size();
    SkipBlanks(s);
    if (!s.empty() && s.front() == '{') {
      ZIMON_RETURN_IF_ERROR(LabelList(s, sample.labels));
      before = s.size();
      SkipBlanks(s);
    }
    if (s.empty() || s.size() == before) {
      return Error("expected a space and a value after " + sample.name);
    }
    std::string_view value = Token(s);
    std::optional<double> v = ParseDouble(value);
    if (!v) return Error("invalid value \"" + std::string(value) + "\"");
    sample.value = *v;
    SkipBlanks(s);
    if (!s.empty() && !(om_ && s.front() == '#')) {
      std::string_view ts = Token(s);
      sample.timestamp_ms = om_ ? ParseSecondsAsMillis(ts) : ParseInt64(ts);
      if (!sample.timestamp_ms) {
        return Error("invalid timestamp \"" + std::string(ts) + "\"");
      }
      SkipBlanks(s);
    }
    if (!s.empty()) {
      if (!om_) return Error("unexpected text after the sample");
      ZIMON_RETURN_IF_ERROR(Exemplar(s));
    }
    sample.family = FamilyFor(sample.name);
    states_[sample.family].has_samples = true;
    out_.samples.push_back(std::move(sample));
    return OkStatus();
  }

  const bool om_;
  ParsedExposition& out_;
  std::vector<FamilyState> states_;             // parallel to out_.families
  std::unordered_map<std::string, int> index_;  // family name -> index
  int current_ = -1;
  int line_no_ = 0;
  Labels scratch_;
};

}  // namespace

StatusOr<ParsedExposition> ParseExposition(std::string_view text,
                                           ExpositionFormat format) {
  ParsedExposition out;
  Parser parser(format, out);
  ZIMON_RETURN_IF_ERROR(parser.Run(text));
  return out;
}

}  // namespace zimon::metrics
