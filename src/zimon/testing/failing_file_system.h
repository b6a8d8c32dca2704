// FailingFileSystem: wraps another FileSystem and makes chosen calls fail, to
// test the error paths that a real disk only takes on a bad day.
//
//   InMemoryFileSystem mem;
//   FailingFileSystem fs(mem);
//   fs.FailNth(FsOp::kAppend, 3, FailingFileSystem::NoSpace("wal"));
//   fs.FailPath(FsOp::kAny, "/data/blocks/", ErrnoToStatus(EIO, "blocks"));
//   fs.TearNthAppend(1, /*keep_bytes=*/10);  // writes 10 bytes, then fails
//
// A fault matches a call by operation (or kAny) and, when path_prefix is not
// empty, by path (either path for Rename). A fault with nth == 0 fires on every
// matching call; with nth == N it fires on the Nth matching call after it was
// added, once. A failing call does not reach the wrapped file system, except a
// torn append, which first appends keep_bytes of the data.
//
// Appends and syncs through WritableFile handles opened on this object are
// subject to the faults too (ops kAppend, kSync, kClose).
//
// Thread safety: thread-safe; `base` must be thread-safe and outlive this
// object and every handle it returned.
#ifndef ZIMON_TESTING_FAILING_FILE_SYSTEM_H_
#define ZIMON_TESTING_FAILING_FILE_SYSTEM_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zimon/common/file_system.h"

namespace zimon::testing {

enum class FsOp {
  kAny,
  kReadFile,
  kWriteFileAtomic,
  kNewAppendableFile,
  kAppend,
  kSync,
  kClose,
  kListDir,
  kCreateDirs,
  kRemove,
  kRemoveAll,
  kRename,
  kExists,  // a failing Exists() answers false
  kFileSize,
  kModTime,
};

struct FsFault {
  FsOp op = FsOp::kAny;
  int nth = 0;              // 0: every matching call; N: the Nth, once
  std::string path_prefix;  // empty: any path
  Status error;             // what the call returns
  // For kAppend: append this many bytes of the data before failing.
  std::optional<size_t> torn_keep_bytes;
};

class FailingFileSystem final : public FileSystem {
 public:
  explicit FailingFileSystem(FileSystem& base);

  void AddFault(FsFault fault);
  void FailNth(FsOp op, int nth, Status error);
  void FailPath(FsOp op, std::string path_prefix, Status error);
  // The Nth append writes only keep_bytes of its data, then fails with
  // error (default: EIO, kDataLoss).
  void TearNthAppend(int nth, size_t keep_bytes,
                     Status error = ErrnoToStatus(EIO, "torn write"));
  void ClearFaults();

  // Calls of op seen so far (failed ones included); kAny counts all.
  int calls(FsOp op) const;

  // The Status an ENOSPC gives: kResourceExhausted, "path: No space left on
  // device".
  static Status NoSpace(std::string_view path);

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

 private:
  friend class FailingWritableFile;

  // Counts the call and returns the fault that fires for it, if any.
  std::optional<FsFault> Check(FsOp op, const std::string& path,
                               const std::string& path2 = "");

  FileSystem& base_;
  mutable std::mutex mu_;
  struct Armed {
    FsFault fault;
    int seen = 0;  // matching calls so far
  };
  std::vector<Armed> faults_;  // guarded by mu_
  std::map<FsOp, int> calls_;  // guarded by mu_
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_FAILING_FILE_SYSTEM_H_
