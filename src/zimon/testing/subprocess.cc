#include "zimon/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace zimon::testing {
namespace {

using Clock = std::chrono::steady_clock;

// How often Wait() looks at the child while it runs.
constexpr std::chrono::milliseconds kWaitPoll{5};

std::vector<std::string> BuildEnvironment(const SubprocessOptions& options) {
  std::map<std::string, std::string> env;
  if (options.inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry(*e);
      size_t eq = entry.find('=');
      if (eq == std::string::npos) continue;
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (const std::string& name : options.env_unset) env.erase(name);
  for (const auto& [name, value] : options.env_set) env[name] = value;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

ExitStatus Decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

// Closes both ends of the pipes on an early return from Start.
struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return "exit " + std::to_string(code);
  return "killed by signal " + std::to_string(signal);
}

StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::string& binary, const SubprocessOptions& options) {
  Pipes pipes;
  // O_CLOEXEC: children spawned concurrently by other tests must not hold
  // our write ends open (they would delay EOF). dup2 in the child clears it.
  if (::pipe2(pipes.out, O_CLOEXEC) != 0 ||
      ::pipe2(pipes.err, O_CLOEXEC) != 0) {
    return ErrnoToStatus(errno, "pipe2");
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
                                   options.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], STDERR_FILENO);

  // The child starts with default signal dispositions and an empty mask, so
  // a test that blocked signals does not pass that on.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_strings;
  argv_strings.push_back(binary);
  argv_strings.insert(argv_strings.end(), options.args.begin(),
                      options.args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = BuildEnvironment(options);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  bool search = binary.find('/') == std::string::npos;
  int rc = search ? ::posix_spawnp(&pid, binary.c_str(), &actions, &attr,
                                   argv.data(), envp.data())
                  : ::posix_spawn(&pid, binary.c_str(), &actions, &attr,
                                  argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoToStatus(rc, "spawn " + binary);

  ::close(pipes.out[1]);
  ::close(pipes.err[1]);
  pipes.out[1] = pipes.err[1] = -1;
  std::unique_ptr<Subprocess> child(
      new Subprocess(pid, pipes.out[0], pipes.err[0]));
  pipes.out[0] = pipes.err[0] = -1;  // owned by the reader threads now
  return child;
}

Subprocess::Subprocess(pid_t pid, int out_fd, int err_fd) : pid_(pid) {
  out_reader_ =
      std::thread([this, out_fd] { ReadPipe(out_fd, &out_, &out_closed_); });
  err_reader_ =
      std::thread([this, err_fd] { ReadPipe(err_fd, &err_, &err_closed_); });
}

Subprocess::~Subprocess() {
  bool running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running = !exit_.has_value();
  }
  if (running) {
    ::kill(pid_, SIGKILL);
    (void)Wait(std::chrono::minutes(1));
  }
  // A grandchild holding the pipes could keep a reader blocked; the child is
  // gone, so in practice both pipes are at EOF now.
  out_reader_.join();
  err_reader_.join();
}

void Subprocess::ReadPipe(int fd, std::string* buffer, bool* closed) {
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    buffer->append(chunk, static_cast<size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  *closed = true;
  changed_.notify_all();
}

StatusOr<std::string> Subprocess::ReadLine(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  bool ready = changed_.wait_for(lock, timeout, [this] {
    return out_.find('\n') != std::string::npos || out_closed_;
  });
  if (!ready) {
    return DeadlineExceededError("no stdout line from pid " +
                                 std::to_string(pid_) + " within " +
                                 std::to_string(timeout.count()) + " ms");
  }
  size_t nl = out_.find('\n');
  if (nl == std::string::npos) {
    if (out_.empty()) return OutOfRangeError("stdout closed");
    std::string last = std::move(out_);
    out_.clear();
    return last;
  }
  std::string line = out_.substr(0, nl);
  out_.erase(0, nl + 1);
  return line;
}

Status Subprocess::Signal(int signal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (exit_.has_value()) {
    return FailedPreconditionError("pid " + std::to_string(pid_) +
                                   " has already exited");
  }
  if (::kill(pid_, signal) != 0) return ErrnoToStatus(errno, "kill");
  return Status();
}

StatusOr<ExitStatus> Subprocess::Wait(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (exit_.has_value()) return *exit_;
      int wstatus = 0;
      pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
      if (r == pid_) {
        exit_ = Decode(wstatus);
        changed_.notify_all();
        return *exit_;
      }
      if (r < 0 && errno != EINTR) return ErrnoToStatus(errno, "waitpid");
    }
    if (Clock::now() >= deadline) {
      return DeadlineExceededError("pid " + std::to_string(pid_) +
                                   " still running after " +
                                   std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kWaitPoll);
  }
}

StatusOr<Subprocess::Output> Subprocess::Finish(
    std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  ZIMON_ASSIGN_OR_RETURN(ExitStatus status, Wait(timeout));
  std::unique_lock<std::mutex> lock(mu_);
  if (!changed_.wait_until(lock, deadline,
                           [this] { return out_closed_ && err_closed_; })) {
    return DeadlineExceededError("pid " + std::to_string(pid_) +
                                 " exited but its pipes stay open");
  }
  Output output{status, std::move(out_), err_};
  out_.clear();
  return output;
}

std::string Subprocess::StderrSoFar() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_;
}

}  // namespace zimon::testing
