// PosixFileSystem: FileSystem on the local disk through POSIX calls
// (open/pwrite/fsync/rename), with the directory syncs that make
// WriteFileAtomic() and Rename() survive a power cut.
//
// Thread safety: thread-safe; it has no state. LocalFileSystem() returns a
// process-wide instance that is never destroyed.
#ifndef ZIMON_COMMON_POSIX_FILE_SYSTEM_H_
#define ZIMON_COMMON_POSIX_FILE_SYSTEM_H_

#include "zimon/common/file_system.h"

namespace zimon {

class PosixFileSystem final : public FileSystem {
 public:
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
};

}  // namespace zimon

#endif  // ZIMON_COMMON_POSIX_FILE_SYSTEM_H_
