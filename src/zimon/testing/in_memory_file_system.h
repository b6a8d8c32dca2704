// InMemoryFileSystem: a FileSystem held in memory, for fast hermetic tests.
//
// It behaves like a POSIX file system where tests depend on it: parents must
// exist before a file is created, Remove() refuses a non-empty directory,
// errors have the same codes and "path: strerror" messages as
// PosixFileSystem. Open WritableFile handles keep writing to their file even
// after it is renamed or removed, as on POSIX.
//
// Crash simulation: every file remembers how much of it has been synced
// (WritableFile::Sync(), WriteFileAtomic()). DropUnsyncedData() truncates
// every file to that length, which is what a power cut leaves behind.
//
// Directories have no modification time (ModTime() on one is kNotFound).
// The file system must outlive the WritableFile handles it returns.
//
// Paths are normalised ("a//b/" is "a/b", "./a" is "a"); relative paths and
// absolute paths live side by side; "/" and "." always exist.
//
// Thread safety: all methods are thread-safe.
#ifndef ZIMON_TESTING_IN_MEMORY_FILE_SYSTEM_H_
#define ZIMON_TESTING_IN_MEMORY_FILE_SYSTEM_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "zimon/common/clock.h"
#include "zimon/common/file_system.h"

namespace zimon::testing {

class InMemoryFileSystem final : public FileSystem {
 public:
  // Modification times come from clock, which must outlive this object.
  explicit InMemoryFileSystem(Clock& clock = SystemClock());
  ~InMemoryFileSystem() override;

  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path,
                         std::string_view data) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  bool Exists(const std::string& path) override;
  StatusOr<uint64_t> FileSize(const std::string& path) override;
  StatusOr<std::chrono::system_clock::time_point> ModTime(
      const std::string& path) override;

  // Truncates every file to the length it had at its last sync.
  void DropUnsyncedData();

  // Normalised form of path, as used for keys.
  static std::string Normalize(std::string_view path);

  struct FileData;  // shared with open WritableFile handles

 private:
  friend class InMemoryWritableFile;

  bool DirExistsLocked(const std::string& norm) const;
  bool HasChildrenLocked(const std::string& norm) const;
  Status CheckParentLocked(const std::string& norm) const;

  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileData>> files_;  // guarded by mu_
  std::set<std::string> dirs_;                              // guarded by mu_
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_IN_MEMORY_FILE_SYSTEM_H_
