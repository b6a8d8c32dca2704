#include "zimon/sim/faults.h"

#include <gtest/gtest.h>

namespace zimon::sim {
namespace {

void ExpectInvalid(std::string_view body, std::string_view needle) {
  auto f = ParseFaultsJson(body, Faults());
  ASSERT_FALSE(f.ok()) << body;
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << body;
  EXPECT_NE(f.status().message().find(needle), std::string::npos)
      << f.status().message();
}

TEST(ParseFaultsJson, ReadsEveryField) {
  auto f = ParseFaultsJson(
      R"({"error_rate":0.1,"black_rate":0.2,"spike_rate":0.3,"spike_factor":4,
          "hang_rate":0.05,"crash_rate":0.01,"crash_now":true,
          "slow_start_seconds":12.5,"leak":true,
          "noisy_neighbour":{"memory":"6GiB","compute_share":0.3,"pid":4242,
                             "name":"trainer"}})",
      Faults());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_DOUBLE_EQ(f->error_rate, 0.1);
  EXPECT_DOUBLE_EQ(f->black_rate, 0.2);
  EXPECT_DOUBLE_EQ(f->spike_rate, 0.3);
  EXPECT_DOUBLE_EQ(f->spike_factor, 4);
  EXPECT_DOUBLE_EQ(f->hang_rate, 0.05);
  EXPECT_DOUBLE_EQ(f->crash_rate, 0.01);
  EXPECT_TRUE(f->crash_now);
  EXPECT_DOUBLE_EQ(f->slow_start_seconds, 12.5);
  EXPECT_TRUE(f->leak);
  ASSERT_TRUE(f->noisy_neighbour.has_value());
  EXPECT_EQ(f->noisy_neighbour->memory_bytes, 6ull << 30);
  EXPECT_DOUBLE_EQ(f->noisy_neighbour->compute_share, 0.3);
  EXPECT_EQ(f->noisy_neighbour->pid, 4242u);
  EXPECT_EQ(f->noisy_neighbour->name, "trainer");
}

TEST(ParseFaultsJson, UpdatesOnlyTheNamedFields) {
  Faults base;
  base.error_rate = 0.5;
  base.noisy_neighbour = NoisyNeighbour{1024, 0.1, 7, "x"};
  auto f = ParseFaultsJson(
      R"({"black_rate":1,"noisy_neighbour":{"compute_share":0.2}})", base);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_DOUBLE_EQ(f->error_rate, 0.5);
  EXPECT_DOUBLE_EQ(f->black_rate, 1.0);
  EXPECT_EQ(f->noisy_neighbour->memory_bytes, 1024u);
  EXPECT_DOUBLE_EQ(f->noisy_neighbour->compute_share, 0.2);
}

TEST(ParseFaultsJson, NullNeighbourAndResetClear) {
  Faults base;
  base.error_rate = 0.5;
  base.noisy_neighbour = NoisyNeighbour{1024, 0.1, 7, "x"};
  auto f = ParseFaultsJson(R"({"noisy_neighbour":null})", base);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->noisy_neighbour.has_value());
  EXPECT_DOUBLE_EQ(f->error_rate, 0.5);
  auto r = ParseFaultsJson(R"({"reset":true,"hang_rate":1})", base);
  ASSERT_TRUE(r.ok());
  Faults expected;
  expected.hang_rate = 1;
  EXPECT_EQ(*r, expected);
}

TEST(ParseFaultsJson, RejectsBadBodies) {
  ExpectInvalid("{", "not valid JSON");
  ExpectInvalid("[1,2]", "must be a JSON object");
  ExpectInvalid(R"({"eror_rate":0.1})", "eror_rate is not a known field");
  ExpectInvalid(R"({"error_rate":1.5})", "error_rate must be between 0 and 1");
  ExpectInvalid(R"({"error_rate":-0.1})", "error_rate");
  ExpectInvalid(R"({"black_rate":"high"})", "black_rate must be a number");
  ExpectInvalid(R"({"leak":1})", "leak must be true or false");
  ExpectInvalid(R"({"spike_factor":0.5})", "spike_factor must be between 1");
  ExpectInvalid(R"({"slow_start_seconds":-1})", "slow_start_seconds");
  ExpectInvalid(R"({"noisy_neighbour":5})",
                "noisy_neighbour must be an object");
  ExpectInvalid(R"({"noisy_neighbour":{"memory":"lots"}})",
                "noisy_neighbour.memory");
  ExpectInvalid(R"({"noisy_neighbour":{"memory":-5}})",
                "noisy_neighbour.memory");
  ExpectInvalid(R"({"noisy_neighbour":{"compute_share":0.99}})",
                "compute_share must be between 0 and 0.95");
  ExpectInvalid(R"({"noisy_neighbour":{"pid":-1}})", "noisy_neighbour.pid");
  ExpectInvalid(R"({"noisy_neighbour":{"colour":"red"}})",
                "noisy_neighbour.colour is not a known field");
}

TEST(ParseFaultsJson, FailedParseLeavesNothingHalfApplied) {
  Faults base;
  base.error_rate = 0.25;
  auto f = ParseFaultsJson(R"({"error_rate":0.9,"black_rate":7})", base);
  EXPECT_FALSE(f.ok());
  EXPECT_DOUBLE_EQ(base.error_rate, 0.25);
}

TEST(FaultsToJson, RoundTrips) {
  Faults f;
  f.error_rate = 0.125;
  f.spike_rate = 0.5;
  f.spike_factor = 3;
  f.leak = true;
  f.noisy_neighbour = NoisyNeighbour{3ull << 30, 0.25, 99, "miner"};
  auto back = ParseFaultsJson(FaultsToJson(f), Faults());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, f);
  auto none = ParseFaultsJson(FaultsToJson(Faults()), f);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, Faults());
}

TEST(ValidateFaults, DefaultsAreValid) {
  EXPECT_TRUE(ValidateFaults(Faults()).ok());
}

}  // namespace
}  // namespace zimon::sim
