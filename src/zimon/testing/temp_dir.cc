#include "zimon/testing/temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "zimon/common/file_system.h"

namespace zimon::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string tmpl = std::string(base) + "/zimon-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    // Tests cannot run without it; this is test-only code.
    throw std::runtime_error("mkdtemp failed under " + std::string(base));
  }
  path_ = buf.data();
}

TempDir::~TempDir() { (void)LocalFileSystem().RemoveAll(path_); }

std::string TempDir::Join(const std::string& name) const {
  return JoinPath(path_, name);
}

}  // namespace zimon::testing
