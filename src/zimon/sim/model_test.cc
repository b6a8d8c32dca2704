#include "zimon/sim/model.h"

#include <gtest/gtest.h>

#include "zimon/sim/profiles.h"

namespace zimon::sim {
namespace {

GpuProfile Profile(const char* name) {
  auto p = FindProfile(name);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

TEST(ParseImageSize, AcceptsWidthByHeight) {
  auto s = ParseImageSize("1280x720");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width, 1280);
  EXPECT_EQ(s->height, 720);
  EXPECT_EQ(ParseImageSize("512*512")->width, 512);
}

TEST(ParseImageSize, RejectsMalformedAndUnaligned) {
  for (const char* bad : {"1024x", "x1024", "1024", "abcx12", "1000x1000",
                          "0x0", "8192x8192", "1024x1024x3", "-16x16"}) {
    EXPECT_EQ(ParseImageSize(bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(Model, H100At1024NineStepsMatchesSglangBaseline) {
  // §2.1: e2e 906 ms.
  EXPECT_NEAR(MeanLatencySeconds(Profile("H100"), {1024, 1024}, 9), 0.906,
              0.005);
  EXPECT_NEAR(MeanLatencySeconds(Profile("h800"), {1024, 1024}, 9), 0.906,
              0.005);
}

TEST(Model, Rtx5090At1024NineStepsMatchesSglangBaseline) {
  EXPECT_NEAR(MeanLatencySeconds(Profile("rtx-5090"), {1024, 1024}, 9), 2.492,
              0.005);
}

TEST(Model, Rtx3090TiMatchesComfyWarmRun) {
  // §2.2: 7 steps, warm 6.74 s.
  EXPECT_NEAR(MeanLatencySeconds(Profile("3090ti"), {1024, 1024}, 7), 6.74,
              0.01);
}

TEST(Model, T4MatchesKaggleGoldenRun) {
  EXPECT_NEAR(MeanLatencySeconds(Profile("t4"), {512, 512}, 9), 52.5, 0.05);
  // §3: measured 768²/512² = 2.43; the FLOPs rule predicts 2.27.
  double ratio = MeanLatencySeconds(Profile("t4"), {768, 768}, 9) /
                 MeanLatencySeconds(Profile("t4"), {512, 512}, 9);
  EXPECT_NEAR(ratio, 2.43, 0.25);
}

TEST(Model, StepTimeFollowsFlopsScaling) {
  GpuProfile h100 = Profile("h100");
  double at1024 = StepSeconds(h100, {1024, 1024});
  // §3 table: 512² 0.23x, 768² 0.53x, 2048² 5.5x of 1024².
  EXPECT_NEAR(StepSeconds(h100, {512, 512}) / at1024, 0.23, 0.02);
  EXPECT_NEAR(StepSeconds(h100, {768, 768}) / at1024, 0.53, 0.03);
  EXPECT_NEAR(StepSeconds(h100, {2048, 2048}) / at1024, 5.5, 0.2);
  EXPECT_NEAR(ForwardFlops(4096 + 100), 6.0e13, 0.1e13);
}

TEST(Model, L20StepMatchesDerivedForwardTime) {
  EXPECT_NEAR(StepSeconds(Profile("l20"), {1024, 1024}), 0.65, 1e-9);
}

TEST(Model, BatchGainFollowsReference) {
  // §6.1: A100 512+512 gave 1.19x; 1024² gains 1.0-1.1x.
  EXPECT_NEAR(BatchGain({512, 512}, 2), 1.19, 0.01);
  EXPECT_DOUBLE_EQ(BatchGain({1024, 1024}, 1), 1.0);
  for (int k = 2; k <= 16; ++k) {
    EXPECT_GE(BatchGain({1024, 1024}, k), 1.0);
    EXPECT_LE(BatchGain({1024, 1024}, k), 1.1);
    EXPECT_LE(BatchGain({512, 512}, k), 1.5);
    EXPECT_GT(BatchGain({512, 512}, k), BatchGain({512, 512}, k - 1) - 1e-12);
  }
  GpuProfile h100 = Profile("h100");
  EXPECT_NEAR(MeanBatchSeconds(h100, {512, 512}, 9, 2),
              2 * MeanLatencySeconds(h100, {512, 512}, 9) / 1.19, 0.01);
}

TEST(Model, OffloadAddsTransferTimeAndSavesTextEncoderMemory) {
  GpuProfile p = Profile("rtx3090ti");
  double extra = MeanLatencySeconds(p, {1024, 1024}, 8, true) -
                 MeanLatencySeconds(p, {1024, 1024}, 8, false);
  EXPECT_GT(extra, 0.9);  // §5.1: ~1-2 s per image
  EXPECT_LT(extra, 2.0);
  EXPECT_EQ(WeightsBytes(p, false) - WeightsBytes(p, true),
            ZImageTurbo().text_encoder_bytes);
}

TEST(Model, AllResidentWeightsMatchReference) {
  // §1: all bf16 weights ≈ 19.1 GiB + the fp32 VAE.
  double gib = static_cast<double>(WeightsBytes(Profile("h100"), false)) / kGiB;
  EXPECT_NEAR(gib, 19.26, 0.05);
}

TEST(Model, T4FitsAt768AndNotAt1024) {
  GpuProfile t4 = Profile("t4");
  auto fits = [&](ImageSize s) {
    return kContextBytes + WeightsBytes(t4, false) + ActivationBytes(t4, s) <=
           t4.vram_bytes;
  };
  EXPECT_TRUE(fits({512, 512}));
  EXPECT_TRUE(fits({768, 768}));
  EXPECT_FALSE(fits({1024, 1024}));
}

TEST(Model, FlashActivationIsLinearInTokens) {
  GpuProfile h100 = Profile("h100");
  double a = static_cast<double>(ActivationBytes(h100, {1024, 1024}));
  EXPECT_NEAR(a / kGiB, 2.4, 0.01);
  double b = static_cast<double>(ActivationBytes(h100, {2048, 2048}));
  EXPECT_NEAR(b / a, (16384.0 + 100) / (4096 + 100), 1e-6);
}

TEST(Profiles, LookupAcceptsSpellingsAndListsKnownNames) {
  EXPECT_EQ(FindProfile("NVIDIA GeForce RTX 5090")->name, "rtx5090");
  EXPECT_EQ(FindProfile("Tesla T4")->name, "t4");
  auto missing = FindProfile("a100");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("h100"), std::string::npos);
}

TEST(Profiles, EveryProfileIsComplete) {
  for (const GpuProfile& p : BuiltinProfiles()) {
    EXPECT_GT(p.vram_bytes, 0u) << p.name;
    EXPECT_GT(p.step_seconds, 0) << p.name;
    EXPECT_GT(p.text_encode_seconds, 0) << p.name;
    EXPECT_GT(p.cold_start_seconds, 0) << p.name;
    EXPECT_GT(p.max_watts, p.idle_watts) << p.name;
    EXPECT_FALSE(p.display_name.empty()) << p.name;
  }
  EXPECT_GE(BuiltinProfiles().size(), 6u);
}

}  // namespace
}  // namespace zimon::sim
