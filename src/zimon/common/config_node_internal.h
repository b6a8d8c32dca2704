// Internal to config_node.cc and config_document.cc: the state shared by the
// ConfigNode handles of one document. Not part of the public API.
#ifndef ZIMON_COMMON_CONFIG_NODE_INTERNAL_H_
#define ZIMON_COMMON_CONFIG_NODE_INTERNAL_H_

#include <yaml-cpp/yaml.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/config_node.h"

namespace zimon::internal {

struct ConfigError {
  int line;  // sort key: file line, INT_MAX for the environment
  std::string text;
};

// Shared by every node of one document.
struct ConfigState {
  std::string file;
  const Environment* env = nullptr;
  const EnvAliases* aliases = nullptr;
  std::vector<ConfigError> errors;
  std::set<std::string> read;   // key paths a reader asked for
  std::set<std::string> maps;   // paths read as Map: check keys below them
  std::set<std::string> lists;  // paths read as List: check keys in items
  std::set<std::string> used_env;
  std::set<std::string> env_prefixes;  // "ZIMON_SERVER_" per section read

  std::string Where(int line) const {
    return line > 0 ? file + ":" + std::to_string(line) : file;
  }
  void Add(int line, std::string_view where, std::string_view key,
           std::string_view message) {
    std::string text(where);
    text += ": ";
    if (!key.empty()) {
      text.append(key);
      text += ": ";
    }
    text.append(message);
    errors.push_back({line, std::move(text)});
  }
};

struct NodeImpl {
  std::shared_ptr<ConfigState> state;
  YAML::Node node;  // a map, or null when absent
  std::string path;
  int line = 0;        // 1-based line of this node, 0 when unknown
  bool env_ok = true;  // false inside lists
};

// 1-based line of n, 0 when unknown.
int LineOf(const YAML::Node& n);
// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string JoinKey(std::string_view path, std::string_view key);
// s in double quotes, shortened when long.
std::string Quote(std::string_view s);
// For "got ...": "a map", "a list", "an empty value" or the quoted scalar.
std::string Describe(const YAML::Node& n);

}  // namespace zimon::internal

#endif  // ZIMON_COMMON_CONFIG_NODE_INTERNAL_H_
