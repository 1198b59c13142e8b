#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

extern char** environ;

namespace endure::test_support {

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> env_add,
                             std::string cwd) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (auto& e : env_add) putenv(e.data());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

child_process::~child_process() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void child_process::signal(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

void child_process::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0) continue;
    ssize_t n;
    while ((n = read(fds[i].fd, buf, sizeof buf)) > 0) (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
  }
}

std::string child_process::wait_for_stdout(const std::string& needle, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (out_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pump(50);
    if (!reaped_ && waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    if (reaped_) {
      pump(0);
      break;
    }
  }
  return out_;
}

process_result child_process::wait(std::chrono::milliseconds deadline) {
  process_result r;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!reaped_) {
    pump(20);
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > end) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
      r.timed_out = true;
    }
  }
  for (int i = 0; i < 5; ++i) pump(10);
  r.out = out_;
  r.err = err_;
  if (r.timed_out) r.exit_code = -1;
  else if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
  else if (WIFSIGNALED(status_)) r.exit_code = 128 + WTERMSIG(status_);
  return r;
}

process_result run_process(std::vector<std::string> argv, std::vector<std::string> env_add,
                           std::chrono::milliseconds deadline, std::string cwd) {
  child_process p(std::move(argv), std::move(env_add), std::move(cwd));
  return p.wait(deadline);
}

}  // namespace endure::test_support
