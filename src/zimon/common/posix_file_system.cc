#include "zimon/common/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>

namespace zimon {
namespace {

Status PathError(const std::string& path) { return ErrnoToStatus(errno, path); }

// Writes all of data, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return PathError(path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status SyncFd(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return PathError(path);
  }
  return OkStatus();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return PathError(dir);
  Status s = SyncFd(fd, dir);
  ::close(fd);
  return s;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, bool created)
      : fd_(fd), path_(std::move(path)), dir_needs_sync_(created) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return FailedPreconditionError(path_ + ": file is closed");
    return WriteAll(fd_, data, path_);
  }

  Status Sync() override {
    if (fd_ < 0) return FailedPreconditionError(path_ + ": file is closed");
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return PathError(path_);
    }
    if (dir_needs_sync_) {
      ZIMON_RETURN_IF_ERROR(SyncDir(DirName(path_)));
      dir_needs_sync_ = false;
    }
    return OkStatus();
  }

  Status Close() override {
    if (fd_ < 0) return FailedPreconditionError(path_ + ": file is closed");
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return PathError(path_);
    return OkStatus();
  }

 private:
  int fd_;
  std::string path_;
  bool dir_needs_sync_;
};

std::string TempNameFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1));
}

}  // namespace

StatusOr<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PathError(path);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return ErrnoToStatus(EISDIR, path);
  }
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = PathError(path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status PosixFileSystem::WriteFileAtomic(const std::string& path,
                                        std::string_view data) {
  const std::string tmp = TempNameFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return PathError(tmp);
  Status s = WriteAll(fd, data, tmp);
  if (s.ok()) s = SyncFd(fd, tmp);
  if (::close(fd) != 0 && s.ok()) s = PathError(tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = PathError(path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDir(DirName(path));
}

StatusOr<std::unique_ptr<WritableFile>> PosixFileSystem::NewAppendableFile(
    const std::string& path) {
  bool created = true;
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) return PathError(path);
  return std::unique_ptr<WritableFile>(
      new PosixWritableFile(fd, path, created));
}

StatusOr<std::vector<std::string>> PosixFileSystem::ListDir(
    const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return PathError(path);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoToStatus(err, path);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("CreateDirs: empty path");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return OkStatus();
    return ErrnoToStatus(ENOTDIR, path);
  }
  std::string parent = DirName(path);
  if (parent != path && parent != "." && parent != "/") {
    ZIMON_RETURN_IF_ERROR(CreateDirs(parent));
  }
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return PathError(path);
  }
  return OkStatus();
}

Status PosixFileSystem::Remove(const std::string& path) {
  if (::remove(path.c_str()) != 0) return PathError(path);
  return OkStatus();
}

Status PosixFileSystem::RemoveAll(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();
    return PathError(path);
  }
  if (S_ISDIR(st.st_mode)) {
    ZIMON_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(path));
    for (const std::string& name : names) {
      ZIMON_RETURN_IF_ERROR(RemoveAll(JoinPath(path, name)));
    }
  }
  if (::remove(path.c_str()) != 0 && errno != ENOENT) return PathError(path);
  return OkStatus();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoToStatus(errno, from + " -> " + to);
  }
  std::string to_dir = DirName(to);
  ZIMON_RETURN_IF_ERROR(SyncDir(to_dir));
  std::string from_dir = DirName(from);
  if (from_dir != to_dir) ZIMON_RETURN_IF_ERROR(SyncDir(from_dir));
  return OkStatus();
}

bool PosixFileSystem::Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

StatusOr<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return PathError(path);
  return static_cast<uint64_t>(st.st_size);
}

StatusOr<std::chrono::system_clock::time_point> PosixFileSystem::ModTime(
    const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return PathError(path);
  auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) +
                     std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          since_epoch));
}

FileSystem& LocalFileSystem() {
  static PosixFileSystem* fs = new PosixFileSystem();
  return *fs;
}

}  // namespace zimon
