#include "zimon/common/file_system.h"

namespace zimon {

Status FileSystem::AppendFile(const std::string& path, std::string_view data) {
  ZIMON_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                         NewAppendableFile(path));
  Status s = file->Append(data);
  Status c = file->Close();
  return s.ok() ? c : s;
}

std::string DirName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  while (slash > 0 && path[slash - 1] == '/') --slash;
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace zimon
