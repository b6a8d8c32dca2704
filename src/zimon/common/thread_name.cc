#include "zimon/common/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace zimon {

void SetThreadName(std::thread::native_handle_type thread,
                   std::string_view name) {
  std::string cut(name.substr(0, std::min(name.size(), kMaxThreadNameBytes)));
  (void)pthread_setname_np(thread, cut.c_str());
}

void SetThreadName(std::string_view name) {
  SetThreadName(pthread_self(), name);
}

std::string ThreadName() {
  char name[kMaxThreadNameBytes + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

std::vector<std::string> ProcessThreadNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end;
       !ec && it != end; it.increment(ec)) {
    std::ifstream comm(it->path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(std::move(name));
  }
  return names;
}

}  // namespace zimon
