// Schema-driven reading of YAML configuration with precise errors.
//
// A section reader asks a ConfigNode for each key it knows, with a default
// and a valid range; the node parses the value, checks it, applies any
// environment override and records every problem as one line
//
//   zimon.yaml:12: server.max_body_bytes: expected a size like 8MiB, got "lots"
//
// Problems accumulate: reading goes on after an error (the getter returns the
// default), so one run reports all of them. When reading is done,
// ReadConfigDocument() reports every key in the file that no reader asked
// for ("unknown key", with a "did you mean" hint) and duplicate keys.
//
//   ServerConfig ReadServer(ConfigNode node) {
//     ServerConfig c;
//     c.listen = node.Address("listen", c.listen);
//     c.io_threads = node.Int("io_threads", c.io_threads, 0, 1024);
//     c.idle_timeout = node.Duration("idle_timeout", c.idle_timeout,
//                                    std::chrono::seconds(1));
//     return c;
//   }
//   ... ReadServer(root.Map("server")) ...
//
// Environment overrides: a scalar key at path a.b_c (not inside a list) can
// be set with ZIMON_A_B_C (the path upper-cased, dots as underscores). An
// override beats the file. Extra names for a key (such as
// MAX_CONCURRENT_REQUESTS) are given as aliases; ZIMON_ names beat aliases.
// A ZIMON_<SECTION>_* variable for a section the schema reads, that names no
// key, is an error (a typo would otherwise be silently ignored).
//
// ConfigNode is a cheap handle; copies share the document's state. It is not
// thread-safe: read a document on one thread.
#ifndef ZIMON_COMMON_CONFIG_NODE_H_
#define ZIMON_COMMON_CONFIG_NODE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/common/units.h"

namespace zimon {

// Environment variables by name (tests build one; ProcessEnvironment() reads
// the real one).
using Environment = std::map<std::string, std::string, std::less<>>;
Environment ProcessEnvironment();

// Extra environment variable names for keys: {"gateway.max_concurrent",
// {"MAX_CONCURRENT_REQUESTS"}}.
using EnvAliases = std::map<std::string, std::vector<std::string>, std::less<>>;

// The environment variable that overrides a key path: "server.max_body_bytes"
// -> "ZIMON_SERVER_MAX_BODY_BYTES".
std::string EnvVarForKey(std::string_view path);

namespace internal {
struct ConfigState;
struct NodeImpl;
}  // namespace internal

class ConfigNode {
 public:
  using Millis = std::chrono::milliseconds;

  // True if the key is present in the file or set by an environment variable.
  bool Has(std::string_view key) const;
  // Records an error unless Has(key); returns Has(key).
  bool Require(std::string_view key) const;

  std::string String(std::string_view key, std::string_view def) const;
  int64_t Int(std::string_view key, int64_t def,
              int64_t min = std::numeric_limits<int64_t>::min(),
              int64_t max = std::numeric_limits<int64_t>::max()) const;
  double Double(std::string_view key, double def,
                double min = std::numeric_limits<double>::lowest(),
                double max = std::numeric_limits<double>::max()) const;
  // true/false, yes/no, on/off, 1/0 (any case).
  bool Bool(std::string_view key, bool def) const;
  // See ParseDuration().
  Millis Duration(std::string_view key, Millis def, Millis min = Millis(0),
                  Millis max = Millis::max()) const;
  // See ParseByteSize().
  uint64_t Bytes(std::string_view key, uint64_t def, uint64_t min = 0,
                 uint64_t max = std::numeric_limits<uint64_t>::max()) const;
  // See ParseHostPort().
  HostPort Address(std::string_view key, const HostPort& def) const;
  // One of `allowed`, exactly.
  std::string Enum(std::string_view key, std::string_view def,
                   std::initializer_list<std::string_view> allowed) const;
  // A list of scalars; an environment override is comma-separated.
  std::vector<std::string> StringList(
      std::string_view key, const std::vector<std::string>& def = {}) const;
  // A map of scalar values with free-form keys (labels, headers). Not
  // overridable from the environment.
  std::map<std::string, std::string> StringMap(std::string_view key) const;

  // A nested map. If absent (or null), an empty node: getters return their
  // defaults and environment overrides still apply.
  ConfigNode Map(std::string_view key) const;
  // A list of maps (e.g. backends). Absent: empty.
  std::vector<ConfigNode> List(std::string_view key) const;

  // Records a problem found by the reader itself (a cross-field check), at
  // the key's location: "file:line: path.key: message".
  void Error(std::string_view key, std::string_view message) const;

  // "server", "gateway.backends[1]"; "" for the root.
  const std::string& path() const;

 private:
  friend Status ReadConfigDocument(std::string_view, std::string_view,
                                   const Environment&, const EnvAliases&,
                                   const std::function<void(ConfigNode)>&);
  explicit ConfigNode(std::shared_ptr<internal::NodeImpl> impl);

  std::shared_ptr<internal::NodeImpl> impl_;
};

// Parses `text` (the content of `file_name`, which is only used in messages)
// as YAML and calls `read` with the root node. Returns OK, or
// kInvalidArgument whose message is every problem, one per line, in file
// order (environment problems last). An empty document is an empty map.
Status ReadConfigDocument(std::string_view text, std::string_view file_name,
                          const Environment& env, const EnvAliases& aliases,
                          const std::function<void(ConfigNode root)>& read);

}  // namespace zimon

#endif  // ZIMON_COMMON_CONFIG_NODE_H_
