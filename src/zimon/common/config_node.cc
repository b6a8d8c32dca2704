#include "zimon/common/config_node.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <set>

#include "zimon/common/config_node_internal.h"

namespace zimon {

namespace {

using internal::ConfigState;
using internal::Describe;
using internal::JoinKey;
using internal::LineOf;
using internal::NodeImpl;
using internal::Quote;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Where a value came from, and its text if it is a scalar.
struct Value {
  bool present = false;
  bool scalar = false;
  std::string text;   // when scalar
  std::string got;    // description for "got ..." when not scalar
  YAML::Node node;    // when from the file
  std::string where;  // "zimon.yaml:12" or "$ZIMON_X"
  int line = 0;
  std::string path;
};

struct Child {
  bool found = false;
  YAML::Node value;
  int line = 0;
};

Child FindChild(const NodeImpl& n, std::string_view key) {
  if (!n.node.IsMap()) return {};
  for (const auto& kv : n.node) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      int line = LineOf(kv.second);
      if (line == 0 || kv.second.IsNull()) line = LineOf(kv.first);
      return {true, kv.second, line};
    }
  }
  return {};
}

// The environment variable that overrides path, if set (and marks it used).
const std::string* FindEnv(const NodeImpl& n, const std::string& path,
                           std::string* name) {
  if (!n.env_ok) return nullptr;
  ConfigState& st = *n.state;
  std::vector<std::string> names = {EnvVarForKey(path)};
  if (auto a = st.aliases->find(path); a != st.aliases->end()) {
    names.insert(names.end(), a->second.begin(), a->second.end());
  }
  for (const std::string& candidate : names) {
    auto it = st.env->find(candidate);
    if (it != st.env->end()) {
      st.used_env.insert(candidate);
      *name = candidate;
      return &it->second;
    }
  }
  return nullptr;
}

Value Lookup(const NodeImpl& n, std::string_view key) {
  ConfigState& st = *n.state;
  Value v;
  v.path = JoinKey(n.path, key);
  st.read.insert(v.path);
  std::string env_name;
  if (const std::string* env = FindEnv(n, v.path, &env_name)) {
    v.present = v.scalar = true;
    v.text = *env;
    v.where = "$" + env_name;
    v.line = INT_MAX;
    return v;
  }
  Child c = FindChild(n, key);
  if (!c.found) return v;
  v.present = true;
  v.node = c.value;
  v.line = c.line;
  v.where = st.Where(c.line);
  if (c.value.IsScalar()) {
    v.scalar = true;
    v.text = c.value.Scalar();
  } else {
    v.got = Describe(c.value);
  }
  return v;
}

void Fail(const NodeImpl& n, const Value& v, std::string_view message) {
  n.state->Add(v.line, v.where, v.path, message);
}

// Returns false (and records "expected <what>, got ...") unless v is scalar.
bool NeedScalar(const NodeImpl& n, const Value& v, std::string_view what) {
  if (v.scalar) return true;
  Fail(n, v, "expected " + std::string(what) + ", got " + v.got);
  return false;
}

template <typename T, typename Format>
bool InRange(const NodeImpl& n, const Value& v, T value, T min, T max,
             Format format) {
  const bool has_min = min != std::numeric_limits<T>::lowest();
  const bool has_max = max != std::numeric_limits<T>::max();
  if (value >= min && value <= max) return true;
  std::string msg;
  if (has_min && has_max) {
    msg = "must be between " + format(min) + " and " + format(max);
  } else if (has_min) {
    msg = "must be at least " + format(min);
  } else {
    msg = "must be at most " + format(max);
  }
  Fail(n, v, msg + ", got " + format(value));
  return false;
}

template <typename T>
std::string Num(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  } else {
    return std::to_string(v);
  }
}

}  // namespace

ConfigNode::ConfigNode(std::shared_ptr<internal::NodeImpl> impl)
    : impl_(std::move(impl)) {}

const std::string& ConfigNode::path() const { return impl_->path; }

bool ConfigNode::Has(std::string_view key) const {
  return Lookup(*impl_, key).present;
}

bool ConfigNode::Require(std::string_view key) const {
  if (Has(key)) return true;
  ConfigState& st = *impl_->state;
  st.Add(impl_->line, st.Where(impl_->line), JoinKey(impl_->path, key),
         "required key is missing");
  return false;
}

std::string ConfigNode::String(std::string_view key,
                               std::string_view def) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "a string")) return std::string(def);
  return v.text;
}

int64_t ConfigNode::Int(std::string_view key, int64_t def, int64_t min,
                        int64_t max) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "an integer")) return def;
  std::string_view t = v.text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    Fail(*impl_, v, "expected an integer, got " + Quote(v.text));
    return def;
  }
  return InRange(*impl_, v, value, min, max, Num<int64_t>) ? value : def;
}

double ConfigNode::Double(std::string_view key, double def, double min,
                          double max) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "a number")) return def;
  std::string_view t = v.text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() ||
      !std::isfinite(value)) {
    Fail(*impl_, v, "expected a number, got " + Quote(v.text));
    return def;
  }
  return InRange(*impl_, v, value, min, max, Num<double>) ? value : def;
}

bool ConfigNode::Bool(std::string_view key, bool def) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "true or false")) return def;
  std::string t = ToLower(v.text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  Fail(*impl_, v, "expected true or false, got " + Quote(v.text));
  return def;
}

ConfigNode::Millis ConfigNode::Duration(std::string_view key, Millis def,
                                        Millis min, Millis max) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "a duration like 5s")) return def;
  StatusOr<Millis> d = ParseDuration(v.text);
  if (!d.ok()) {
    Fail(*impl_, v, d.status().message());
    return def;
  }
  if (*d >= min && *d <= max) return *d;
  std::string msg = max == Millis::max()
                        ? "must be at least " + FormatDuration(min)
                        : "must be between " + FormatDuration(min) + " and " +
                              FormatDuration(max);
  Fail(*impl_, v, msg + ", got " + v.text);
  return def;
}

uint64_t ConfigNode::Bytes(std::string_view key, uint64_t def, uint64_t min,
                           uint64_t max) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "a size like 8MiB")) return def;
  StatusOr<uint64_t> b = ParseByteSize(v.text);
  if (!b.ok()) {
    Fail(*impl_, v, b.status().message());
    return def;
  }
  if (*b >= min && *b <= max) return *b;
  std::string msg = max == std::numeric_limits<uint64_t>::max()
                        ? "must be at least " + FormatByteSize(min)
                        : "must be between " + FormatByteSize(min) + " and " +
                              FormatByteSize(max);
  Fail(*impl_, v, msg + ", got " + v.text);
  return def;
}

HostPort ConfigNode::Address(std::string_view key, const HostPort& def) const {
  Value v = Lookup(*impl_, key);
  if (!v.present || !NeedScalar(*impl_, v, "host:port")) return def;
  StatusOr<HostPort> a = ParseHostPort(v.text);
  if (!a.ok()) {
    Fail(*impl_, v, a.status().message());
    return def;
  }
  return *a;
}

std::string ConfigNode::Enum(
    std::string_view key, std::string_view def,
    std::initializer_list<std::string_view> allowed) const {
  Value v = Lookup(*impl_, key);
  std::string list;
  for (std::string_view a : allowed) {
    if (!list.empty()) list += ", ";
    list.append(a);
  }
  if (!v.present || !NeedScalar(*impl_, v, "one of " + list)) {
    return std::string(def);
  }
  for (std::string_view a : allowed) {
    if (v.text == a) return v.text;
  }
  Fail(*impl_, v, "expected one of " + list + ", got " + Quote(v.text));
  return std::string(def);
}

std::vector<std::string> ConfigNode::StringList(
    std::string_view key, const std::vector<std::string>& def) const {
  Value v = Lookup(*impl_, key);
  if (!v.present) return def;
  std::vector<std::string> out;
  if (v.node.IsNull() && v.line != INT_MAX) return out;  // "key:" = empty list
  if (v.scalar && v.line == INT_MAX) {  // environment: comma-separated
    std::string_view rest = v.text;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return out;
  }
  if (!v.node.IsSequence()) {
    Fail(*impl_, v, "expected a list, got " + Describe(v.node));
    return def;
  }
  for (size_t i = 0; i < v.node.size(); ++i) {
    const YAML::Node item = v.node[i];
    if (!item.IsScalar()) {
      int line = LineOf(item);
      impl_->state->Add(line, impl_->state->Where(line),
                        v.path + "[" + std::to_string(i) + "]",
                        "expected a string, got " + Describe(item));
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::map<std::string, std::string> ConfigNode::StringMap(
    std::string_view key) const {
  ConfigState& st = *impl_->state;
  const std::string path = JoinKey(impl_->path, key);
  st.read.insert(path);
  std::map<std::string, std::string> out;
  Child c = FindChild(*impl_, key);
  if (!c.found || c.value.IsNull()) return out;
  if (!c.value.IsMap()) {
    st.Add(c.line, st.Where(c.line), path,
           "expected a map, got " + Describe(c.value));
    return out;
  }
  for (const auto& kv : c.value) {
    int line = LineOf(kv.first);
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
      st.Add(line, st.Where(line), path,
             "expected string keys and values, got " +
                 Describe(kv.first.IsScalar() ? kv.second : kv.first));
      continue;
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

ConfigNode ConfigNode::Map(std::string_view key) const {
  ConfigState& st = *impl_->state;
  auto child = std::make_shared<NodeImpl>();
  child->state = impl_->state;
  child->path = JoinKey(impl_->path, key);
  child->env_ok = impl_->env_ok;
  child->line = impl_->line;
  st.read.insert(child->path);
  st.maps.insert(child->path);
  if (impl_->path.empty() && impl_->env_ok) {
    st.env_prefixes.insert(EnvVarForKey(key) + "_");
  }
  Child c = FindChild(*impl_, key);
  if (c.found) {
    child->line = c.line;
    if (c.value.IsMap()) {
      child->node = c.value;
    } else if (!c.value.IsNull()) {
      st.Add(c.line, st.Where(c.line), child->path,
             "expected a map, got " + Describe(c.value));
    }
  }
  return ConfigNode(std::move(child));
}

std::vector<ConfigNode> ConfigNode::List(std::string_view key) const {
  ConfigState& st = *impl_->state;
  const std::string path = JoinKey(impl_->path, key);
  st.read.insert(path);
  st.lists.insert(path);
  std::vector<ConfigNode> out;
  Child c = FindChild(*impl_, key);
  if (!c.found || c.value.IsNull()) return out;
  if (!c.value.IsSequence()) {
    st.Add(c.line, st.Where(c.line), path,
           "expected a list, got " + Describe(c.value));
    return out;
  }
  for (size_t i = 0; i < c.value.size(); ++i) {
    const YAML::Node item = c.value[i];
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    const int line = LineOf(item);
    if (!item.IsMap()) {
      st.Add(line, st.Where(line), item_path,
             "expected a map, got " + Describe(item));
      continue;
    }
    auto child = std::make_shared<NodeImpl>();
    child->state = impl_->state;
    child->node = item;
    child->path = item_path;
    child->line = line;
    child->env_ok = false;
    out.push_back(ConfigNode(std::move(child)));
  }
  return out;
}

void ConfigNode::Error(std::string_view key, std::string_view message) const {
  ConfigState& st = *impl_->state;
  const std::string path = JoinKey(impl_->path, key);
  std::string env_name;
  if (FindEnv(*impl_, path, &env_name)) {
    st.Add(INT_MAX, "$" + env_name, path, message);
    return;
  }
  Child c = FindChild(*impl_, key);
  const int line = c.found ? c.line : impl_->line;
  st.Add(line, st.Where(line), path, message);
}

}  // namespace zimon
