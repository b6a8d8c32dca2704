#include "zimon/gateway/image_store.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "zimon/common/random_id.h"
#include "zimon/gateway/access_log.h"

namespace zimon::gateway {
namespace {

constexpr std::string_view kSuffix = ".png";
constexpr std::string_view kImagePrefix = "img_";

// The K of an image id "img_" + K or "img_" + K + "-" + digits; nullopt
// for other ids.
std::optional<std::string_view> ImageKey(std::string_view image_id) {
  if (!image_id.starts_with(kImagePrefix)) return std::nullopt;
  std::string_view key = image_id.substr(kImagePrefix.size());
  // A trailing "-" + digits is the image's index within its request.
  size_t dash = key.rfind('-');
  if (dash != std::string_view::npos && dash + 1 < key.size() &&
      std::all_of(key.begin() + static_cast<ptrdiff_t>(dash) + 1, key.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    key = key.substr(0, dash);
  }
  if (key.empty()) return std::nullopt;
  return key;
}

}  // namespace

bool IsValidImageId(std::string_view id) {
  if (id.empty() || id.size() > kMaxImageIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ImageStore::NewImageId() { return NewTimeOrderedId(kImagePrefix); }

std::optional<std::string> DerivedImageId(std::string_view request_id,
                                          size_t index) {
  if (!request_id.starts_with(kMadeRequestIdPrefix) ||
      request_id.size() == kMadeRequestIdPrefix.size()) {
    return std::nullopt;
  }
  std::string id(kImagePrefix);
  id += request_id.substr(kMadeRequestIdPrefix.size());
  if (index > 0) {
    id += '-';
    id += std::to_string(index);
  }
  return id;
}

std::optional<std::string> ImpliedRequestId(std::string_view image_id) {
  std::optional<std::string_view> key = ImageKey(image_id);
  if (!key) return std::nullopt;
  std::string request_id(kMadeRequestIdPrefix);
  request_id += *key;
  return request_id;
}

bool ImpliesRequestId(std::string_view image_id, std::string_view request_id) {
  std::optional<std::string_view> key = ImageKey(image_id);
  return key && request_id.starts_with(kMadeRequestIdPrefix) &&
         request_id.substr(kMadeRequestIdPrefix.size()) == *key;
}

std::string ImageUrl(std::string_view base, std::string_view id) {
  while (base.ends_with('/')) base.remove_suffix(1);
  std::string url(base);
  url += "/images/";
  url += id;
  url += kSuffix;
  return url;
}

std::optional<std::string> ImageIdFromFileName(std::string_view file_name) {
  if (!file_name.ends_with(kSuffix)) return std::nullopt;
  file_name.remove_suffix(kSuffix.size());
  if (!IsValidImageId(file_name)) return std::nullopt;
  return std::string(file_name);
}

ImageStore::ImageStore(FileSystem& fs, std::string dir)
    : fs_(fs), dir_(std::move(dir)) {}

std::string ImageStore::PathFor(std::string_view id) const {
  std::string name(id);
  name += kSuffix;
  return JoinPath(dir_, name);
}

Status ImageStore::Put(std::string_view id, std::string_view png) {
  if (!IsValidImageId(id)) {
    return InvalidArgumentError("invalid image id \"" + std::string(id) +
                                "\" (want 1 to 128 of A-Z a-z 0-9 _ -)");
  }
  const std::string path = PathFor(id);
  Status written = fs_.WriteFileAtomic(path, png);
  if (written.code() == StatusCode::kNotFound) {
    // First image, or the directory was removed under us: create it and
    // try once more.
    ZIMON_RETURN_IF_ERROR(fs_.CreateDirs(dir_));
    written = fs_.WriteFileAtomic(path, png);
  }
  return written;
}

StatusOr<std::string> ImageStore::Get(std::string_view id) {
  if (!IsValidImageId(id)) {
    return NotFoundError("no image \"" + std::string(id) + "\"");
  }
  return fs_.ReadFile(PathFor(id));
}

StatusOr<size_t> ImageStore::DeleteOlderThan(Clock::WallTime cutoff) {
  StatusOr<std::vector<std::string>> names = fs_.ListDir(dir_);
  if (names.status().code() == StatusCode::kNotFound) return size_t{0};
  if (!names.ok()) return names.status();
  size_t removed = 0;
  Status first_error;
  for (const std::string& name : *names) {
    if (!ImageIdFromFileName(name)) continue;
    const std::string path = JoinPath(dir_, name);
    StatusOr<Clock::WallTime> mtime = fs_.ModTime(path);
    Status status = mtime.status();
    if (mtime.ok()) {
      if (*mtime >= cutoff) continue;
      status = fs_.Remove(path);
      if (status.ok()) {
        ++removed;
        continue;
      }
    }
    // Gone in between (a concurrent sweep) is not an error.
    if (status.code() != StatusCode::kNotFound && first_error.ok()) {
      first_error = status;
    }
  }
  if (!first_error.ok()) return first_error;
  return removed;
}

}  // namespace zimon::gateway
