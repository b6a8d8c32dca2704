#include "zimon/collect/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace zimon::collect {

StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path);
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return OutOfRangeError(path + ": larger than " +
                             std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/')
    return name.starts_with('/') ? dir + name.substr(1) : dir + name;
  return name.starts_with('/') ? dir + name : dir + "/" + name;
}

}  // namespace zimon::collect
