#include "zimon/gateway/json_members.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

namespace zimon::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::string_view kNames[] = {"a", "b", "c"};

struct Read {
  StatusOr<json::value_t> type;
  std::array<json, 3> values;
};

Read ReadOf(std::string_view text) {
  Read r{InternalError("unset"), {}};
  r.type = ReadJsonMembers(text, kNames, r.values);
  return r;
}

// nlohmann's verdict on the same text: the reference both must agree with.
bool NlohmannAccepts(std::string_view text) {
  return json::accept(text.begin(), text.end());
}

TEST(ReadJsonMembers, KeepsNamedTopLevelMembersOnly) {
  Read r =
      ReadOf(R"({"a": "x\u00e9\n", "z": {"a": 1, "b": [2, {"c": 3}]}, "b": -7,)"
             R"( "c": 18446744073709551615})");
  ASSERT_TRUE(r.type.ok()) << r.type.status().ToString();
  EXPECT_EQ(*r.type, json::value_t::object);
  EXPECT_EQ(r.values[0], json("x\xC3\xA9\n"));
  EXPECT_EQ(r.values[1], json(-7));
  EXPECT_EQ(r.values[1].type(), json::value_t::number_integer);
  EXPECT_EQ(r.values[2].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(r.values[2].type(), json::value_t::number_unsigned);
}

TEST(ReadJsonMembers, AbsentMembersAreNullAndLastDuplicateWins) {
  Read r = ReadOf(R"({"a": 1, "a": "two"})");
  ASSERT_TRUE(r.type.ok());
  EXPECT_EQ(r.values[0], json("two"));
  EXPECT_TRUE(r.values[1].is_null());
  EXPECT_TRUE(r.values[2].is_null());
}

TEST(ReadJsonMembers, NumbersTakeNlohmannsTypes) {
  Read r = ReadOf(R"({"a": 3, "b": 3.0, "c": -0})");
  ASSERT_TRUE(r.type.ok());
  EXPECT_EQ(r.values[0].type(), json::value_t::number_unsigned);
  EXPECT_EQ(r.values[1].type(), json::value_t::number_float);
  EXPECT_EQ(r.values[2].type(), json::value_t::number_integer);
  // Past 64 bits an integer becomes a double, as in nlohmann.
  r = ReadOf(R"({"a": 18446744073709551616, "b": -9223372036854775809,)"
             R"( "c": 1e-400})");
  ASSERT_TRUE(r.type.ok());
  EXPECT_EQ(r.values[0], json::parse("18446744073709551616"));
  EXPECT_EQ(r.values[0].type(), json::value_t::number_float);
  EXPECT_EQ(r.values[1], json::parse("-9223372036854775809"));
  EXPECT_EQ(r.values[2], json::parse(R"(1e-400)"));
  // Beyond a double's range: refused, as nlohmann refuses it.
  for (std::string_view big : {"1e400", "[-1e400]", "{\"x\": 1e309}"}) {
    EXPECT_FALSE(ReadOf(big).type.ok()) << big;
    EXPECT_FALSE(NlohmannAccepts(big)) << big;
  }
  EXPECT_FALSE(ReadOf(std::string(400, '9')).type.ok());
}

TEST(ReadJsonMembers, ContainersAreKeptAsEmptyOnesOfTheirType) {
  Read r = ReadOf(R"({"a": [1, 2], "b": {"x": null}, "c": true})");
  ASSERT_TRUE(r.type.ok());
  EXPECT_EQ(r.values[0], json::array());
  EXPECT_EQ(r.values[1], json::object());
  EXPECT_EQ(r.values[2], json(true));
}

TEST(ReadJsonMembers, ReportsTheDocumentTypeOfNonObjects) {
  EXPECT_EQ(*ReadOf("[1, {\"a\": 2}]").type, json::value_t::array);
  EXPECT_EQ(*ReadOf(" \"a\" ").type, json::value_t::string);
  EXPECT_EQ(*ReadOf("12").type, json::value_t::number_unsigned);
  EXPECT_EQ(*ReadOf("-1.5").type, json::value_t::number_float);
  EXPECT_EQ(*ReadOf("null").type, json::value_t::null);
  EXPECT_EQ(*ReadOf("\xEF\xBB\xBF{}").type, json::value_t::object);
  Read r = ReadOf("[{\"a\": 1}]");
  EXPECT_TRUE(r.values[0].is_null());  // only top-level members count
}

TEST(ReadJsonMembers, DecodesEscapesAndSurrogatePairs) {
  Read r = ReadOf(R"({"\u0061": "\"\\\/\b\f\n\r\t\ud83d\ude00\u0000"})");
  ASSERT_TRUE(r.type.ok()) << r.type.status().ToString();
  EXPECT_EQ(r.values[0].get<std::string>(),
            std::string("\"\\/\b\f\n\r\t\xF0\x9F\x98\x80\0", 13));
}

TEST(ReadJsonMembers, RefusesWhatNlohmannRefuses) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "",
           " ",
           "{",
           "{\"a\":}",
           "{\"a\" 1}",
           "{a: 1}",
           "{\"a\": 1,}",
           "[1, 2,]",
           "[1 2]",
           "{\"a\": [1, {\"b\": 2]}}",
           "{\"a\": 1} x",
           "{} {}",
           "01",
           "1.",
           ".5",
           "-",
           "1e",
           "1e+",
           "tru",
           "nul",
           "True",
           "\"abc",
           "\"a\tb\"",
           "\"\\x\"",
           "\"\\u12\"",
           "\"\\ud800\"",
           "\"\\ud800\\u0041\"",
           "\"\\udc00\"",
           "\"\xC0\xAF\"",          // overlong
           "\"\xED\xA0\x80\"",      // an encoded surrogate
           "\"\xF4\x90\x80\x80\"",  // beyond U+10FFFF
           "\"\xE2\x82\"",          // truncated
           "\xEF\xBB{}",            // half a BOM
       }) {
    Read r = ReadOf(bad);
    EXPECT_FALSE(r.type.ok()) << "accepted: " << bad;
    EXPECT_FALSE(NlohmannAccepts(bad)) << "nlohmann accepts: " << bad;
    if (!r.type.ok()) {
      EXPECT_EQ(r.type.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

// nlohmann stops reading at a NUL byte outside a string, and so accepts
// whatever follows one; a request body is read to its end.
TEST(ReadJsonMembers, RefusesANulByteAfterTheValue) {
  const std::string_view text("{\"a\": 1}\0{junk", 14);
  EXPECT_TRUE(NlohmannAccepts(text));
  EXPECT_FALSE(ReadOf(text).type.ok());
}

TEST(ReadJsonMembers, AcceptsWhatNlohmannAccepts) {
  for (std::string_view good : std::initializer_list<std::string_view>{
           "{}",
           " \t\r\n{ } \n",
           "[]",
           "[[[[[]]]]]",
           "{\"a\":{\"b\":{\"c\":[{}]}}}",
           "0",
           "-0.0e-0",
           "1E+2",
           "\"\xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF\"",
           "{\"z\": \"\\ud83d\\ude00\", \"a\": false}",
       }) {
    Read r = ReadOf(good);
    EXPECT_TRUE(r.type.ok()) << good << ": " << r.type.status().ToString();
    EXPECT_TRUE(NlohmannAccepts(good)) << good;
  }
}

// The fuzzer's seed bodies (tests/data/json_request), checked here as the
// fuzzer checks every input: the same verdict and the same kept values as
// nlohmann's parser.
TEST(ReadJsonMembers, AgreesWithNlohmannOnTheSeedBodies) {
  constexpr std::string_view kRequestNames[] = {
      "prompt", "n", "size", "seed", "guidance_scale", "response_format"};
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(ZIMON_TEST_DATA_DIR) / "json_request")) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    ++files;
    std::array<json, std::size(kRequestNames)> values;
    StatusOr<json::value_t> type = ReadJsonMembers(text, kRequestNames, values);
    ASSERT_TRUE(type.ok()) << entry.path() << ": " << type.status().ToString();
    const json doc = json::parse(text);
    EXPECT_EQ(*type, doc.type()) << entry.path();
    for (size_t i = 0; i < std::size(kRequestNames); ++i) {
      const bool kept = doc.is_object() && doc.contains(kRequestNames[i]);
      const json want = kept ? doc.at(kRequestNames[i]) : json(nullptr);
      if (want.is_structured()) {
        EXPECT_EQ(values[i].type(), want.type()) << entry.path();
      } else {
        EXPECT_EQ(values[i], want) << entry.path() << " " << kRequestNames[i];
        EXPECT_EQ(values[i].type(), want.type()) << entry.path();
      }
    }
  }
  EXPECT_GE(files, 5);
}

TEST(ReadJsonMembers, DeepNestingIsCheckedWithoutRecursion) {
  const std::string deep =
      "{\"x\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_TRUE(ReadOf(deep).type.ok());
  const std::string unbalanced =
      "{\"x\": " + std::string(200000, '[') + std::string(199999, ']') + "}";
  EXPECT_FALSE(ReadOf(unbalanced).type.ok());
}

TEST(ReadJsonMembers, ErrorsSayWhatAndWhere) {
  Read r = ReadOf("{\n  \"a\": 1,\n  \"b\" 2\n}");
  ASSERT_FALSE(r.type.ok());
  EXPECT_THAT(r.type.status().message(),
              HasSubstr("expected ':' after a member name at line 3, column"));
  r = ReadOf("{\"a\": \"open");
  ASSERT_FALSE(r.type.ok());
  EXPECT_THAT(r.type.status().message(),
              HasSubstr("unexpected end of input in a string"));
}

}  // namespace
}  // namespace zimon::gateway
