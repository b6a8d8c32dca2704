// ReadConfigDocument(): parsing a whole document, then the checks that need
// all reads done (unknown keys, duplicate keys, unused overrides).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "zimon/common/config_node.h"
#include "zimon/common/config_node_internal.h"

extern char** environ;

namespace zimon {
namespace internal {

int LineOf(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

std::string JoinKey(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out.append(key);
  return out;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string Describe(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "an empty value";
  return Quote(n.Scalar());
}

}  // namespace internal

namespace {

using internal::ConfigState;
using internal::Describe;
using internal::JoinKey;
using internal::LineOf;
using internal::NodeImpl;

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean \"x\"?)" for the closest candidate, or "".
std::string Suggest(std::string_view word,
                    const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // A prefix of the real name ("max_body" for "max_body_bytes") counts
    // as close.
    const bool prefix = word.size() >= 3 && c.size() > word.size() &&
                        c.compare(0, word.size(), word) == 0;
    size_t d = prefix ? 1 : EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  return best ? " (did you mean \"" + *best + "\"?)" : "";
}

void CheckUnknownKeys(ConfigState& st, const YAML::Node& map,
                      const std::string& path) {
  std::vector<std::string> known;  // keys read at this level, for hints
  const std::string prefix = path.empty() ? "" : path + ".";
  for (auto it = st.read.lower_bound(prefix); it != st.read.end(); ++it) {
    if (it->compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = it->substr(prefix.size());
    if (rest.find_first_of(".[") == std::string::npos) known.push_back(rest);
  }
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const int line = LineOf(kv.first);
    if (!kv.first.IsScalar()) {
      st.Add(line, st.Where(line), path, "keys must be plain strings");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    const std::string child = JoinKey(path, key);
    if (!seen.insert(key).second) {
      st.Add(line, st.Where(line), child, "duplicate key");
      continue;
    }
    if (!st.read.count(child)) {
      st.Add(line, st.Where(line), child, "unknown key" + Suggest(key, known));
      continue;
    }
    if (kv.second.IsMap() && st.maps.count(child)) {
      CheckUnknownKeys(st, kv.second, child);
    } else if (kv.second.IsSequence() && st.lists.count(child)) {
      for (size_t i = 0; i < kv.second.size(); ++i) {
        if (kv.second[i].IsMap()) {
          CheckUnknownKeys(st, kv.second[i],
                           child + "[" + std::to_string(i) + "]");
        }
      }
    }
  }
}

void CheckUnusedEnv(ConfigState& st) {
  std::vector<std::string> known;
  for (const std::string& path : st.read) {
    if (path.find('[') == std::string::npos)
      known.push_back(EnvVarForKey(path));
  }
  for (const auto& [name, value] : *st.env) {
    if (st.used_env.count(name)) continue;
    bool in_section = false;
    for (const std::string& prefix : st.env_prefixes) {
      if (name.compare(0, prefix.size(), prefix) == 0) in_section = true;
    }
    if (!in_section) continue;
    st.Add(INT_MAX, "$" + name, "",
           "does not name a config key" + Suggest(name, known));
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)),
                std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::string EnvVarForKey(std::string_view path) {
  std::string out = "ZIMON_";
  for (char c : path) {
    out += c == '.'
               ? '_'
               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Status ReadConfigDocument(std::string_view text, std::string_view file_name,
                          const Environment& env, const EnvAliases& aliases,
                          const std::function<void(ConfigNode root)>& read) {
  auto st = std::make_shared<ConfigState>();
  st->file = std::string(file_name);
  st->env = &env;
  st->aliases = &aliases;
  YAML::Node root;
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() > 1) {
      int line = LineOf(docs[1]);
      return InvalidArgumentError(
          st->Where(line) +
          ": more than one YAML document; a config file holds one");
    }
    if (!docs.empty()) root = docs[0];
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return InvalidArgumentError(st->Where(line) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsNull() && !root.IsMap()) {
    int line = std::max(1, LineOf(root));
    return InvalidArgumentError(
        st->Where(line) +
        ": the top level must be a map of sections (like \"server:\"), got " +
        Describe(root));
  }
  auto impl = std::make_shared<NodeImpl>();
  impl->state = st;
  impl->node = root;
  impl->line = 1;
  try {
    read(ConfigNode(impl));
    if (root.IsMap()) CheckUnknownKeys(*st, root, "");
    CheckUnusedEnv(*st);
  } catch (const YAML::Exception& e) {
    return InternalError(st->file + ": reading config: " + e.what());
  }
  if (st->errors.empty()) return OkStatus();
  std::stable_sort(
      st->errors.begin(), st->errors.end(),
      [](const auto& a, const auto& b) { return a.line < b.line; });
  std::string message;
  for (const auto& e : st->errors) {
    if (!message.empty()) message += '\n';
    message += e.text;
  }
  return InvalidArgumentError(std::move(message));
}

}  // namespace zimon
