#include "zimon/gateway/image_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace zimon::gateway {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

const ImageApiLimits kLimits{4, 256, 2048};

ParsedImageRequest Parse(std::string_view body) {
  return ParseImageRequest(body, kLimits);
}

// The 400 a body gets, as "param|code|message".
std::string ErrorOf(std::string_view body) {
  ParsedImageRequest r = Parse(body);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  return r.param + "|" + r.code + "|" + r.status.message();
}

// A reference encoder, one character at a time.
std::string SlowBase64(std::string_view in) {
  static const char* kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    n += 8;
    while (n >= 6) {
      out += kAlpha[(bits >> (n - 6)) & 63];
      n -= 6;
    }
  }
  if (n > 0) out += kAlpha[(bits << (6 - n)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

TEST(ParseImageRequest, MinimalBodyGetsDefaults) {
  ParsedImageRequest r = Parse(R"({"prompt":"a cat"})");
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.request.prompt, "a cat");
  EXPECT_EQ(r.request.n, 1);
  EXPECT_EQ(r.request.width, 1024);
  EXPECT_EQ(r.request.height, 1024);
  EXPECT_EQ(r.request.response_format, ResponseFormat::kB64Json);
  EXPECT_FALSE(r.request.seed.has_value());
  EXPECT_FALSE(r.request.steps.has_value());
  EXPECT_FALSE(r.request.guidance_scale.has_value());
  EXPECT_EQ(r.request.model, "");
  EXPECT_EQ(r.request.negative_prompt, "");
  EXPECT_EQ(r.request.request_id, "");
}

TEST(ParseImageRequest, ReadsEveryField) {
  ParsedImageRequest r = Parse(R"({
    "model": "Tongyi-MAI/Z-Image-Turbo", "prompt": "a lighthouse",
    "negative_prompt": "blurry", "n": 3, "size": "1536x1024",
    "response_format": "url", "seed": 42, "num_inference_steps": 9,
    "guidance_scale": 0.5, "quality": "hd", "style": "vivid", "user": "u1",
    "background": "auto", "moderation": "low", "output_compression": 80,
    "output_format": "png", "something_else": [1, 2]})");
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.request.model, "Tongyi-MAI/Z-Image-Turbo");
  EXPECT_EQ(r.request.prompt, "a lighthouse");
  EXPECT_EQ(r.request.negative_prompt, "blurry");
  EXPECT_EQ(r.request.n, 3);
  EXPECT_EQ(r.request.SizeString(), "1536x1024");
  EXPECT_EQ(r.request.response_format, ResponseFormat::kUrl);
  EXPECT_EQ(r.request.seed, 42);
  EXPECT_EQ(r.request.steps, 9);
  EXPECT_EQ(r.request.guidance_scale, 0.5);
}

TEST(ParseImageRequest, NullMeansAbsent) {
  ParsedImageRequest r =
      Parse(R"({"prompt":"x","n":null,"size":null,"seed":null,"model":null,)"
            R"("response_format":null,"guidance_scale":null})");
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.request.n, 1);
  EXPECT_EQ(r.request.width, 1024);
  EXPECT_FALSE(r.request.seed.has_value());
}

TEST(ParseImageRequest, PromptIsRequiredAndNotBlank) {
  EXPECT_EQ(ErrorOf(R"({"n":1})"),
            "prompt|missing_required_parameter|Missing required parameter: "
            "'prompt'.");
  EXPECT_EQ(ErrorOf(R"({"prompt":" \n\t "})"),
            "prompt|invalid_value|Invalid value for 'prompt': must not be "
            "empty.");
  EXPECT_EQ(ErrorOf(R"({"prompt":7})"),
            "prompt|invalid_type|Invalid type for 'prompt': expected a "
            "string, got an integer.");
  std::string huge =
      R"({"prompt":")" + std::string(kMaxPromptBytes + 1, 'a') + R"("})";
  EXPECT_EQ(ErrorOf(huge),
            "prompt|invalid_value|Invalid value for 'prompt': must be at most "
            "32768 bytes, got 32769.");
  std::string at_limit =
      R"({"prompt":")" + std::string(kMaxPromptBytes, 'a') + R"("})";
  EXPECT_TRUE(Parse(at_limit).ok());
}

TEST(ParseImageRequest, BodyMustBeAJsonObject) {
  EXPECT_EQ(ErrorOf("[1,2]"),
            "|invalid_json|The request body must be a JSON object, got an "
            "array.");
  for (std::string_view bad :
       {"", "{", "prompt=x", "{\"prompt\":\"x\"} junk"}) {
    ParsedImageRequest r = Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.param, "");
    EXPECT_EQ(r.code, "invalid_json");
  }
}

TEST(ParseImageRequest, NMustBeAnIntegerWithinMaxImages) {
  EXPECT_TRUE(Parse(R"({"prompt":"x","n":4})").ok());
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":5})"),
            "n|invalid_value|Invalid value for 'n': must be from 1 to 4, got "
            "5.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":0})"),
            "n|invalid_value|Invalid value for 'n': must be from 1 to 4, got "
            "0.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":2.0})"),
            "n|invalid_type|Invalid type for 'n': expected an integer, got a "
            "number.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":"2"})"),
            "n|invalid_type|Invalid type for 'n': expected an integer, got a "
            "string.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":18446744073709551615})"),
            "n|invalid_value|Invalid value for 'n': must be from 1 to 4, got "
            "18446744073709551615.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","n":-9223372036854775808})"),
            "n|invalid_value|Invalid value for 'n': must be from 1 to 4, got "
            "-9223372036854775808.");
}

TEST(ParseImageRequest, SizeIsWidthByHeightOrAuto) {
  ParsedImageRequest r = Parse(R"({"prompt":"x","size":"512X768"})");
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.request.width, 512);
  EXPECT_EQ(r.request.height, 768);
  r = Parse(R"({"prompt":"x","size":"auto"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.request.SizeString(), "1024x1024");
  r = ParseImageRequest(R"({"prompt":"x","size":"auto"})", {1, 256, 768});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.request.SizeString(), "768x768");  // auto within the limits
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","size":"1000x1000"})"),
            "size|invalid_value|Invalid value for 'size': each side must be a "
            "multiple of 16 from 256 to 2048, got 1000x1000.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","size":"4096x1024"})"),
            "size|invalid_value|Invalid value for 'size': each side must be a "
            "multiple of 16 from 256 to 2048, got 4096x1024.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","size":"128x1024"})"),
            "size|invalid_value|Invalid value for 'size': each side must be a "
            "multiple of 16 from 256 to 2048, got 128x1024.");
  for (std::string_view bad :
       {"1024", "x1024", "1024x", "1024x1024x1", "-512x512", "+512x512",
        "1024 x 1024", "99999999x1024", "big"}) {
    json body = {{"prompt", "x"}, {"size", bad}};
    ParsedImageRequest p = Parse(body.dump());
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.param, "size") << bad;
  }
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","size":1024})"),
            "size|invalid_type|Invalid type for 'size': expected a string, "
            "got an integer.");
}

TEST(ParseImageRequest, ResponseAndOutputFormats) {
  EXPECT_EQ(Parse(R"({"prompt":"x","response_format":"b64_json"})")
                .request.response_format,
            ResponseFormat::kB64Json);
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","response_format":"png"})"),
            "response_format|invalid_value|Invalid value for "
            "'response_format': expected \"b64_json\" or \"url\", got "
            "\"png\".");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","output_format":"jpeg"})"),
            "output_format|invalid_value|Invalid value for 'output_format': "
            "only \"png\" is supported, got \"jpeg\".");
}

TEST(ParseImageRequest, SeedIsANonNegativeInt64OrMinusOneForRandom) {
  EXPECT_EQ(Parse(R"({"prompt":"x","seed":0})").request.seed, 0);
  EXPECT_EQ(Parse(R"({"prompt":"x","seed":9223372036854775807})").request.seed,
            INT64_MAX);
  ParsedImageRequest random = Parse(R"({"prompt":"x","seed":-1})");
  ASSERT_TRUE(random.ok());
  EXPECT_FALSE(random.request.seed.has_value());
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","seed":-2})"),
            "seed|invalid_value|Invalid value for 'seed': must be from -1 to "
            "9223372036854775807, got -2.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","seed":9223372036854775808})"),
            "seed|invalid_value|Invalid value for 'seed': must be from -1 to "
            "9223372036854775807, got 9223372036854775808.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","seed":1.5})"),
            "seed|invalid_type|Invalid type for 'seed': expected an integer, "
            "got a number.");
}

TEST(ParseImageRequest, StepsAndGuidanceRanges) {
  EXPECT_EQ(Parse(R"({"prompt":"x","num_inference_steps":100})").request.steps,
            100);
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","num_inference_steps":101})"),
            "num_inference_steps|invalid_value|Invalid value for "
            "'num_inference_steps': must be from 1 to 100, got 101.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","num_inference_steps":0})"),
            "num_inference_steps|invalid_value|Invalid value for "
            "'num_inference_steps': must be from 1 to 100, got 0.");
  EXPECT_EQ(
      Parse(R"({"prompt":"x","guidance_scale":30})").request.guidance_scale,
      30.0);
  EXPECT_EQ(
      Parse(R"({"prompt":"x","guidance_scale":0})").request.guidance_scale,
      0.0);
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","guidance_scale":30.5})"),
            "guidance_scale|invalid_value|Invalid value for 'guidance_scale': "
            "must be from 0 to 30, got 30.5.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","guidance_scale":-1})"),
            "guidance_scale|invalid_value|Invalid value for 'guidance_scale': "
            "must be from 0 to 30, got -1.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","guidance_scale":"high"})"),
            "guidance_scale|invalid_type|Invalid type for 'guidance_scale': "
            "expected a number, got a string.");
}

TEST(ParseImageRequest, WrongStringTypesNameTheField) {
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","model":["a"]})"),
            "model|invalid_type|Invalid type for 'model': expected a string, "
            "got an array.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","negative_prompt":{}})"),
            "negative_prompt|invalid_type|Invalid type for 'negative_prompt': "
            "expected a string, got an object.");
  EXPECT_EQ(ErrorOf(R"({"prompt":"x","response_format":true})"),
            "response_format|invalid_type|Invalid type for 'response_format': "
            "expected a string, got a boolean.");
}

TEST(ParseImageRequest, ErrorBecomesA400WithParam) {
  ApiError e = Parse(R"({"prompt":"x","n":9})").error();
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(json::parse(ErrorJson(e)),
            json::parse(R"({"error":{"message":"Invalid value for 'n': must )"
                        R"(be from 1 to 4, got 9.","type":)"
                        R"("invalid_request_error","param":"n",)"
                        R"("code":"invalid_value"}})"));
}

TEST(OpenAiErrorJson, NullWhenAbsentAndEscapes) {
  EXPECT_EQ(OpenAiErrorJson("bad \"x\"\n", "invalid_request_error", "x",
                            std::nullopt),
            R"({"error":{"message":"bad \"x\"\n",)"
            R"("type":"invalid_request_error","param":"x","code":null}})");
  // Invalid UTF-8 in a message (echoed client input) is replaced, not thrown.
  json parsed = json::parse(
      OpenAiErrorJson("bad \xff", "server_error", std::nullopt, "c"));
  EXPECT_EQ(parsed["error"]["code"], "c");
  EXPECT_TRUE(parsed["error"]["param"].is_null());
}

TEST(ApiError, TableOfErrors) {
  struct Case {
    ApiError error;
    int status;
    const char* type;
    const char* code;
  };
  const Case cases[] = {
      {InvalidRequest("m", "p"), 400, "invalid_request_error", ""},
      {InvalidHeader(InvalidArgumentError("h")), 400, "invalid_request_error",
       "invalid_header"},
      {Unauthorized(), 401, "authentication_error", "invalid_api_key"},
      {RequestTooLarge(8 << 20), 413, "invalid_request_error",
       "request_too_large"},
      {HeaderTooLarge(16 << 10), 431, "invalid_request_error",
       "request_header_too_large"},
      {QueueFull(seconds(3)), 429, "requests", "rate_limit_exceeded"},
      {NoHealthyBackend(seconds(5)), 503, "server_error", "no_healthy_backend"},
      {Timeout(seconds(60)), 504, "server_error", "timeout"},
      {BackendError("oom"), 502, "server_error", "backend_error"},
      {InternalServerError("bug"), 500, "server_error", "internal_error"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.error.http_status, c.status);
    EXPECT_EQ(c.error.type, c.type) << c.status;
    EXPECT_EQ(c.error.code, c.code) << c.status;
    json body = json::parse(ErrorJson(c.error));
    EXPECT_EQ(body["error"]["type"], c.type);
    EXPECT_EQ(body["error"]["message"], c.error.message);
  }
  EXPECT_EQ(QueueFull(seconds(3)).retry_after, seconds(3));
  EXPECT_EQ(NoHealthyBackend(seconds(5)).retry_after, seconds(5));
  EXPECT_FALSE(Timeout(seconds(1)).retry_after.has_value());
  EXPECT_EQ(RequestTooLarge(8 << 20).message,
            "Request body is larger than 8MiB.");
  EXPECT_EQ(Timeout(seconds(90)).message,
            "The request did not finish within its deadline of 1m30s.");
}

TEST(ApiError, FromStatusFollowsHttpStatusFor) {
  EXPECT_EQ(ApiErrorFromStatus(InvalidArgumentError("x")).http_status, 400);
  EXPECT_EQ(ApiErrorFromStatus(UnauthenticatedError("x")).http_status, 401);
  EXPECT_EQ(ApiErrorFromStatus(ResourceExhaustedError("x")).http_status, 429);
  EXPECT_EQ(ApiErrorFromStatus(UnavailableError("x")).code,
            "no_healthy_backend");
  EXPECT_EQ(ApiErrorFromStatus(DeadlineExceededError("x")).http_status, 504);
  ApiError not_found = ApiErrorFromStatus(NotFoundError("no such image"));
  EXPECT_EQ(not_found.http_status, 404);
  EXPECT_EQ(not_found.code, "not_found");
  EXPECT_EQ(not_found.message, "no such image");
  EXPECT_EQ(ApiErrorFromStatus(InternalError("x")).http_status, 500);
  EXPECT_EQ(ApiErrorFromStatus(UnknownError("x")).code, "backend_error");
}

// What the HTTP server answers itself keeps its status, and its body says
// the same as the status line (not the 429 a kResourceExhausted would give).
TEST(ApiError, ServerErrorMatchesTheServersStatus) {
  const Status exhausted = ResourceExhaustedError("over a limit");
  ApiError header = ServerError(431, exhausted, 8 << 20, 16 << 10);
  EXPECT_EQ(header.http_status, 431);
  EXPECT_EQ(header.type, "invalid_request_error");
  EXPECT_EQ(header.code, "request_header_too_large");
  EXPECT_EQ(header.message, "Request header is larger than 16KiB.");
  ApiError body = ServerError(413, exhausted, 8 << 20, 16 << 10);
  EXPECT_EQ(body.http_status, 413);
  EXPECT_EQ(body.code, "request_too_large");
  EXPECT_EQ(body.message, "Request body is larger than 8MiB.");
  ApiError malformed = ServerError(
      400, InvalidArgumentError("malformed request: bad method"), 1, 1);
  EXPECT_EQ(malformed.http_status, 400);
  EXPECT_EQ(malformed.type, "invalid_request_error");
  EXPECT_EQ(malformed.message, "malformed request: bad method");
  ApiError late = ServerError(
      504, DeadlineExceededError("handler deadline exceeded"), 1, 1);
  EXPECT_EQ(late.http_status, 504);
  EXPECT_EQ(late.code, "timeout");
}

TEST(ImageUrlBase, PublicUrlWinsThenTheHostHeader) {
  EXPECT_EQ(*ImageUrlBase("https://img.example.com", "other:1"),
            "https://img.example.com");
  EXPECT_EQ(*ImageUrlBase("", "images.example.com"),
            "http://images.example.com");
  EXPECT_EQ(*ImageUrlBase("", "gpu-gw_1.local:8080"),
            "http://gpu-gw_1.local:8080");
  EXPECT_EQ(*ImageUrlBase("", "10.0.0.7:80"), "http://10.0.0.7:80");
  EXPECT_EQ(*ImageUrlBase("", "[::1]:8080"), "http://[::1]:8080");
  EXPECT_EQ(*ImageUrlBase("", std::nullopt), "http://localhost");
}

// Such a Host would make URLs that do not name the gateway (or another
// path on it): the request is refused before any generation.
TEST(ImageUrlBase, RejectsAHostThatIsNotHostPort) {
  for (std::string_view host :
       {"", "evil\"host", "a/b", "a b", ":80", "host:", "host:http",
        "host:123456", "[::1", "[]:80", "[zz]", "a@b", "a?b", "a#b"}) {
    StatusOr<std::string> base = ImageUrlBase("", host);
    ASSERT_FALSE(base.ok()) << host;
    EXPECT_EQ(base.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(base.status().message(), HasSubstr("Invalid Host header"));
  }
  // With public_url set the Host does not matter.
  EXPECT_TRUE(ImageUrlBase("http://gw:8080", "a/b").ok());
}

TEST(RenderImagesResponse, B64JsonAndUrlImages) {
  std::vector<RenderedImage> images(3);
  images[0].bytes = "hello";
  images[1].url = "http://h/images/img_1.png";
  images[1].revised_prompt = "a \"cat\"";
  images[2].bytes = "";
  EXPECT_EQ(
      RenderImagesResponse(1700000000, images),
      R"({"created":1700000000,"data":[{"b64_json":"aGVsbG8="},)"
      R"({"url":"http://h/images/img_1.png","revised_prompt":"a \"cat\""},)"
      R"({"b64_json":""}]})");
  EXPECT_EQ(RenderImagesResponse(5, {}), R"({"created":5,"data":[]})");
}

TEST(RenderImagesResponse, LargeBase64IsAPartOfItsOwnNotACopy) {
  auto answer = std::make_shared<const std::string>(
      "{\"data\":[{\"b64_json\":\"" + std::string(20000, 'A') + "\"}]}");
  const std::string_view b64 = std::string_view(*answer).substr(22, 20000);
  std::vector<RenderedImage> images(3);
  images[0].b64 = http::SharedText(answer, b64);
  images[1].b64 = "c21hbGw=";  // small: copied into the JSON around it
  images[2].url = "http://h/images/img_1.png";
  std::vector<http::SharedText> parts = RenderImagesResponseParts(9, images);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], R"({"created":9,"data":[{"b64_json":")");
  EXPECT_EQ(parts[1].view().data(), b64.data());  // the same bytes
  EXPECT_EQ(parts[1].size(), b64.size());
  EXPECT_EQ(parts[2], R"("},{"b64_json":"c21hbGw="},)"
                      R"({"url":"http://h/images/img_1.png"}]})");
  std::string joined;
  for (const http::SharedText& part : parts) joined += part.view();
  EXPECT_EQ(RenderImagesResponse(9, images), joined);
  EXPECT_TRUE(json::parse(joined).is_object());
}

TEST(RenderImagesResponse, PreEncodedBase64IsPassedThrough) {
  std::vector<RenderedImage> images(2);
  images[0].b64 = "aGVsbG8=";
  images[0].bytes = "ignored";
  images[1].b64 = "d29ybGQ=";
  images[1].revised_prompt = "p";
  EXPECT_EQ(RenderImagesResponse(7, images),
            R"({"created":7,"data":[{"b64_json":"aGVsbG8="},)"
            R"({"b64_json":"d29ybGQ=","revised_prompt":"p"}]})");
}

TEST(RenderImagesResponse, Base64MatchesRfc4648) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [in, out] : vectors) {
    std::vector<RenderedImage> images(1);
    images[0].bytes = in;
    json body = json::parse(RenderImagesResponse(0, images));
    EXPECT_EQ(body["data"][0]["b64_json"], out) << in;
  }
}

TEST(RenderImagesResponse, LargeBinaryImageRoundTripsThroughJson) {
  std::mt19937_64 rng(7);
  for (size_t size : {size_t{(1 << 20) + 2}, size_t{3001}, size_t{3003}}) {
    std::vector<RenderedImage> images(2);
    images[0].bytes.resize(size);
    for (char& c : images[0].bytes) c = static_cast<char>(rng());
    images[1].bytes = images[0].bytes.substr(0, 1000);
    std::string body = RenderImagesResponse(1, images);
    json parsed = json::parse(body);
    EXPECT_EQ(parsed["data"][0]["b64_json"].get<std::string>(),
              SlowBase64(images[0].bytes));
    EXPECT_EQ(parsed["data"][1]["b64_json"].get<std::string>(),
              SlowBase64(images[1].bytes));
  }
}

TEST(Authorized, NoKeysMeansOpen) {
  EXPECT_TRUE(Authorized("", {}));
  EXPECT_TRUE(Authorized("Bearer anything", {}));
}

TEST(Authorized, BearerTokenMustMatchAKey) {
  const std::vector<std::string> keys = {"sk-one", "sk-two-longer"};
  EXPECT_TRUE(Authorized("Bearer sk-one", keys));
  EXPECT_TRUE(Authorized("bearer sk-two-longer", keys));
  EXPECT_TRUE(Authorized("  BEARER   sk-one  ", keys));
  EXPECT_FALSE(Authorized("", keys));
  EXPECT_FALSE(Authorized("sk-one", keys));
  EXPECT_FALSE(Authorized("Bearer", keys));
  EXPECT_FALSE(Authorized("Bearer ", keys));
  EXPECT_FALSE(Authorized("Basic sk-one", keys));
  EXPECT_FALSE(Authorized("Bearersk-one", keys));
  EXPECT_FALSE(Authorized("Bearer sk-on", keys));
  EXPECT_FALSE(Authorized("Bearer sk-one1", keys));
  EXPECT_FALSE(Authorized("Bearer sk-onf", keys));
  EXPECT_FALSE(Authorized("Bearer SK-ONE", keys));
  // A token that repeats a prefix of a key is not that key.
  EXPECT_FALSE(Authorized("Bearer sk-", {"sk-sk-"}));
}

TEST(ParseRequestTimeout, SecondsOrDurationCappedByMax) {
  const milliseconds def(60'000), max(600'000);
  EXPECT_EQ(ParseRequestTimeout(std::nullopt, def, max).value(), def);
  EXPECT_EQ(ParseRequestTimeout("30", def, max).value(), milliseconds(30'000));
  EXPECT_EQ(ParseRequestTimeout("2.5", def, max).value(), milliseconds(2'500));
  EXPECT_EQ(ParseRequestTimeout(" 0.25 ", def, max).value(), milliseconds(250));
  EXPECT_EQ(ParseRequestTimeout("1m30s", def, max).value(),
            milliseconds(90'000));
  EXPECT_EQ(ParseRequestTimeout("500ms", def, max).value(), milliseconds(500));
  EXPECT_EQ(ParseRequestTimeout("3600", def, max).value(), max);
  EXPECT_EQ(ParseRequestTimeout("2h", def, max).value(), max);
  EXPECT_EQ(ParseRequestTimeout("1e400", def, max).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTimeout("99999999999999999999999999", def, max).value(),
            max);
  // The default is capped too, should a caller pass one above max.
  EXPECT_EQ(ParseRequestTimeout(std::nullopt, max * 2, max).value(), max);
}

TEST(ParseRequestTimeout, RejectsZeroNegativeAndJunk) {
  const milliseconds def(60'000), max(600'000);
  for (std::string_view bad :
       {"", "0", "0.0", "0s", "-5", "-1s", "abc", "1.2.3", ".", "5 s", "1.5s",
        "0.0001", "inf", "nan"}) {
    StatusOr<milliseconds> t = ParseRequestTimeout(bad, def, max);
    EXPECT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(t.status().message().rfind("Invalid X-Request-Timeout header", 0),
              0u)
        << t.status().message();
  }
  EXPECT_EQ(ParseRequestTimeout("soon", def, max).status().message(),
            "Invalid X-Request-Timeout header: expected a positive number of "
            "seconds (\"30\", \"2.5\") or a duration (\"90s\", \"1m30s\", "
            "\"500ms\"), got \"soon\".");
}

TEST(ParsePriority, ZeroToThreeDefaultOne) {
  EXPECT_EQ(ParsePriority(std::nullopt).value(), 1);
  EXPECT_EQ(ParsePriority("0").value(), 0);
  EXPECT_EQ(ParsePriority(" 3 ").value(), 3);
  for (std::string_view bad : {"", "4", "-1", "high", "1.0", "+1", "01x"}) {
    StatusOr<int> p = ParsePriority(bad);
    EXPECT_FALSE(p.ok()) << bad;
  }
  EXPECT_EQ(ParsePriority("9").status().message(),
            "Invalid X-Priority header: expected an integer from 0 to 3, got "
            "\"9\".");
}

TEST(ParseRequestHeaders, ReadsBothHeaders) {
  http::Headers headers;
  headers.Add("X-Request-Timeout", "5");
  headers.Add("x-priority", "2");
  StatusOr<RequestHeaders> h =
      ParseRequestHeaders(headers, milliseconds(60'000), milliseconds(600'000));
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->timeout, milliseconds(5'000));
  EXPECT_EQ(h->priority, 2);
  h = ParseRequestHeaders(http::Headers(), milliseconds(60'000),
                          milliseconds(600'000));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->timeout, milliseconds(60'000));
  EXPECT_EQ(h->priority, kDefaultPriority);
  http::Headers bad;
  bad.Add("X-Priority", "urgent");
  EXPECT_EQ(ParseRequestHeaders(bad, milliseconds(1), milliseconds(2))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(LimitsFrom, CopiesGatewayConfig) {
  GatewayConfig config;
  config.max_images = 3;
  config.min_side = 512;
  config.max_side = 1024;
  ImageApiLimits limits = LimitsFrom(config);
  EXPECT_EQ(limits.max_images, 3);
  EXPECT_EQ(limits.min_side, 512);
  EXPECT_EQ(limits.max_side, 1024);
}

}  // namespace
}  // namespace zimon::gateway
