#include "zimon/testing/in_memory_file_system.h"

#include <cerrno>
#include <vector>

namespace zimon::testing {

struct InMemoryFileSystem::FileData {
  std::string data;
  size_t synced = 0;
  Clock::WallTime mtime;
};

namespace {

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == ".") return !path.empty() && path[0] != '/' && path != ".";
  if (dir == "/") return !path.empty() && path[0] == '/' && path != "/";
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

// Handles share the FileData and the file system's mutex; the file system
// must outlive them.
class InMemoryWritableFile final : public WritableFile {
 public:
  InMemoryWritableFile(InMemoryFileSystem& fs,
                       std::shared_ptr<InMemoryFileSystem::FileData> file,
                       std::string path)
      : fs_(fs), file_(std::move(file)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (!file_) return FailedPreconditionError(path_ + ": file is closed");
    std::lock_guard<std::mutex> lock(fs_.mu_);
    file_->data.append(data);
    file_->mtime = fs_.clock_.Now();
    return OkStatus();
  }

  Status Sync() override {
    if (!file_) return FailedPreconditionError(path_ + ": file is closed");
    std::lock_guard<std::mutex> lock(fs_.mu_);
    file_->synced = file_->data.size();
    return OkStatus();
  }

  Status Close() override {
    if (!file_) return FailedPreconditionError(path_ + ": file is closed");
    file_.reset();
    return OkStatus();
  }

 private:
  InMemoryFileSystem& fs_;
  std::shared_ptr<InMemoryFileSystem::FileData> file_;
  std::string path_;
};

InMemoryFileSystem::InMemoryFileSystem(Clock& clock) : clock_(clock) {}
InMemoryFileSystem::~InMemoryFileSystem() = default;

std::string InMemoryFileSystem::Normalize(std::string_view path) {
  const bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

bool InMemoryFileSystem::DirExistsLocked(const std::string& norm) const {
  return norm == "/" || norm == "." || dirs_.count(norm) > 0;
}

bool InMemoryFileSystem::HasChildrenLocked(const std::string& norm) const {
  for (const auto& [p, f] : files_) {
    if (IsUnder(p, norm)) return true;
  }
  for (const std::string& d : dirs_) {
    if (IsUnder(d, norm)) return true;
  }
  return false;
}

Status InMemoryFileSystem::CheckParentLocked(const std::string& norm) const {
  std::string parent = DirName(norm);
  if (DirExistsLocked(parent)) return OkStatus();
  if (files_.count(parent)) return ErrnoToStatus(ENOTDIR, norm);
  return ErrnoToStatus(ENOENT, norm);
}

StatusOr<std::string> InMemoryFileSystem::ReadFile(const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(norm);
  if (it == files_.end()) {
    return ErrnoToStatus(DirExistsLocked(norm) ? EISDIR : ENOENT, path);
  }
  return it->second->data;
}

Status InMemoryFileSystem::WriteFileAtomic(const std::string& path,
                                           std::string_view data) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  ZIMON_RETURN_IF_ERROR(CheckParentLocked(norm));
  if (DirExistsLocked(norm)) return ErrnoToStatus(EISDIR, path);
  // A fresh FileData, as rename() of a temporary gives a new inode: handles
  // open on the old file keep the old content.
  auto file = std::make_shared<FileData>();
  file->data.assign(data);
  file->synced = file->data.size();
  file->mtime = clock_.Now();
  files_[norm] = std::move(file);
  return OkStatus();
}

StatusOr<std::unique_ptr<WritableFile>> InMemoryFileSystem::NewAppendableFile(
    const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  ZIMON_RETURN_IF_ERROR(CheckParentLocked(norm));
  if (DirExistsLocked(norm)) return ErrnoToStatus(EISDIR, path);
  auto& file = files_[norm];
  if (!file) {
    file = std::make_shared<FileData>();
    file->mtime = clock_.Now();
  }
  return std::unique_ptr<WritableFile>(
      new InMemoryWritableFile(*this, file, path));
}

StatusOr<std::vector<std::string>> InMemoryFileSystem::ListDir(
    const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (!DirExistsLocked(norm)) {
    return ErrnoToStatus(files_.count(norm) ? ENOTDIR : ENOENT, path);
  }
  std::set<std::string> names;
  auto add = [&](const std::string& p) {
    if (IsUnder(p, norm) && DirName(p) == norm) {
      size_t slash = p.rfind('/');
      names.insert(slash == std::string::npos ? p : p.substr(slash + 1));
    }
  };
  for (const auto& [p, f] : files_) add(p);
  for (const std::string& d : dirs_) add(d);
  return std::vector<std::string>(names.begin(), names.end());
}

Status InMemoryFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("CreateDirs: empty path");
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> chain;
  for (std::string p = norm; !DirExistsLocked(p); p = DirName(p)) {
    if (files_.count(p)) return ErrnoToStatus(ENOTDIR, path);
    chain.push_back(p);
  }
  for (const std::string& p : chain) dirs_.insert(p);
  return OkStatus();
}

Status InMemoryFileSystem::Remove(const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(norm)) return OkStatus();
  if (!dirs_.count(norm)) return ErrnoToStatus(ENOENT, path);
  if (HasChildrenLocked(norm)) return ErrnoToStatus(ENOTEMPTY, path);
  dirs_.erase(norm);
  return OkStatus();
}

Status InMemoryFileSystem::RemoveAll(const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(norm);
  dirs_.erase(norm);
  std::erase_if(files_,
                [&](const auto& kv) { return IsUnder(kv.first, norm); });
  std::erase_if(dirs_, [&](const std::string& d) { return IsUnder(d, norm); });
  return OkStatus();
}

Status InMemoryFileSystem::Rename(const std::string& from,
                                  const std::string& to) {
  std::string nf = Normalize(from);
  std::string nt = Normalize(to);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string context = from + " -> " + to;
  if (nf == nt) return OkStatus();
  if (!CheckParentLocked(nt).ok()) {
    return ErrnoToStatus(files_.count(DirName(nt)) ? ENOTDIR : ENOENT, context);
  }
  auto file = files_.find(nf);
  if (file != files_.end()) {
    if (DirExistsLocked(nt)) return ErrnoToStatus(EISDIR, context);
    auto data = file->second;
    files_.erase(file);
    files_[nt] = std::move(data);
    return OkStatus();
  }
  if (!dirs_.count(nf)) return ErrnoToStatus(ENOENT, context);
  if (files_.count(nt)) return ErrnoToStatus(ENOTDIR, context);
  if (IsUnder(nt, nf)) return ErrnoToStatus(EINVAL, context);
  if (dirs_.count(nt) && HasChildrenLocked(nt)) {
    return ErrnoToStatus(ENOTEMPTY, context);
  }
  // Move the directory and everything below it.
  std::map<std::string, std::shared_ptr<FileData>> moved_files;
  for (auto it = files_.begin(); it != files_.end();) {
    if (IsUnder(it->first, nf)) {
      moved_files[nt + it->first.substr(nf.size())] = std::move(it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  std::set<std::string> moved_dirs;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (*it == nf || IsUnder(*it, nf)) {
      moved_dirs.insert(nt + it->substr(nf.size()));
      it = dirs_.erase(it);
    } else {
      ++it;
    }
  }
  files_.merge(moved_files);
  dirs_.merge(moved_dirs);
  return OkStatus();
}

bool InMemoryFileSystem::Exists(const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(norm) > 0 || DirExistsLocked(norm);
}

StatusOr<uint64_t> InMemoryFileSystem::FileSize(const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(norm);
  if (it != files_.end()) return static_cast<uint64_t>(it->second->data.size());
  if (DirExistsLocked(norm)) return uint64_t{0};
  return ErrnoToStatus(ENOENT, path);
}

StatusOr<std::chrono::system_clock::time_point> InMemoryFileSystem::ModTime(
    const std::string& path) {
  std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(norm);
  if (it == files_.end()) return ErrnoToStatus(ENOENT, path);
  return it->second->mtime;
}

void InMemoryFileSystem::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [p, f] : files_) f->data.resize(f->synced);
}

}  // namespace zimon::testing
