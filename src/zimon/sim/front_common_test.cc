#include "zimon/sim/front_common.h"

#include <gtest/gtest.h>

#include "zimon/sim/front.h"

namespace zimon::sim {
namespace {

TEST(Base64, EncodesKnownVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, DecodesWhatItEncodes) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 7));
  for (size_t len : {0, 1, 2, 3, 4, 299, 300}) {
    std::string part = bytes.substr(0, len);
    StatusOr<std::string> back = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, part);
  }
  EXPECT_FALSE(Base64Decode("Zm9v!").ok());
  EXPECT_FALSE(Base64Decode("Z").ok());
}

TEST(StoredZip, HasHeadersForEveryFileAndAnEndRecord) {
  std::string zip = StoredZip({{"a.png", "hello"}, {"b.png", "world!"}});
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(zip.find("a.png"), std::string::npos);
  EXPECT_NE(zip.find("hello"), std::string::npos);
  size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(zip.size() - end, 22u);
  EXPECT_EQ(static_cast<uint8_t>(zip[end + 10]), 2);  // entries
}

TEST(ApiFlavour, ParsesItsNames) {
  for (ApiFlavour api :
       {ApiFlavour::kVllmOmni, ApiFlavour::kSdcpp, ApiFlavour::kComfyUi}) {
    StatusOr<ApiFlavour> back = ParseApiFlavour(ApiFlavourName(api));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, api);
  }
  StatusOr<ApiFlavour> bad = ParseApiFlavour("triton");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("vllm-omni"), std::string::npos);
}

}  // namespace
}  // namespace zimon::sim
