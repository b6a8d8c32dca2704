// Runs the libFuzzer entry point (fuzz/exposition_parser_fuzz.cc) over the
// captured exporter output and deterministic mutations of it, so the target
// is exercised in every build, not only clang fuzzing builds.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace zimon::metrics {
namespace {

int RunFuzz(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                                input.size());
}

std::string ReadCapture(const std::string& name) {
  std::ifstream in(std::string(ZIMON_TEST_DATA_DIR) + "/exposition/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ExpositionParserFuzz, CapturedFilesRunCleanly) {
  for (const char* name : {"node_exporter_004.txt", "prometheus_004.txt",
                           "python_client_004.txt", "python_client_om.txt"}) {
    std::string text = ReadCapture(name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(RunFuzz(text), 0) << name;
  }
}

TEST(ExpositionParserFuzz, MutatedInputsRunCleanly) {
  const std::string seeds[] = {
      ReadCapture("python_client_om.txt"),
      ReadCapture("prometheus_004.txt").substr(0, 6000)};
  const std::string_view tokens[] = {
      "{",    "}",     "\"",      "\\", "\n",      " ",      ",",
      "=",    "#",     "# EOF\n", "le", "_bucket", "_total", "NaN",
      "+Inf", "1e999", "# {",     "\r", "\t"};
  std::mt19937 rng(1234);
  for (int round = 0; round < 1500; ++round) {
    std::string input = seeds[round % 2];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      size_t at = rng() % input.size();
      switch (rng() % 4) {
        case 0:
          input[at] = static_cast<char>(rng());
          break;
        case 1:
          input.erase(at, 1 + rng() % 16);
          break;
        case 2:
          input.insert(at, tokens[rng() % std::size(tokens)]);
          break;
        case 3:
          input.resize(at);
          break;
      }
    }
    ASSERT_EQ(RunFuzz(input), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace zimon::metrics
