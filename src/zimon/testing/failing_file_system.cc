#include "zimon/testing/failing_file_system.h"

#include <cerrno>

namespace zimon::testing {

// Wraps a handle of the base file system; consults the owner's faults on
// every call.
class FailingWritableFile final : public WritableFile {
 public:
  FailingWritableFile(FailingFileSystem& fs, std::unique_ptr<WritableFile> base,
                      std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (auto fault = fs_.Check(FsOp::kAppend, path_)) {
      if (fault->torn_keep_bytes) {
        size_t keep = std::min(*fault->torn_keep_bytes, data.size());
        ZIMON_RETURN_IF_ERROR(base_->Append(data.substr(0, keep)));
      }
      return fault->error;
    }
    return base_->Append(data);
  }

  Status Sync() override {
    if (auto fault = fs_.Check(FsOp::kSync, path_)) return fault->error;
    return base_->Sync();
  }

  Status Close() override {
    if (auto fault = fs_.Check(FsOp::kClose, path_)) {
      (void)base_->Close();  // a failed close still releases the handle
      return fault->error;
    }
    return base_->Close();
  }

 private:
  FailingFileSystem& fs_;
  std::unique_ptr<WritableFile> base_;
  std::string path_;
};

FailingFileSystem::FailingFileSystem(FileSystem& base) : base_(base) {}

void FailingFileSystem::AddFault(FsFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Armed{std::move(fault)});
}

void FailingFileSystem::FailNth(FsOp op, int nth, Status error) {
  AddFault(FsFault{op, nth, "", std::move(error), std::nullopt});
}

void FailingFileSystem::FailPath(FsOp op, std::string path_prefix,
                                 Status error) {
  AddFault(
      FsFault{op, 0, std::move(path_prefix), std::move(error), std::nullopt});
}

void FailingFileSystem::TearNthAppend(int nth, size_t keep_bytes,
                                      Status error) {
  AddFault(FsFault{FsOp::kAppend, nth, "", std::move(error), keep_bytes});
}

void FailingFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

int FailingFileSystem::calls(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (op == FsOp::kAny) {
    int total = 0;
    for (const auto& [o, n] : calls_) total += n;
    return total;
  }
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

Status FailingFileSystem::NoSpace(std::string_view path) {
  return ErrnoToStatus(ENOSPC, path);
}

std::optional<FsFault> FailingFileSystem::Check(FsOp op,
                                                const std::string& path,
                                                const std::string& path2) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[op];
  auto has_prefix = [](const std::string& p, const std::string& prefix) {
    return !p.empty() && p.compare(0, prefix.size(), prefix) == 0;
  };
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    const FsFault& f = it->fault;
    if (f.op != FsOp::kAny && f.op != op) continue;
    if (!f.path_prefix.empty() && !has_prefix(path, f.path_prefix) &&
        !has_prefix(path2, f.path_prefix)) {
      continue;
    }
    if (f.nth == 0) return f;
    if (++it->seen == f.nth) {
      FsFault fired = f;
      faults_.erase(it);
      return fired;
    }
  }
  return std::nullopt;
}

StatusOr<std::string> FailingFileSystem::ReadFile(const std::string& path) {
  if (auto f = Check(FsOp::kReadFile, path)) return f->error;
  return base_.ReadFile(path);
}

Status FailingFileSystem::WriteFileAtomic(const std::string& path,
                                          std::string_view data) {
  // A failed atomic write leaves the old content, as the real one promises.
  if (auto f = Check(FsOp::kWriteFileAtomic, path)) return f->error;
  return base_.WriteFileAtomic(path, data);
}

StatusOr<std::unique_ptr<WritableFile>> FailingFileSystem::NewAppendableFile(
    const std::string& path) {
  if (auto f = Check(FsOp::kNewAppendableFile, path)) return f->error;
  ZIMON_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> base,
                         base_.NewAppendableFile(path));
  return std::unique_ptr<WritableFile>(
      new FailingWritableFile(*this, std::move(base), path));
}

StatusOr<std::vector<std::string>> FailingFileSystem::ListDir(
    const std::string& path) {
  if (auto f = Check(FsOp::kListDir, path)) return f->error;
  return base_.ListDir(path);
}

Status FailingFileSystem::CreateDirs(const std::string& path) {
  if (auto f = Check(FsOp::kCreateDirs, path)) return f->error;
  return base_.CreateDirs(path);
}

Status FailingFileSystem::Remove(const std::string& path) {
  if (auto f = Check(FsOp::kRemove, path)) return f->error;
  return base_.Remove(path);
}

Status FailingFileSystem::RemoveAll(const std::string& path) {
  if (auto f = Check(FsOp::kRemoveAll, path)) return f->error;
  return base_.RemoveAll(path);
}

Status FailingFileSystem::Rename(const std::string& from,
                                 const std::string& to) {
  if (auto f = Check(FsOp::kRename, from, to)) return f->error;
  return base_.Rename(from, to);
}

bool FailingFileSystem::Exists(const std::string& path) {
  if (Check(FsOp::kExists, path)) return false;
  return base_.Exists(path);
}

StatusOr<uint64_t> FailingFileSystem::FileSize(const std::string& path) {
  if (auto f = Check(FsOp::kFileSize, path)) return f->error;
  return base_.FileSize(path);
}

StatusOr<std::chrono::system_clock::time_point> FailingFileSystem::ModTime(
    const std::string& path) {
  if (auto f = Check(FsOp::kModTime, path)) return f->error;
  return base_.ModTime(path);
}

}  // namespace zimon::testing
