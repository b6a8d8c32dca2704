#include "zimon/gateway/adapter_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "zimon/gateway/adapter.h"
#include "zimon/gateway/base64.h"

namespace zimon::gateway::adapter_internal {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest";

TEST(JsonObjectWriter, WritesMembersInOrder) {
  JsonObjectWriter w;
  w.Add("prompt", "a fox").Add("n", int64_t{2}).Add("cfg", 1.5);
  EXPECT_EQ(w.Finish(), R"({"prompt":"a fox","n":2,"cfg":1.5})");
  EXPECT_EQ(JsonObjectWriter().Finish(), "{}");
}

TEST(JsonObjectWriter, DoublesReadBackAsNumbersWithAFraction) {
  JsonObjectWriter w;
  w.Add("a", 7.0).Add("b", 0.1).Add("c", 1e300).Add("d", -2.5e-7);
  w.Add("nan", std::nan("")).Add("inf", HUGE_VAL);
  json j = json::parse(w.Finish());
  EXPECT_TRUE(j["a"].is_number_float());
  EXPECT_EQ(j["a"].get<double>(), 7.0);
  EXPECT_EQ(j["b"].get<double>(), 0.1);
  EXPECT_EQ(j["c"].get<double>(), 1e300);
  EXPECT_EQ(j["d"].get<double>(), -2.5e-7);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_TRUE(j["inf"].is_null());
}

TEST(JsonObjectWriter, EscapesWhatJsonRequires) {
  const std::string text = std::string("q\"b\\n\nr\rt\tb\bf\f") +
                           std::string("\x01\x1f", 2) + "\x7f";
  JsonObjectWriter w;
  w.Add("k\"", text);
  std::string out = w.Finish();
  EXPECT_EQ(out, R"({"k\"":"q\"b\\n\nr\rt\tb\bf\f\u0001\u001f)"
                 "\x7f"
                 R"("})");
  EXPECT_EQ(json::parse(out)["k\""], text);
}

TEST(JsonObjectWriter, KeepsValidUtf8AndReplacesInvalid) {
  const std::string valid = "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\xa6\x8a";
  JsonObjectWriter w;
  w.Add("ok", valid);
  EXPECT_EQ(json::parse(w.Finish())["ok"], valid);
  const std::string fffd = "\xef\xbf\xbd";
  for (const auto& [bad, want] :
       std::vector<std::pair<std::string, std::string>>{
           {"a\xff"
            "b",
            "a" + fffd + "b"},                               // never valid
           {"\xc0\xaf", fffd + fffd},                        // overlong '/'
           {"\xed\xa0\x80", fffd + fffd + fffd},             // a surrogate
           {"\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},  // > U+10FFFF
           {"end\xe6\x97", "end" + fffd + fffd},             // cut short
       }) {
    JsonObjectWriter bad_writer;
    bad_writer.Add("p", bad);
    std::string out = bad_writer.Finish();
    json j = json::parse(out);  // valid JSON whatever the input
    EXPECT_EQ(j["p"], want) << out;
  }
}

TEST(SniffImageType, RecognisesPngJpegAndWebp) {
  EXPECT_EQ(SniffImageType(kPng), "image/png");
  EXPECT_EQ(SniffImageType("\xff\xd8\xff\xe0...."), "image/jpeg");
  EXPECT_EQ(SniffImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)),
            "image/webp");
  EXPECT_EQ(SniffImageType("GIF89a"), "");
  EXPECT_EQ(SniffImageType(""), "");
  EXPECT_EQ(SniffImageType("\x89PN"), "");
}

TEST(LooksLikeOom, KnowsPyTorchCudaAndComfyUiTexts) {
  EXPECT_TRUE(LooksLikeOom(
      "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 30.00 "
      "MiB. GPU 0 has a total capacity of 31.35 GiB"));
  EXPECT_TRUE(LooksLikeOom("RuntimeError: CUDA error: out of memory"));
  EXPECT_TRUE(LooksLikeOom(
      "Allocation on device\nThis error means you ran out of memory on your "
      "GPU."));
  EXPECT_TRUE(LooksLikeOom("torch.OutOfMemoryError: "));
  EXPECT_FALSE(LooksLikeOom(
      "RuntimeError: CUDA error: an illegal memory access was encountered"));
  EXPECT_FALSE(LooksLikeOom("generate_image returned no results"));
}

TEST(ErrorDetail, TakesFastApiDetailOrErrorMessage) {
  EXPECT_EQ(ErrorDetail(R"({"detail": "Invalid size"})"), "Invalid size");
  EXPECT_EQ(ErrorDetail(R"({"error": "job queue is full"})"),
            "job queue is full");
  EXPECT_EQ(ErrorDetail(R"({"error": {"message": "bad", "type": "x"}})"),
            "bad");
  EXPECT_EQ(ErrorDetail(R"({"detail": [{"loc": ["body"]}]})"),
            R"([{"loc":["body"]}])");
  EXPECT_EQ(ErrorDetail("plain text"), "plain text");
  EXPECT_EQ(ErrorDetail(std::string(2000, 'x')).size(), 503u);
}

TEST(FromHttpError, ClassifiesStatusAndOomText) {
  EXPECT_EQ(FromHttpError(429, "{}", "x").outcome,
            UpstreamOutcome::kNotStarted);
  EXPECT_EQ(FromHttpError(503, "{}", "x").outcome,
            UpstreamOutcome::kNotStarted);
  EXPECT_EQ(FromHttpError(400, R"({"detail":"bad size"})", "x").outcome,
            UpstreamOutcome::kClientError);
  EXPECT_EQ(FromHttpError(422, "[]", "x").outcome,
            UpstreamOutcome::kClientError);
  EXPECT_EQ(FromHttpError(500, "{}", "x").outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(FromHttpError(502, "", "x").outcome, UpstreamOutcome::kFailure);
  UpstreamResult oom = FromHttpError(
      500, R"({"detail":"torch.OutOfMemoryError: CUDA out of memory."})",
      "POST u");
  EXPECT_EQ(oom.outcome, UpstreamOutcome::kOom);
  EXPECT_EQ(oom.http_status, 500);
  EXPECT_EQ(oom.status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(oom.status.message().find("POST u answered 500"),
            std::string::npos);
}

TEST(FromTransportError, RefusedIsNotStartedTimeoutAndResetAreFailures) {
  EXPECT_EQ(FromTransportError(UnavailableError("refused"), "x").outcome,
            UpstreamOutcome::kNotStarted);
  UpstreamResult late = FromTransportError(DeadlineExceededError("t"), "x");
  EXPECT_EQ(late.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(late.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(FromTransportError(AbortedError("reset"), "x").outcome,
            UpstreamOutcome::kFailure);
  EXPECT_EQ(FromTransportError(CancelledError("c"), "x").outcome,
            UpstreamOutcome::kCancelled);
  EXPECT_EQ(FromTransportError(DataLossError("bad"), "x").outcome,
            UpstreamOutcome::kFailure);
}

// The image's bytes, however the parser held them.
std::string Decoded(GeneratedImage image) {
  Status decoded = DecodeImage(image);
  EXPECT_TRUE(decoded.ok()) << decoded.ToString();
  return image.bytes;
}

TEST(ParseImagesResponse, DecodesEveryImage) {
  json body = {{"created", 1},
               {"data",
                {{{"b64_json", Base64Encode(kPng)}},
                 {{"b64_json", Base64Encode("other")}}}}};
  UpstreamResult r = ParseImagesResponse(body.dump(), 2, "x");
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_EQ(Decoded(r.images[0]), kPng);
  EXPECT_EQ(r.images[0].media_type, "image/png");
  EXPECT_EQ(Decoded(r.images[1]), "other");
  EXPECT_EQ(r.images[1].media_type, "");
}

TEST(ParseImagesResponse, PlainAnswerKeepsTheBase64Text) {
  std::string big(100'000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::string body =
      "{\n  \"created\": 1700000000,\n  \"data\": [\n    "
      "{\"revised_prompt\": \"a cat\", \"b64_json\": \"" +
      Base64Encode(kPng + big) +
      "\", \"index\": 0, \"extra\": {\"a\": [1, -2.5e3, "
      "true, false, null, \"s\"]}},\n    {\"b64_json\": \"" +
      Base64Encode("other") + "\"}\n  ],\n  \"usage\": null, \"n\": -0.0\n}\n";
  UpstreamResult r = ParseImagesResponse(body, 2, "x");
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_TRUE(r.images[0].bytes.empty());  // not decoded
  EXPECT_EQ(r.images[0].b64, Base64Encode(kPng + big));
  EXPECT_EQ(r.images[0].media_type, "image/png");
  EXPECT_EQ(Decoded(r.images[0]), kPng + big);
  EXPECT_EQ(r.images[1].b64, Base64Encode("other"));
  EXPECT_EQ(r.images[1].media_type, "");
}

TEST(ParseImagesResponse, SharedAnswerIsNotCopied) {
  auto body = std::make_shared<const std::string>(
      R"({"created":1,"data":[{"b64_json":")" + Base64Encode(kPng) + R"("}]})");
  UpstreamResult r = ParseImagesResponse(body, 1, "x");
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].b64, Base64Encode(kPng));
  // A slice of the answer itself.
  EXPECT_EQ(r.images[0].b64.view().data(),
            body->data() + body->find(Base64Encode(kPng)));
}

TEST(ParseImagesResponse, ExtraImagesAreDroppedAndEmptyImagesKept) {
  json body = {{"data",
                {{{"b64_json", Base64Encode(kPng)}},
                 {{"b64_json", ""}},
                 {{"b64_json", Base64Encode("x")}}}}};
  UpstreamResult r = ParseImagesResponse(body.dump(), 2, "x");
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_EQ(Decoded(r.images[0]), kPng);
  EXPECT_EQ(Decoded(r.images[1]), "");
}

TEST(ParseImagesResponse, UnusualAnswersFallBackToTheFullParser) {
  std::string b64 = Base64Encode(kPng);
  for (auto [body, want] : std::vector<std::pair<std::string, std::string>>{
           // Escapes inside the base64 string ("\/" is a legal JSON escape
           // of '/'; "////" is 0xff 0xff 0xff).
           {R"({"data":[{"b64_json":"\/\/\/\/"}]})", "\xff\xff\xff"},
           {R"({"data":[{"b64_json":"QU JD"}]})", "ABC"},
           // Line breaks in the base64 (as JSON escapes), no padding.
           {R"({"data":[{"b64_json":")" + b64.substr(0, 8) + R"(\n)" +
                b64.substr(8) + R"("}]})",
            kPng},
           {R"({"data":[{"b64_json":"Zm9vYg"}]})", "foob"},
           // Non-ASCII and escapes in other strings; a duplicate key (the
           // full parser decides which one counts).
           {R"({"note":"caf\u00e9 \"x\"","data":[{"b64_json":")" + b64 +
                R"(","revised_prompt":"été"}]})",
            kPng},
           {R"({"data":[{"b64_json":")" + b64 + R"(","b64_json":")" + b64 +
                R"("}]})",
            kPng},
       }) {
    UpstreamResult r = ParseImagesResponse(body, 1, "x");
    ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess)
        << body << ": " << r.status.ToString();
    ASSERT_EQ(r.images.size(), 1u) << body;
    EXPECT_EQ(Decoded(r.images[0]), want) << body;
  }
}

TEST(ParseImagesResponse, MalformedOrShortAnswersAreFailures) {
  std::string b64 = Base64Encode(kPng);
  for (const std::string& body : std::vector<std::string>{
           std::string("not json"), std::string(R"({"data": 1})"),
           std::string(R"({"data": [{"url": "http://x"}]})"),
           std::string(R"({"data": [{"b64_json": "!!"}]})"),
           json{{"data", {{{"b64_json", Base64Encode(kPng)}}}}}.dump(),
           // Bad base64 the scanner sees: wrong length, a stray character,
           // padding in the middle, non-zero padding bits.
           R"({"data":[{"b64_json":")" + b64 + R"(A"},{"b64_json":"QQ=="}]})",
           R"({"data":[{"b64_json":"QUJD-QQ=="},{"b64_json":"QQ=="}]})",
           R"({"data":[{"b64_json":"QQ==QUJD"},{"b64_json":"QQ=="}]})",
           R"({"data":[{"b64_json":"QR=="},{"b64_json":"QQ=="}]})",
           // Broken JSON around good base64.
           R"({"data":[{"b64_json":")" + b64 + R"("},{"b64_json":"QQ=="}])",
           R"({"data":[{"b64_json":")" + b64 + R"("},{"b64_json":"QQ=="}]} x)",
           R"({"data":[{"b64_json":")" + b64 + R"(" "b64_json":"QQ=="}]})",
           R"({"data":[{"b64_json":")" + b64 + R"("},{"b64_json":"QQ==)",
           R"({"n":01,"data":[{"b64_json":")" + b64 +
               R"("},{"b64_json":"QQ=="}]})",
           R"({"n":tru,"data":[{"b64_json":")" + b64 +
               R"("},{"b64_json":"QQ=="}]})",
           R"({"data":[{"b64_json":")" + b64 + R"("},{"b64_json":"QQ=="}],})",
           R"({"data":[{"b64_json":")" + b64 + R"("},{"b64_json":1}]})",
           R"({"data":[{"b64_json":")" + b64 + R"("},["QQ=="]]})",
           std::string(R"({"x":)") + std::string(200, '[') +
               std::string(200, ']') + "}",
           std::string(R"({"data":[]})"), std::string("{}"), std::string("")}) {
    UpstreamResult r = ParseImagesResponse(body, 2, "x");
    EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << body;
    EXPECT_EQ(r.status.code(), StatusCode::kDataLoss) << body;
  }
}

TEST(Deadline, RemainingIsNeverZero) {
  Deadline past(-1s);
  EXPECT_TRUE(past.Passed());
  EXPECT_GT(past.Remaining(), Duration::zero());
  Deadline forever(Duration::max());
  EXPECT_FALSE(forever.Passed());
  EXPECT_EQ(forever.Remaining(), Duration::max());
  Deadline soon(1h);
  EXPECT_FALSE(soon.Passed());
  EXPECT_LE(soon.Remaining(), Duration(1h));
}

TEST(JoinUrl, DropsTrailingSlashes) {
  EXPECT_EQ(JoinUrl("http://h:1/", "/x"), "http://h:1/x");
  EXPECT_EQ(JoinUrl("http://h:1/p", "/x"), "http://h:1/p/x");
}

}  // namespace
}  // namespace zimon::gateway::adapter_internal
