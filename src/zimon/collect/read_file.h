// Reading small kernel files (procfs, sysfs) whose stat size is 0, so they
// must be read to EOF.
//
// Thread safety: free functions without shared state.
#ifndef ZIMON_COLLECT_READ_FILE_H_
#define ZIMON_COLLECT_READ_FILE_H_

#include <string>

#include "zimon/common/status.h"

namespace zimon::collect {

// The whole file, up to `max_bytes` (larger files are an OutOfRange error).
// NotFound / PermissionDenied from errno otherwise.
StatusOr<std::string> ReadSmallFile(const std::string& path,
                                    size_t max_bytes = 4 << 20);

// "a" + "/" + "b" without doubling or dropping the slash.
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_READ_FILE_H_
