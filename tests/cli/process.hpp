// A child process for CLI tests: argv, environment additions, captured stdout/stderr, a deadline.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace endure::test_support {

struct process_result {
  int exit_code = -1;  // -1: killed by the deadline; 128+N: killed by signal N
  std::string out, err;
  bool timed_out = false;
};

class child_process {
 public:
  child_process(std::vector<std::string> argv, std::vector<std::string> env_add = {},
                std::string cwd = "");
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  int pid() const { return pid_; }
  void signal(int sig);
  // Reads output until the process exits or the deadline passes (then SIGKILL).
  process_result wait(std::chrono::milliseconds deadline);
  // Reads stdout until `needle` appears or the deadline passes; returns what was read so far.
  std::string wait_for_stdout(const std::string& needle, std::chrono::milliseconds deadline);

 private:
  void pump(int timeout_ms);
  int pid_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  bool reaped_ = false;
  int status_ = 0;
};

process_result run_process(std::vector<std::string> argv, std::vector<std::string> env_add = {},
                           std::chrono::milliseconds deadline = std::chrono::seconds(60),
                           std::string cwd = "");

}  // namespace endure::test_support
