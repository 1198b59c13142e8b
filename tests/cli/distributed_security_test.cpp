// --cluster-secret-file as a user runs it: a master and workers sharing a secret carry the load
// over CURVE (the demo shop's counts equal the master's), and a worker with another secret, with
// none, or with one under a plain master ends at once with one clear line and exit code 2 while
// the master logs the refusal and goes on. Bad secret files are refused before anything starts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>

#include "cli/cli_support.hpp"
#include "cli/process.hpp"

namespace endure::test_support {
namespace {

using namespace std::chrono_literals;


const std::string locustfile = source_dir + "/examples/locustfile.py";

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(distributed_security, a_cluster_secret_admits_its_workers_and_refuses_any_other) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_secret");
  const std::string secret = write_file(dir + "/secret", "k3y-0f-th1s-clust3r-9f8e7d6c5b4a\n");
  const std::string other = write_file(dir + "/other", "an0ther-clust3r-s3cret-0123456789\n");
  const std::string port = std::to_string(free_port());
  child_process master({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--cluster-secret-file", secret, "--headless", "-u", "4",
                        "-r", "20", "-t", "3s", "--host", shop.url(), "--csv", dir + "/m", "--no-store"},
                       {cache_env});
  // Refused while the master waits for its worker: each ends alone, at once, with one line.
  auto wrong = run_process({endure_bin, "-f", locustfile, "--worker", "--master-port", port,
                            "--cluster-secret-file", other},
                           {cache_env}, 30s);
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("endure: error: the master at 127.0.0.1:" + port +
                           " did not accept this worker's cluster secret"),
            std::string::npos)
      << wrong.err;
  auto none = run_process({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env}, 30s);
  EXPECT_EQ(none.exit_code, 2) << none.err;
  // ZeroMQ reports either a mechanism mismatch or failures without detail: both lines say what to do.
  EXPECT_NE(none.err.find("endure: error: the "), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("master at 127.0.0.1:" + port), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("give this worker its --cluster-secret-file"), std::string::npos) << none.err;
  auto good = run_process({endure_bin, "-f", locustfile, "--worker", "--master-port", port,
                           "--cluster-secret-file", secret},
                          {cache_env}, 60s);
  EXPECT_EQ(good.exit_code, 0) << good.err;
  auto m = master.wait(30s);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("(CURVE, cluster secret)"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("connected (1 workers)"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("a peer failed the CURVE handshake"), std::string::npos) << m.err;
  // The load went through the encrypted link: the shop served exactly what the master reports.
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  auto s = shop.stats();
  const uint64_t index = count_of(rows, "GET /"), about = count_of(rows, "GET /about/");
  EXPECT_GE(index + about, 4u);  // each user's first task runs at once
  EXPECT_EQ(s["requests"].value("GET /", uint64_t{0}), index);
  EXPECT_EQ(s["requests"].value("GET /about/", uint64_t{0}), about);
}

TEST(distributed_security, a_worker_with_a_secret_under_a_plain_master_is_one_line) {
  const std::string dir = temp_dir("dist_secret_plain");
  const std::string secret = write_file(dir + "/secret", "k3y-0f-th1s-clust3r-9f8e7d6c5b4a");
  const std::string port = std::to_string(free_port());
  child_process master({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--expect-workers-max-wait", "3s", "--headless", "-u", "1",
                        "-t", "2s", "--host", "http://127.0.0.1:9", "--no-store"},
                       {cache_env});
  auto w = run_process({endure_bin, "-f", locustfile, "--worker", "--master-port", port, "--cluster-secret-file",
                        secret},
                       {cache_env}, 30s);
  EXPECT_EQ(w.exit_code, 2) << w.err;
  // ZeroMQ reports a mechanism mismatch or, as often, failures without detail: both lines say it.
  EXPECT_NE(w.err.find("endure: error: the master at 127.0.0.1:" + port), std::string::npos) << w.err;
  EXPECT_TRUE(w.err.find("does not use a cluster secret") != std::string::npos ||
              w.err.find("or the master has none") != std::string::npos)
      << w.err;
  auto m = master.wait(30s);
  EXPECT_EQ(m.exit_code, 1) << m.err;  // no worker joined
  EXPECT_NE(m.err.find("this master has no --cluster-secret-file"), std::string::npos) << m.err;
}

// How a master refuses a protocol version it does not speak: quit in answer to client_ready,
// before any ack. The worker says so in one line and ends with exit code 2.
TEST(distributed_security, a_worker_refused_for_its_protocol_version_is_one_line) {
  const std::string port = std::to_string(free_port());
  child_process master({"/usr/bin/python3", source_dir + "/tests/cli/refusing_master.py", port}, {});
  // No wait for the bind: ZeroMQ's worker connects whenever the port opens.
  auto w = run_process({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env}, 60s);
  EXPECT_EQ(w.exit_code, 2) << w.err;
  EXPECT_NE(w.err.find("endure: error: the master at 127.0.0.1:" + port +
                       " refused this worker before accepting it (a protocol version it does not speak?"),
            std::string::npos)
      << w.err;
  auto m = master.wait(40s);
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.out.find("refused"), std::string::npos) << m.out << m.err;
}

TEST(distributed_security, a_bad_secret_file_is_refused_before_anything_starts) {
  const std::string dir = temp_dir("dist_secret_bad");
  const std::string short_one = write_file(dir + "/short", "tooshort\n");
  for (const char* mode : {"--master", "--worker"}) {
    auto r = run_process({endure_bin, "-f", locustfile, mode, "--headless", "-u", "1", "-t", "1s", "--no-store",
                          "--cluster-secret-file", short_one},
                         {cache_env}, 30s);
    EXPECT_EQ(r.exit_code, 2) << mode << r.err;
    EXPECT_NE(r.err.find("endure: error: --cluster-secret-file " + short_one +
                         " holds 8 bytes: a secret needs at least 16"),
              std::string::npos)
        << mode << r.err;
    auto missing = run_process({endure_bin, "-f", locustfile, mode, "--headless", "-u", "1", "-t", "1s",
                                "--no-store", "--cluster-secret-file", dir + "/none"},
                               {cache_env}, 30s);
    EXPECT_EQ(missing.exit_code, 2) << mode << missing.err;
    EXPECT_NE(missing.err.find("endure: error: cannot read --cluster-secret-file " + dir + "/none"),
              std::string::npos)
        << mode << missing.err;
  }
}

}  // namespace
}  // namespace endure::test_support
