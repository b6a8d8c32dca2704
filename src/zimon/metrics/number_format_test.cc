#include "zimon/metrics/number_format.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace zimon::metrics {
namespace {

std::string Double(double v) {
  std::string s;
  AppendDouble(s, v);
  return s;
}
std::string Canonical(double v) {
  std::string s;
  AppendCanonicalDouble(s, v);
  return s;
}
std::string Seconds(int64_t ms) {
  std::string s;
  AppendSecondsFromMillis(s, ms);
  return s;
}

TEST(NumberFormat, WritesShortestRoundTrip) {
  EXPECT_EQ(Double(0), "0");
  EXPECT_EQ(Double(1), "1");
  EXPECT_EQ(Double(0.1), "0.1");
  EXPECT_EQ(Double(-2.5), "-2.5");
  EXPECT_EQ(Double(1e6), "1e+06");
  EXPECT_EQ(Double(1234567), "1234567");
  EXPECT_EQ(Double(1.5e-9), "1.5e-09");
  EXPECT_EQ(Double(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(Double(std::nan("")), "NaN");
  EXPECT_EQ(Double(INFINITY), "+Inf");
  EXPECT_EQ(Double(-INFINITY), "-Inf");
}

TEST(NumberFormat, WholeNumberFastPathMatchesGeneralFormatting) {
  auto general = [](double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, end);
  };
  std::vector<double> values = {
      0,    -0.0,  1,      -1,        10,   100,
      1000, 10000, 100000, -100000,   1e6,  1200,
      1e14, 1e15,  -1e15,  123000000, 5e13, 999999999999999};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    double v =
        static_cast<double>(rng() % 1000000) * std::pow(10.0, rng() % 12);
    values.push_back(rng() % 2 ? v : -v);
  }
  for (double v : values) EXPECT_EQ(Double(v), general(v)) << general(v);
}

TEST(NumberFormat, CanonicalAddsPointZeroToWholeNumbers) {
  EXPECT_EQ(Canonical(1), "1.0");
  EXPECT_EQ(Canonical(0), "0.0");
  EXPECT_EQ(Canonical(0.5), "0.5");
  EXPECT_EQ(Canonical(60), "60.0");
  EXPECT_EQ(Canonical(1e-5), "1e-05");
  EXPECT_EQ(Canonical(1e6), "1e+06");
  EXPECT_EQ(Canonical(INFINITY), "+Inf");
}

TEST(NumberFormat, SecondsFromMillisAreExact) {
  EXPECT_EQ(Seconds(0), "0");
  EXPECT_EQ(Seconds(1500), "1.5");
  EXPECT_EQ(Seconds(1700000000123), "1700000000.123");
  EXPECT_EQ(Seconds(1700000000010), "1700000000.01");
  EXPECT_EQ(Seconds(-1), "-0.001");
  EXPECT_EQ(Seconds(-1500), "-1.5");
}

TEST(NumberFormat, ParsesValues) {
  EXPECT_EQ(ParseDouble("1"), 1);
  EXPECT_EQ(ParseDouble("+1.5"), 1.5);
  EXPECT_EQ(ParseDouble("-2e3"), -2000);
  EXPECT_EQ(ParseDouble("1.445425e+06"), 1445425);
  EXPECT_EQ(ParseDouble(".5"), 0.5);
  EXPECT_EQ(ParseDouble("+Inf"), INFINITY);
  EXPECT_EQ(ParseDouble("-Inf"), -INFINITY);
  EXPECT_EQ(ParseDouble("inf"), INFINITY);
  EXPECT_TRUE(std::isnan(*ParseDouble("NaN")));
  EXPECT_TRUE(std::isnan(*ParseDouble("nan")));
  EXPECT_EQ(ParseDouble("1e400"), INFINITY);
  EXPECT_EQ(ParseDouble("1e-400"), 0);
  EXPECT_FALSE(ParseDouble(""));
  EXPECT_FALSE(ParseDouble("+"));
  EXPECT_FALSE(ParseDouble("1x"));
  EXPECT_FALSE(ParseDouble("+-1"));
  EXPECT_FALSE(ParseDouble("Infx"));
  EXPECT_FALSE(ParseDouble(" 1"));
}

TEST(NumberFormat, ParsesIntegersAndSeconds) {
  EXPECT_EQ(ParseInt64("1700000000123"), 1700000000123);
  EXPECT_EQ(ParseInt64("-5"), -5);
  EXPECT_EQ(ParseInt64("+5"), 5);
  EXPECT_FALSE(ParseInt64("1.5"));
  EXPECT_FALSE(ParseInt64("99999999999999999999"));
  EXPECT_EQ(ParseSecondsAsMillis("1700000000.123"), 1700000000123);
  EXPECT_EQ(ParseSecondsAsMillis("1.5e3"), 1500000);
  EXPECT_EQ(ParseSecondsAsMillis("-0.001"), -1);
  EXPECT_FALSE(ParseSecondsAsMillis("NaN"));
  EXPECT_FALSE(ParseSecondsAsMillis("1e300"));
}

TEST(NumberFormat, RandomDoublesRoundTrip) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (std::isnan(v)) continue;
    std::optional<double> back = ParseDouble(Double(v));
    ASSERT_TRUE(back) << Double(v);
    EXPECT_EQ(*back, v) << Double(v);
  }
  for (int64_t ms :
       {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1700000000001},
        int64_t{-1700000000999}, int64_t{4102444800000}}) {
    EXPECT_EQ(ParseSecondsAsMillis(Seconds(ms)), ms) << ms;
  }
}

}  // namespace
}  // namespace zimon::metrics
