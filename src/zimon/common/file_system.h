// FileSystem: every file the process reads or writes goes through this
// interface, so tests can use an in-memory or fault-injecting one
// (src/zimon/testing/) and crash-safety is testable.
//
//   FileSystem& fs = LocalFileSystem();
//   ZIMON_RETURN_IF_ERROR(fs.WriteFileAtomic(dir + "/meta.json", json));
//   ZIMON_ASSIGN_OR_RETURN(auto wal, fs.NewAppendableFile(dir + "/wal"));
//   ZIMON_RETURN_IF_ERROR(wal->Append(record));
//   ZIMON_RETURN_IF_ERROR(wal->Sync());
//
// Errors carry the path in the message ("/data/wal: No such file or
// directory") with codes from ErrnoToStatus (kNotFound, kPermissionDenied,
// kResourceExhausted for ENOSPC, ...).
//
// Thread safety: implementations are thread-safe for calls on different
// paths; a WritableFile is used by one thread at a time.
#ifndef ZIMON_COMMON_FILE_SYSTEM_H_
#define ZIMON_COMMON_FILE_SYSTEM_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon {

// A file open for appending. Data passed to Append() may sit in OS buffers
// until Sync() returns OK; only synced data survives a crash.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of data (a short write is retried; an error may leave a
  // prefix of data in the file: a torn write).
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable. If this handle created the
  // file, the first Sync() also makes its directory entry durable.
  virtual Status Sync() = 0;
  // Closes the handle; further calls fail. The destructor closes too,
  // ignoring errors.
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The whole file.
  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Replaces path with data so that after a crash the file holds either the
  // old or the new content, never a mix: write a temporary file in the same
  // directory, sync it, rename it over path, sync the directory.
  virtual Status WriteFileAtomic(const std::string& path,
                                 std::string_view data) = 0;

  // Opens path for appending, creating it (mode 0644) when missing. The
  // caller owns the returned handle.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;

  // Names of the entries in directory path (no "." or ".."), sorted.
  virtual StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;

  // Creates path and any missing parents (like mkdir -p). OK if it exists as
  // a directory.
  virtual Status CreateDirs(const std::string& path) = 0;

  // Removes a file or an empty directory.
  virtual Status Remove(const std::string& path) = 0;

  // Removes path and, if it is a directory, everything below it. OK if path
  // does not exist.
  virtual Status RemoveAll(const std::string& path) = 0;

  // Atomically renames from to to, replacing to if it is a file, and makes
  // the change durable (syncs the directories involved).
  virtual Status Rename(const std::string& from, const std::string& to) = 0;

  virtual bool Exists(const std::string& path) = 0;
  virtual StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual StatusOr<std::chrono::system_clock::time_point> ModTime(
      const std::string& path) = 0;

  // Convenience: opens path for appending, appends data, closes. Not synced.
  Status AppendFile(const std::string& path, std::string_view data);
};

// The process-wide PosixFileSystem (local disk). Never destroyed.
FileSystem& LocalFileSystem();

// The directory part of path: "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/".
std::string DirName(std::string_view path);
// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace zimon

#endif  // ZIMON_COMMON_FILE_SYSTEM_H_
