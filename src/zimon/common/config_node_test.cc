// ConfigNode against a small made-up schema, so every getter and error path
// is covered independently of the real zimon.yaml sections.
#include "zimon/common/config_node.h"

#include <gtest/gtest.h>

namespace zimon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Backend {
  std::string url;
  int weight = 1;
};

struct Demo {
  std::string name = "default";
  int64_t count = 3;
  double ratio = 0.5;
  bool enabled = false;
  milliseconds interval{5000};
  uint64_t size = 1024;
  HostPort addr{"0.0.0.0", 80};
  std::string mode = "fast";
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  std::vector<Backend> backends;
};

Demo ReadDemo(ConfigNode root) {
  Demo d;
  ConfigNode s = root.Map("demo");
  d.name = s.String("name", d.name);
  d.count = s.Int("count", d.count, 1, 100);
  d.ratio = s.Double("ratio", d.ratio, 0, 1);
  d.enabled = s.Bool("enabled", d.enabled);
  d.interval = s.Duration("interval", d.interval, seconds(1));
  d.size = s.Bytes("size", d.size, 1024, 1 << 20);
  d.addr = s.Address("addr", d.addr);
  d.mode = s.Enum("mode", d.mode, {"fast", "slow"});
  d.tags = s.StringList("tags");
  d.labels = s.StringMap("labels");
  for (ConfigNode b : s.List("backends")) {
    Backend backend;
    if (b.Require("url")) backend.url = b.String("url", "");
    backend.weight = static_cast<int>(b.Int("weight", 1, 1, 10));
    d.backends.push_back(backend);
  }
  return d;
}

struct Result {
  Status status;
  Demo demo;
};

Result Read(std::string_view yaml, const Environment& env = {},
            const EnvAliases& aliases = {}) {
  Result r;
  r.status =
      ReadConfigDocument(yaml, "t.yaml", env, aliases,
                         [&](ConfigNode root) { r.demo = ReadDemo(root); });
  return r;
}

std::string Errors(std::string_view yaml, const Environment& env = {}) {
  return Read(yaml, env).status.message();
}

TEST(ConfigNode, ReadsEveryType) {
  Result r = Read(R"(
demo:
  name: alpha
  count: 7
  ratio: 0.25
  enabled: yes
  interval: 1m30s
  size: 16KiB
  addr: "[::1]:9000"
  mode: slow
  tags: [a, b]
  labels: {team: ml, tier: "1"}
  backends:
    - url: http://a:8000
      weight: 2
    - url: http://b:8000
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const Demo& d = r.demo;
  EXPECT_EQ(d.name, "alpha");
  EXPECT_EQ(d.count, 7);
  EXPECT_DOUBLE_EQ(d.ratio, 0.25);
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.interval, milliseconds(90'000));
  EXPECT_EQ(d.size, 16u * 1024);
  EXPECT_EQ(d.addr, (HostPort{"::1", 9000}));
  EXPECT_EQ(d.mode, "slow");
  EXPECT_EQ(d.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.labels.at("tier"), "1");
  ASSERT_EQ(d.backends.size(), 2u);
  EXPECT_EQ(d.backends[0].weight, 2);
  EXPECT_EQ(d.backends[1].url, "http://b:8000");
  EXPECT_EQ(d.backends[1].weight, 1);
}

TEST(ConfigNode, AbsentKeysGiveDefaults) {
  Result r = Read("demo: {}\n");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.demo.name, "default");
  EXPECT_EQ(r.demo.interval, milliseconds(5000));
  EXPECT_TRUE(r.demo.backends.empty());
}

TEST(ConfigNode, NullSectionIsEmpty) {
  EXPECT_TRUE(Read("demo:\n").status.ok());
  EXPECT_TRUE(Read("demo:\n  tags:\n  backends:\n").status.ok());
}

TEST(ConfigNode, WrongTypeNamesFileLineAndKey) {
  EXPECT_EQ(Errors("demo:\n  count: many\n"),
            "t.yaml:2: demo.count: expected an integer, got \"many\"");
  EXPECT_EQ(Errors("demo:\n  ratio: half\n"),
            "t.yaml:2: demo.ratio: expected a number, got \"half\"");
  EXPECT_EQ(Errors("demo:\n  enabled: maybe\n"),
            "t.yaml:2: demo.enabled: expected true or false, got \"maybe\"");
  EXPECT_EQ(Errors("demo:\n  name: [x]\n"),
            "t.yaml:2: demo.name: expected a string, got a list");
  EXPECT_EQ(Errors("demo:\n  count:\n"),
            "t.yaml:2: demo.count: expected an integer, got an empty value");
  EXPECT_EQ(Errors("demo: 5\n"), "t.yaml:1: demo: expected a map, got \"5\"");
  EXPECT_EQ(Errors("demo:\n  tags: a\n"),
            "t.yaml:2: demo.tags: expected a list, got \"a\"");
  EXPECT_EQ(Errors("demo:\n  backends: {url: x}\n"),
            "t.yaml:2: demo.backends: expected a list, got a map");
}

TEST(ConfigNode, BadValuesExplainTheSyntax) {
  EXPECT_EQ(Errors("demo:\n  interval: 5\n"),
            "t.yaml:2: demo.interval: expected a duration like 5s, 1m30s or "
            "250ms, got \"5\"");
  EXPECT_EQ(Errors("demo:\n  size: lots\n"),
            "t.yaml:2: demo.size: expected a size like 8MiB, got \"lots\"");
  EXPECT_EQ(Errors("demo:\n  addr: nowhere\n"),
            "t.yaml:2: demo.addr: expected host:port, e.g. 0.0.0.0:8080, got "
            "\"nowhere\" (no port)");
  EXPECT_EQ(Errors("demo:\n  mode: medium\n"),
            "t.yaml:2: demo.mode: expected one of fast, slow, got \"medium\"");
}

TEST(ConfigNode, RangeChecks) {
  EXPECT_EQ(Errors("demo:\n  count: 0\n"),
            "t.yaml:2: demo.count: must be between 1 and 100, got 0");
  EXPECT_EQ(Errors("demo:\n  ratio: 1.5\n"),
            "t.yaml:2: demo.ratio: must be between 0 and 1, got 1.5");
  EXPECT_EQ(Errors("demo:\n  interval: 500ms\n"),
            "t.yaml:2: demo.interval: must be at least 1s, got 500ms");
  EXPECT_EQ(Errors("demo:\n  size: 2MiB\n"),
            "t.yaml:2: demo.size: must be between 1KiB and 1MiB, got 2MiB");
}

TEST(ConfigNode, UnknownKeysAreReportedWithHint) {
  EXPECT_EQ(
      Errors("demo:\n  name: x\n  intervall: 5s\n"),
      "t.yaml:3: demo.intervall: unknown key (did you mean \"interval\"?)");
  EXPECT_EQ(Errors("demo: {}\nsurprise: 1\n"),
            "t.yaml:2: surprise: unknown key");
  EXPECT_EQ(Errors("demo:\n  backends:\n    - url: x\n      wieght: 2\n"),
            "t.yaml:4: demo.backends[0].wieght: unknown key (did you mean "
            "\"weight\"?)");
}

TEST(ConfigNode, FreeFormMapsAcceptAnyKeys) {
  Result r = Read("demo:\n  labels:\n    anything: goes\n    x: y\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.demo.labels.size(), 2u);
  EXPECT_EQ(
      Errors("demo:\n  labels:\n    a: [1]\n"),
      "t.yaml:3: demo.labels: expected string keys and values, got a list");
}

TEST(ConfigNode, RequiredKeyInListItem) {
  EXPECT_EQ(Errors("demo:\n  backends:\n    - weight: 2\n"),
            "t.yaml:3: demo.backends[0].url: required key is missing");
  EXPECT_EQ(
      Errors("demo:\n  backends:\n    - just-a-string\n"),
      "t.yaml:3: demo.backends[0]: expected a map, got \"just-a-string\"");
}

TEST(ConfigNode, AllErrorsReportedInFileOrder) {
  EXPECT_EQ(Errors(R"(demo:
  mode: medium
  count: -1
  bogus: 1
  size: lots
)"),
            "t.yaml:2: demo.mode: expected one of fast, slow, got \"medium\"\n"
            "t.yaml:3: demo.count: must be between 1 and 100, got -1\n"
            "t.yaml:4: demo.bogus: unknown key\n"
            "t.yaml:5: demo.size: expected a size like 8MiB, got \"lots\"");
}

TEST(ConfigNode, DuplicateKeyIsAnError) {
  EXPECT_EQ(Errors("demo:\n  count: 1\n  count: 2\n"),
            "t.yaml:3: demo.count: duplicate key");
}

TEST(ConfigNode, EnvironmentOverridesFile) {
  Result r =
      Read("demo:\n  count: 5\n  name: file\n", {{"ZIMON_DEMO_COUNT", "9"},
                                                 {"ZIMON_DEMO_TAGS", "x, y,,z"},
                                                 {"ZIMON_DEMO_INTERVAL", "2s"},
                                                 {"UNRELATED", "1"}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.demo.count, 9);
  EXPECT_EQ(r.demo.name, "file");
  EXPECT_EQ(r.demo.interval, seconds(2));
  EXPECT_EQ(r.demo.tags, (std::vector<std::string>{"x", "y", "z"}));
}

TEST(ConfigNode, EnvironmentOverridesApplyWithoutSectionInFile) {
  Result r = Read("", {{"ZIMON_DEMO_NAME", "env"}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.demo.name, "env");
}

TEST(ConfigNode, BadEnvironmentValueNamesVariable) {
  EXPECT_EQ(
      Errors("", {{"ZIMON_DEMO_SIZE", "huge"}}),
      "$ZIMON_DEMO_SIZE: demo.size: expected a size like 8MiB, got \"huge\"");
}

TEST(ConfigNode, UnknownOverrideInKnownSectionIsAnError) {
  EXPECT_EQ(Errors("", {{"ZIMON_DEMO_CONT", "1"}}),
            "$ZIMON_DEMO_CONT: does not name a config key (did you mean "
            "\"ZIMON_DEMO_COUNT\"?)");
  // Variables outside the schema's sections (e.g. Kubernetes service
  // variables) are none of our business.
  EXPECT_TRUE(Read("", {{"ZIMON_SERVICE_HOST", "10.0.0.1"}}).status.ok());
}

TEST(ConfigNode, AliasesApplyAndZimonNameWins) {
  EnvAliases aliases = {{"demo.count", {"DEMO_COUNT"}}};
  Result r = Read("demo: {count: 5}\n", {{"DEMO_COUNT", "7"}}, aliases);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.demo.count, 7);
  r = Read("", {{"DEMO_COUNT", "7"}, {"ZIMON_DEMO_COUNT", "8"}}, aliases);
  EXPECT_EQ(r.demo.count, 8);
  EXPECT_EQ(Read("", {{"DEMO_COUNT", "x"}}, aliases).status.message(),
            "$DEMO_COUNT: demo.count: expected an integer, got \"x\"");
}

TEST(ConfigNode, CustomErrorAtKeyLocation) {
  Status s = ReadConfigDocument("a:\n  lo: 5\n  hi: 2\n", "t.yaml", {}, {},
                                [](ConfigNode root) {
                                  ConfigNode a = root.Map("a");
                                  int64_t lo = a.Int("lo", 0);
                                  int64_t hi = a.Int("hi", 0);
                                  if (hi < lo)
                                    a.Error("hi", "must not be below a.lo");
                                });
  EXPECT_EQ(s.message(), "t.yaml:3: a.hi: must not be below a.lo");
}

TEST(ConfigNode, SyntaxErrorHasLine) {
  Status s = Read("demo:\n  name: x\n  tags: [a, b\n").status;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("t.yaml:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("invalid YAML"), std::string::npos) << s.message();
}

TEST(ConfigNode, TopLevelMustBeAMap) {
  EXPECT_EQ(Errors("- a\n- b\n"),
            "t.yaml:1: the top level must be a map of sections (like "
            "\"server:\"), got a list");
  EXPECT_EQ(Errors("just text\n"),
            "t.yaml:1: the top level must be a map of sections (like "
            "\"server:\"), got \"just text\"");
}

TEST(ConfigNode, OneDocumentOnly) {
  EXPECT_EQ(Errors("demo: {}\n---\ndemo: {}\n"),
            "t.yaml:3: more than one YAML document; a config file holds one");
}

TEST(ConfigNode, EmptyAndCommentOnlyDocumentsAreEmptyMaps) {
  EXPECT_TRUE(Read("").status.ok());
  EXPECT_TRUE(Read("# nothing here\n\n").status.ok());
}

TEST(EnvVarForKey, UpperCasesAndReplacesDots) {
  EXPECT_EQ(EnvVarForKey("server.max_body_bytes"),
            "ZIMON_SERVER_MAX_BODY_BYTES");
}

}  // namespace
}  // namespace zimon
