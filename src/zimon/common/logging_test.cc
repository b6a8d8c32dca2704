#include "zimon/common/logging.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace zimon::log {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSink([this](std::string_view line) { lines_.emplace_back(line); });
    SetLevel(Level::kInfo);
  }
  void TearDown() override {
    SetSink(nullptr);
    SetLevel(Level::kInfo);
  }
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesOneJsonObjectPerLine) {
  Info("backend ejected",
       {{"backend", "gpu-0"}, {"failures", 3}, {"ratio", 0.5}, {"ok", false}});
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& l = lines_[0];
  EXPECT_EQ(l.front(), '{');
  EXPECT_EQ(l.back(), '}');
  EXPECT_NE(
      l.find(
          R"("level":"info","msg":"backend ejected","backend":"gpu-0","failures":3,"ratio":0.5,"ok":false)"),
      std::string::npos)
      << l;
}

TEST_F(LoggingTest, DropsLinesBelowLevel) {
  Debug("hidden");
  SetLevel(Level::kError);
  Warn("hidden too");
  Error("shown");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("shown"), std::string::npos);
}

TEST_F(LoggingTest, EscapesControlCharactersAndQuotes) {
  Info("a \"quoted\"\nline\x01");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find(R"(a \"quoted\"\nline\u0001)"), std::string::npos)
      << lines_[0];
}

TEST(AppendJsonString, ReplacesInvalidUtf8SoTheLineStaysJson) {
  std::string out;
  AppendJsonString(out, "caf\xc3\xa9 \xff/\xed\xa0\x80");
  // Valid sequences pass; each bad byte becomes U+FFFD.
  EXPECT_EQ(out,
            "\"caf\xc3\xa9 \xef\xbf\xbd/\xef\xbf\xbd\xef\xbf\xbd"
            "\xef\xbf\xbd\"");
}

// Plain runs are skipped eight bytes at a time: a byte that needs escaping
// is found wherever it falls in a word.
TEST(AppendJsonString, EscapesAtEveryPositionOfALongRun) {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123";
  for (const auto& [special, escaped] :
       std::vector<std::pair<std::string, std::string>>{
           {"\"", "\\\""},
           {"\\", "\\\\"},
           {"\n", "\\n"},
           {std::string(1, '\x01'), "\\u0001"},
           {"\xc3\xa9", "\xc3\xa9"},
           {"\xff", "\xef\xbf\xbd"}}) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      std::string in = plain;
      in.insert(at, special);
      std::string out;
      AppendJsonString(out, in);
      std::string want = plain;
      want.insert(at, escaped);
      EXPECT_EQ(out, "\"" + want + "\"") << "at " << at;
    }
  }
}

TEST(LogLevel, ParsesNamesAndRejectsUnknown) {
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarn);
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_FALSE(ParseLevel("loud").ok());
}

}  // namespace
}  // namespace zimon::log
