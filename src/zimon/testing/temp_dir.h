// TempDir: a fresh directory under $TEST_TMPDIR (or /tmp), removed with
// everything in it when the object is destroyed. For tests that need the
// real disk.
//
// Thread safety: a value; path() is safe from any thread.
#ifndef ZIMON_TESTING_TEMP_DIR_H_
#define ZIMON_TESTING_TEMP_DIR_H_

#include <string>

namespace zimon::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_TEMP_DIR_H_
