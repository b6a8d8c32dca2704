// ImageStore: the PNG files behind response_format=url. Each image is written
// once, atomically, as <dir>/<id>.png and served from /images/<id>.png.
//
//   ImageStore store(fs, config.image_dir);
//   std::string id = ImageStore::NewImageId();
//   ZIMON_RETURN_IF_ERROR(store.Put(id, png));
//   url = ImageUrl(base, id);                 // base + "/images/" + id +
//   ".png"
//   ...
//   StatusOr<std::string> png = store.Get(id);  // GET /images/<id>.png
//
// Ids are 1..128 characters of [A-Za-z0-9_-], so an id can never name a
// file outside the directory.
//
// Ownership: keeps a reference to fs, which must outlive the store.
// Thread safety: thread-safe (FileSystem is, for different paths; ids are
// unique).
#ifndef ZIMON_GATEWAY_IMAGE_STORE_H_
#define ZIMON_GATEWAY_IMAGE_STORE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "zimon/common/clock.h"
#include "zimon/common/file_system.h"
#include "zimon/common/status.h"

namespace zimon::gateway {

inline constexpr size_t kMaxImageIdBytes = 128;

// 1..128 characters of [A-Za-z0-9_-].
bool IsValidImageId(std::string_view id);

// base + "/images/" + id + ".png"; trailing slashes of base are dropped.
std::string ImageUrl(std::string_view base, std::string_view id);

// The id in a served file name: "img_ab12.png" -> "img_ab12"; nullopt
// unless the name is a valid id followed by ".png".
std::optional<std::string> ImageIdFromFileName(std::string_view file_name);

// The id of image `index` of request "req_" + K (the form of the request ids
// the gateway makes, AcceptOrMakeRequestId): "img_" + K for the first image,
// "img_" + K + "-" + index for the others; nullopt for a request id of
// another form. The gateway gives the images of a request whose id it made
// these ids (a client's X-Request-Id need not be unique, so its images get
// new ones): as unguessable as the request id, and the feedback store keeps
// the request id they imply rather than a second copy and a second index
// entry per image (docs/feedback.md).
std::optional<std::string> DerivedImageId(std::string_view request_id,
                                          size_t index);

// The request id an image id implies: "img_" + K, or "img_" + K + "-" +
// digits, implies "req_" + K (DerivedImageId's inverse); nullopt for an id
// without the "img_" prefix or with nothing after it.
std::optional<std::string> ImpliedRequestId(std::string_view image_id);

// ImpliedRequestId(image_id) == request_id, without making the string.
bool ImpliesRequestId(std::string_view image_id, std::string_view request_id);

class ImageStore {
 public:
  ImageStore(FileSystem& fs, std::string dir);

  // A new id: "img_" + 12 hex digits of creation time in ms + 24 random ones
  // (NewTimeOrderedId): unguessable, so the URL is a capability.
  static std::string NewImageId();

  // Writes <dir>/<id>.png atomically, creating dir when missing. An invalid
  // id is kInvalidArgument; a write error (disk full: kResourceExhausted)
  // names the path.
  Status Put(std::string_view id, std::string_view png);

  // The bytes stored under id. kNotFound when there are none, or when id is
  // not a valid id (so a crafted name is indistinguishable from a miss).
  StatusOr<std::string> Get(std::string_view id);

  // Removes stored images last modified before cutoff; other files are left
  // alone. Returns how many were removed. A missing directory is 0; a file
  // that cannot be removed is skipped, and the first such error is returned
  // after the sweep.
  StatusOr<size_t> DeleteOlderThan(Clock::WallTime cutoff);

  // <dir>/<id>.png (id unchecked).
  std::string PathFor(std::string_view id) const;
  const std::string& dir() const { return dir_; }

 private:
  FileSystem& fs_;
  const std::string dir_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_STORE_H_
