// Helpers shared by the CLI tests: temp dirs, files, the _stats.csv reader and the demo shop
// started as a separate endure process on an ephemeral port.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace endure::test_support {

// Set by tests/cli/CMakeLists.txt for every CLI suite.
inline const std::string endure_bin = ENDURE_BIN;
inline const std::string source_dir = ENDURE_SOURCE_DIR;
// Compiled C++ locustfiles are cached in the build tree, shared by the suites.
inline const std::string cache_env = "ENDURE_CACHE_DIR=" ENDURE_TEST_CACHE;

// A fresh, empty directory named after the test and this process.
std::string temp_dir(const std::string& name);
// A loopback TCP port free at this moment (bound, read, released: the server started next takes it).
uint16_t free_port();
std::string read_file(const std::string& path);
// Splits on `sep`; a trailing '\r' is dropped from each piece.
std::vector<std::string> split(const std::string& s, char sep);

// Rows of a _stats.csv keyed by "Type Name" (" Aggregated" for the total), cells by header.
using csv_rows = std::map<std::string, std::map<std::string, std::string>>;
csv_rows read_stats_csv(const std::string& path);
// A numeric cell of a row (0 when the row is missing).
uint64_t count_of(csv_rows& rows, const std::string& key, const char* column = "Request Count");

class demo_shop {
 public:
  // `endure demo-shop --port 0` plus extra flags; url() is empty when it did not start.
  explicit demo_shop(std::vector<std::string> extra = {});
  ~demo_shop();
  demo_shop(const demo_shop&) = delete;
  demo_shop& operator=(const demo_shop&) = delete;
  const std::string& url() const { return url_; }
  int pid() const;  // the shop's process (for --monitor-pid)
  // Server-side counts from /__stats (curl, so endure does not count itself).
  nlohmann::json stats() const;
  // When the shop announced its URL (its --stall-every-ms schedule starts a few ms before).
  std::chrono::steady_clock::time_point started() const { return started_; }

 private:
  std::unique_ptr<child_process> proc_;
  std::string url_;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace endure::test_support
