#include "cli_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace endure::test_support {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

using namespace std::chrono_literals;

namespace {
// The temp dirs this test process made, removed when it exits, unless a test failed (kept for
// a look) or ENDURE_KEEP_TEST_DIRS is set.
struct temp_dirs {
  std::vector<std::filesystem::path> paths;
  ~temp_dirs() {
    if (std::getenv("ENDURE_KEEP_TEST_DIRS") != nullptr) return;
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) return;
    for (const auto& p : paths) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
};
temp_dirs& made_dirs() {
  static temp_dirs dirs;
  return dirs;
}
}  // namespace

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("endure-cli-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  made_dirs().paths.push_back(d);
  return d.string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty() && item.back() == '\r') item.pop_back();
    out.push_back(item);
  }
  return out;
}

csv_rows read_stats_csv(const std::string& path) {
  auto lines = split(read_file(path), '\n');
  csv_rows rows;
  if (lines.empty()) return rows;
  auto header = split(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto cells = split(lines[i], ',');
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    rows[row["Type"] + " " + row["Name"]] = row;
  }
  return rows;
}

uint64_t count_of(csv_rows& rows, const std::string& key, const char* column) {
  auto it = rows.find(key);
  if (it == rows.end()) return 0;
  return std::stoull(it->second[column]);
}

demo_shop::demo_shop(std::vector<std::string> extra) {
  std::vector<std::string> argv = {endure_bin, "demo-shop", "--port", "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  proc_ = std::make_unique<child_process>(argv);
  std::string out = proc_->wait_for_stdout("\n", 10s);
  started_ = std::chrono::steady_clock::now();
  auto p = out.find("http://");
  if (p != std::string::npos) url_ = out.substr(p, out.find('\n', p) - p);
}

int demo_shop::pid() const { return proc_->pid(); }

demo_shop::~demo_shop() {
  proc_->signal(SIGTERM);
  proc_->wait(5s);
}

nlohmann::json demo_shop::stats() const {
  auto r = run_process({"curl", "-s", url_ + "/__stats"}, {}, 10s);
  return nlohmann::json::parse(r.out, nullptr, false);
}

}  // namespace endure::test_support
