// The web UI and Locust's web API served by the endure process (no --headless), driven as a
// script drives it (curl): start, edit, stop, reset, start again, bad form values, history
// bounded in points, Basic auth, the base path, cross-site refusal, --autostart/--autoquit, and
// a port in use. Server-side counts of the demo shop are compared with the reported totals.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_support.hpp"
#include "store/reader.hpp"
#include "store/writer.hpp"
#include "support/self_signed_cert.hpp"
#include "support/synthetic_records.hpp"

using namespace endure::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string locustfile = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/web_shop.py";

struct http_answer {
  int status = 0;
  std::string body;
  json j() const { return json::parse(body, nullptr, false); }
};

// One request with curl; extra: more curl arguments (-u, -H, -d ...).
http_answer http(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"curl", "-s", "-m", "10", "-w", "\n%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto r = run_process(argv, {}, 15s);
  http_answer a;
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return a;
  a.status = std::atoi(r.out.c_str() + nl + 1);
  a.body = r.out.substr(0, nl);
  return a;
}

http_answer post(const std::string& url, const std::string& form, std::vector<std::string> extra = {}) {
  extra.insert(extra.end(), {"-X", "POST", "--data", form});
  return http(url, extra);
}

// endure in web mode; url() is the "Web UI:" line's address.
class web_endure {
 public:
  explicit web_endure(std::vector<std::string> args, const std::string& file = locustfile) {
    // No --web-host: the default is the loopback interface.
    std::vector<std::string> argv = {endure_bin, "-f", file, "--web-port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<child_process>(argv, std::vector<std::string>{cache_env});
    std::string out = proc_->wait_for_stdout("Web UI: ", 120s);  // a C++ locustfile compiles first
    out = proc_->wait_for_stdout("\n", 2s);
    auto p = out.find("Web UI: ");
    if (p != std::string::npos) url_ = out.substr(p + 8, out.find('\n', p) - p - 8);
  }
  const std::string& url() const { return url_; }
  child_process& proc() { return *proc_; }

 private:
  std::unique_ptr<child_process> proc_;
  std::string url_;
};

// Polls GET /stats/requests until `ok` holds or the deadline passes; returns the last answer.
json poll(const std::string& base, const std::function<bool(const json&)>& ok,
          std::chrono::milliseconds deadline = 15s, std::vector<std::string> extra = {}) {
  auto end = std::chrono::steady_clock::now() + deadline;
  json j;
  while (std::chrono::steady_clock::now() < end) {
    j = http(base + "/stats/requests", extra).j();
    if (!j.is_discarded() && ok(j)) return j;
    std::this_thread::sleep_for(200ms);
  }
  return j;
}

// The local addresses (hex, as /proc/net/tcp{,6} shows them) listening on a port.
std::vector<std::string> listening_addresses(int port) {
  std::vector<std::string> out;
  char want[8];
  std::snprintf(want, sizeof want, "%04X", port);
  for (const char* f : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string slot, local, remote, st;
      ls >> slot >> local >> remote >> st;
      auto colon = local.rfind(':');
      if (st == "0A" && colon != std::string::npos && local.substr(colon + 1) == want) out.push_back(local.substr(0, colon));
    }
  }
  return out;
}

uint64_t total_requests(const json& j) { return j["stats"].back()["num_requests"].get<uint64_t>(); }

uint64_t shop_total(const demo_shop& shop) {
  auto s = shop.stats();
  return s["requests"].value("GET /", 0ull) + s["requests"].value("GET /products", 0ull);
}

}  // namespace

TEST(web_ui, start_edit_stop_reset_and_start_again_through_locusts_api) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("web_api");
  // A grace time at the stop: tasks in flight finish, so every request the shop served is counted.
  web_endure e({"-H", shop.url(), "--csv", dir + "/run", "--store", dir + "/run.db", "--stop-timeout", "5s"});
  ASSERT_FALSE(e.url().empty()) << "no Web UI: line";
  const std::string u = e.url();

  // Waits for a start: nothing runs, the page and its assets are served.
  auto ready = http(u + "/stats/requests");
  ASSERT_EQ(ready.status, 200);
  EXPECT_EQ(ready.j()["state"], "ready");
  EXPECT_EQ(total_requests(ready.j()), 0u);
  auto page = http(u + "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("window.endureConfig = {"), std::string::npos);
  EXPECT_EQ(http(u + "/assets/app.js").status, 200);
  EXPECT_EQ(http(u + "/assets/..%2F..%2Fetc%2Fpasswd").status, 404);
  EXPECT_EQ(shop_total(shop), 0u);

  // Bad form values: 400 with one sentence, and nothing starts.
  auto neg = post(u + "/swarm", "user_count=-5&spawn_rate=1");
  EXPECT_EQ(neg.status, 400);
  EXPECT_EQ(neg.j()["success"], false);
  EXPECT_EQ(neg.j()["message"], "user_count: '-5' is not a number of users (a whole number, 0 or more)");
  auto zero = post(u + "/swarm", "user_count=5&spawn_rate=0");
  EXPECT_EQ(zero.status, 400);
  EXPECT_NE(zero.j()["message"].get<std::string>().find("spawn_rate: '0'"), std::string::npos);
  auto x = post(u + "/swarm", "user_count=5&spawn_rate=1&run_time=7x");
  EXPECT_EQ(x.status, 400);
  EXPECT_NE(x.j()["message"].get<std::string>().find("run_time: invalid duration '7x'"), std::string::npos);
  EXPECT_EQ(post(u + "/swarm", "user_count=5&spawn_rate=1&user_classes=Nobody").status, 400);
  EXPECT_EQ(http(u + "/stats/requests").j()["state"], "ready");

  // Start: 4 users, run time in days.
  auto started = post(u + "/swarm", "user_count=4&spawn_rate=100&run_time=7d&host=" + shop.url());
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.j()["success"], true);
  EXPECT_EQ(started.j()["message"], "Swarming started");
  EXPECT_EQ(started.j()["run_time"], 7 * 86400);
  auto running = poll(u, [](const json& j) { return j["user_count"] == 4 && total_requests(j) > 20; });
  EXPECT_EQ(running["state"], "running");
  EXPECT_EQ(running["user_count"], 4);
  EXPECT_GT(total_requests(running), 20u);
  EXPECT_EQ(running["stats"].size(), 3u);  // GET /, GET /products, Aggregated
  // A second start while running is an edit: 2 users.
  auto edit = post(u + "/swarm", "user_count=2&spawn_rate=100");
  EXPECT_EQ(edit.status, 200);
  auto edited = poll(u, [](const json& j) { return j["user_count"] == 2; });
  EXPECT_EQ(edited["user_count"], 2);
  EXPECT_EQ(edited["state"], "running");

  // History: at most the points asked for; bad parameters are refused.
  auto h = http(u + "/history?points=3&from=0&to=99999999999").j();
  ASSERT_TRUE(h.contains("points"));
  EXPECT_GE(h["points"].size(), 1u);
  EXPECT_LE(h["points"].size(), 3u);
  EXPECT_EQ(http(u + "/history?points=abc").status, 400);

  // Stop: every response is counted, exactly as the shop served them.
  auto stop = http(u + "/stop");
  EXPECT_EQ(stop.status, 200);
  EXPECT_EQ(stop.j()["message"], "Test stopped");
  auto stopped = poll(u, [&](const json& j) { return j["state"] == "stopped" && total_requests(j) == shop_total(shop); });
  EXPECT_EQ(stopped["state"], "stopped");
  EXPECT_EQ(total_requests(stopped), shop_total(shop));
  auto csv = http(u + "/stats/requests/csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("\nGET,/products,"), std::string::npos);
  EXPECT_NE(csv.body.find(",Aggregated," + std::to_string(total_requests(stopped)) + ","), std::string::npos);
  EXPECT_EQ(http(u + "/stats/report").status, 200);
  EXPECT_EQ(http(u + "/exceptions").j()["exceptions"].size(), 0u);
  EXPECT_EQ(http(u + "/tasks").j()["per_class"]["ShopUser"]["ratio"], 0.5);
  auto exc_csv = http(u + "/exceptions/csv");
  EXPECT_EQ(exc_csv.status, 200);
  EXPECT_EQ(exc_csv.body.rfind("Count,Message,Traceback,Nodes", 0), 0u) << exc_csv.body;
  // Locust's /logs: this process's last log lines (bounded), no workers.
  auto logs = http(u + "/logs").j();
  ASSERT_TRUE(logs["master"].is_array()) << logs.dump();
  EXPECT_LE(logs["master"].size(), 500u);
  EXPECT_TRUE(logs["workers"].is_object());
  bool saw_start = false;
  for (const auto& l : logs["master"]) saw_start = saw_start || l.get<std::string>().find("Starting web interface at " + u) != std::string::npos;
  EXPECT_TRUE(saw_start) << logs.dump();

  // Reset, then a new test from the same process.
  auto reset = http(u + "/stats/reset");
  EXPECT_EQ(reset.body, "ok");
  EXPECT_EQ(total_requests(http(u + "/stats/requests").j()), 0u);
  const uint64_t before = shop_total(shop);
  ASSERT_EQ(post(u + "/swarm", "user_count=1&spawn_rate=10").status, 200);
  auto again = poll(u, [](const json& j) { return j["state"] == "running" && total_requests(j) > 5; });
  EXPECT_GT(total_requests(again), 5u);

  // Ctrl-C ends the test and the process; what was measured is on disk.
  e.proc().signal(SIGINT);
  auto r = e.proc().wait(30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_stats_csv(dir + "/run_stats.csv");
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop) - before);
  // Both tests went to the run store.
  auto runs = run_process({endure_bin, "runs", dir}, {}, 20s);
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_NE(runs.out.find("run.db"), std::string::npos) << runs.out;
}

TEST(web_ui, listens_on_loopback_by_default_and_warns_loudly_when_open_without_auth) {
  {
    web_endure e({"-H", "http://127.0.0.1:9", "--no-store"});
    ASSERT_EQ(e.url().rfind("http://127.0.0.1:", 0), 0u) << e.url();
    const int port = std::atoi(e.url().substr(e.url().rfind(':') + 1).c_str());
    EXPECT_EQ(listening_addresses(port), std::vector<std::string>{"0100007F"});  // 127.0.0.1 only
    e.proc().signal(SIGTERM);
    auto r = e.proc().wait(20s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
  }
  {
    // Every interface without --web-auth: served, with a warning nobody can miss. No traffic is
    // sent anywhere but 127.0.0.1.
    web_endure e({"-H", "http://127.0.0.1:9", "--web-host", "*", "--no-store"});
    ASSERT_FALSE(e.url().empty());
    const int port = std::atoi(e.url().substr(e.url().rfind(':') + 1).c_str());
    EXPECT_EQ(listening_addresses(port), std::vector<std::string>{"00000000"});
    EXPECT_EQ(http(e.url() + "/stats/requests").status, 200);
    e.proc().signal(SIGTERM);
    auto r = e.proc().wait(20s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("!!! WARNING: the web UI listens on every interface with no login (--web-auth)"), std::string::npos)
        << r.err;
  }
  {
    // With --web-auth it is the user's choice: no warning.
    web_endure e({"-H", "http://127.0.0.1:9", "--web-host", "*", "--web-auth", "a:b", "--no-store"});
    ASSERT_FALSE(e.url().empty());
    e.proc().signal(SIGTERM);
    auto r = e.proc().wait(20s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
  }
}

TEST(web_ui, basic_auth_base_path_and_cross_site_requests) {
  demo_shop shop;
  web_endure e({"-H", shop.url(), "--web-auth", "admin:s3:cret", "--web-base-path", "/endure/", "--no-store"});
  ASSERT_FALSE(e.url().empty());
  const std::string u = e.url();
  EXPECT_EQ(u.substr(u.size() - 7), "/endure");
  const std::vector<std::string> auth = {"-u", "admin:s3:cret"};

  auto none = http(u + "/stats/requests");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(http(u + "/stats/requests", {"-u", "admin:wrong"}).status, 401);
  EXPECT_EQ(http(u + "/", {"-u", "admin:s3:cre"}).status, 401);
  EXPECT_EQ(post(u + "/swarm", "user_count=1&spawn_rate=1").status, 401);
  EXPECT_EQ(http(u + "/stats/requests", auth).status, 200);
  EXPECT_EQ(http(u + "/", auth).status, 200);
  EXPECT_EQ(http(u, auth).status, 308);  // /endure -> /endure/
  auto root = u.substr(0, u.size() - 7);
  EXPECT_EQ(http(root + "/stats/requests", auth).status, 404);
  // A page on another site cannot start a test through the user's browser.
  auto cross = post(u + "/swarm", "user_count=1&spawn_rate=1", {"-u", "admin:s3:cret", "-H", "Origin: http://evil.example"});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(http(u + "/stats/requests", auth).j()["state"], "ready");
  EXPECT_EQ(http(u + "/stop", {"-u", "admin:s3:cret", "-H", "Origin: http://evil.example"}).status, 403);

  // SIGTERM before any test: the process ends cleanly.
  e.proc().signal(SIGTERM);
  auto r = e.proc().wait(20s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(shop_total(shop), 0u);
}

TEST(web_ui, autostart_and_autoquit_run_a_test_and_leave) {
  demo_shop shop;
  std::string dir = temp_dir("web_autoquit");
  web_endure e({"-H", shop.url(), "--autostart", "-u", "3", "-r", "50", "-t", "2s", "--autoquit", "1",
                "--csv", dir + "/run", "--no-store", "--stop-timeout", "5s"});
  ASSERT_FALSE(e.url().empty());
  auto r = e.proc().wait(30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--autoquit"), std::string::npos) << r.err;
  auto rows = read_stats_csv(dir + "/run_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 10u);
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop));
}

// Prometheus's /metrics on the UI's own port (the web mode needs no --metrics-port): the
// counters reach the run's totals, behind --web-auth like every page.
TEST(web_ui, metrics_are_served_on_the_ui_port) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  web_endure e({"-H", shop.url(), "--autostart", "-u", "2", "-r", "50", "-t", "30s", "--no-store",
                "--web-auth", "ada:secret"});
  ASSERT_FALSE(e.url().empty());
  EXPECT_EQ(http(e.url() + "/metrics").status, 401);
  const std::vector<std::string> auth = {"-u", "ada:secret"};
  poll(e.url(), [](const json& j) { return total_requests(j) > 20; }, 15s, auth);
  http_answer m;
  for (int i = 0; i < 50; ++i) {  // the exposition follows the interval records (1 s)
    m = http(e.url() + "/metrics", auth);
    if (m.body.find("endure_requests_total{") != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("endure_requests_total{"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("endure_request_duration_seconds_bucket{"), std::string::npos);
  http(e.url() + "/stop", auth);
  e.proc().signal(SIGINT);
  auto r = e.proc().wait(30s);
  EXPECT_FALSE(r.timed_out);
}

TEST(web_ui, a_port_in_use_is_one_line_and_exit_2) {
  demo_shop shop;
  auto port = shop.url().substr(shop.url().rfind(':') + 1);
  auto r = run_process({endure_bin, "-f", locustfile, "-H", shop.url(), "--web-port", port, "--no-store"},
                       {cache_env}, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("endure: error: web UI: "), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("Web UI:"), std::string::npos);
}

TEST(web_ui, tls_serves_https_and_a_missing_key_is_refused) {
  demo_shop shop;
  std::string dir = temp_dir("web_tls");
  auto cert = make_self_signed_cert();
  {
    std::ofstream(dir + "/cert.pem") << cert.cert_pem;
    std::ofstream(dir + "/key.pem") << cert.key_pem;
  }
  web_endure e({"-H", shop.url(), "--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem", "--no-store"});
  ASSERT_EQ(e.url().rfind("https://127.0.0.1:", 0), 0u) << e.url();
  auto ok = http(e.url() + "/stats/requests", {"--cacert", dir + "/cert.pem"});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.j()["state"], "ready");
  // Plain HTTP to the HTTPS port gets no page.
  auto plain = "http" + e.url().substr(5);
  EXPECT_NE(http(plain + "/stats/requests").status, 200);
  e.proc().signal(SIGTERM);
  EXPECT_EQ(e.proc().wait(20s).exit_code, 0);

  auto bad = run_process({endure_bin, "-f", locustfile, "-H", shop.url(), "--web-port", "0", "--no-store",
                          "--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/missing.pem"},
                         {cache_env}, 30s);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("endure: error: web UI: "), std::string::npos) << bad.err;
}

TEST(web_ui, stalled_clients_do_not_hold_up_the_ui_or_the_test) {
  demo_shop shop;
  web_endure e({"-H", shop.url(), "--no-store"});
  ASSERT_FALSE(e.url().empty());
  const std::string u = e.url();
  const int port = std::atoi(u.substr(u.rfind(':') + 1).c_str());
  // Clients that start a request and never finish it: headers cut short, a body promised and not sent.
  std::vector<int> stalled;
  // And live-update clients that never read what is pushed to them.
  for (const std::string& part : {std::string("GET /stats/requests HTTP/1.1\r\nHost: x\r\nX-Slow: "),
                                  std::string("POST /swarm HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\nuser_co"),
                                  std::string("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")}) {
    for (int i = 0; i < 20; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
      ASSERT_EQ(send(fd, part.data(), part.size(), 0), static_cast<ssize_t>(part.size()));
      stalled.push_back(fd);
    }
  }
  // Everyone else is served at once, and a test starts, runs and stops.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(http(u + "/stats/requests").status, 200);
  EXPECT_EQ(post(u + "/swarm", "user_count=2&spawn_rate=100").status, 200);
  auto running = poll(u, [](const json& j) { return total_requests(j) > 10; });
  EXPECT_GT(total_requests(running), 10u);
  // A reader of the live updates gets the current figures at once, then one snapshot a second.
  auto events = run_process({"curl", "-s", "-N", "-m", "3", u + "/events"}, {}, 10s);
  size_t n_events = 0;
  for (size_t at = events.out.find("event: stats\ndata: {"); at != std::string::npos;
       at = events.out.find("event: stats\ndata: {", at + 1))
    ++n_events;
  EXPECT_GE(n_events, 3u) << events.out.substr(0, 300);
  EXPECT_LE(n_events, 6u);
  EXPECT_NE(events.out.find("\"state\":\"running\""), std::string::npos);
  EXPECT_EQ(http(u + "/stop").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  for (int fd : stalled) close(fd);
  e.proc().signal(SIGINT);
  EXPECT_EQ(e.proc().wait(20s).exit_code, 0);
}

TEST(web_ui, the_class_picker_runs_only_the_classes_picked) {
  demo_shop shop;
  web_endure e({"-H", shop.url(), "--class-picker", "--no-store"});
  ASSERT_FALSE(e.url().empty());
  const std::string u = e.url();
  auto page = http(u + "/").body;
  EXPECT_NE(page.find("\"class_picker\":true"), std::string::npos);
  EXPECT_NE(page.find("\"user_classes\":[\"ShopUser\",\"Browser\"]"), std::string::npos) << page.substr(0, 900);
  auto started = post(u + "/swarm", "user_count=3&spawn_rate=100&user_classes=Browser");
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.j()["user_classes"], json::array({"Browser"}));
  auto now = poll(u, [](const json& j) { return j["user_count"] == 3 && total_requests(j) > 10; });
  EXPECT_EQ(now["user_count_by_class"].value("Browser", 0), 3);
  EXPECT_EQ(now["user_count_by_class"].value("ShopUser", 0), 0);
  for (const auto& row : now["stats"]) {
    if (!row["method"].is_null()) {
      EXPECT_EQ(row["name"], "/products");
    }
  }
  e.proc().signal(SIGINT);
  EXPECT_EQ(e.proc().wait(20s).exit_code, 0);
  EXPECT_EQ(shop.stats()["requests"].value("GET /", 0), 0);
}

namespace {

// A finished run of `days` days in a store: a synthetic 1 s record every minute (the store keeps
// the stretches between them empty), 5 endpoints. Returns the run's first second.
uint64_t write_synthetic_store(const std::string& path, double days) {
  const uint64_t t0 = static_cast<uint64_t>(std::time(nullptr)) - static_cast<uint64_t>((days + 1) * 86400);
  endure::store::run_meta m;
  m.start_wall_s = static_cast<double>(t0);
  m.endure_version = "test";
  m.command_line = {"endure", "-f", "synthetic.py"};
  m.host = "http://127.0.0.1:1";
  m.locustfiles = {{"synthetic.py", "# synthetic"}};
  auto w = endure::store::writer::create(path, m);
  EXPECT_TRUE(w) << (w ? "" : w.err().message);
  if (!w) return t0;
  endure::test_support::synthetic_records gen({.entries = 5, .requests_per_s = 40, .seed = 7});
  (*w)->write(endure::store::event_info{static_cast<double>(t0), "test_start", 1, 0, ""});
  uint64_t t = t0;
  for (; t < t0 + static_cast<uint64_t>(days * 86400); t += 60) (*w)->write(*gen.make(t));
  EXPECT_TRUE((*w)->finish(static_cast<double>(t), "run time", 0));
  return t0;
}

}  // namespace

// History from the run store: a synthetic 3-day run in the store's folder is listed on the Runs
// endpoint, opened read-only (its totals, its charts over the whole run in at most the points
// asked for) and downloaded; this run's history before a reset comes from its own store.
TEST(web_ui, runs_and_history_come_from_the_run_store) {
  namespace fs = std::filesystem;
  demo_shop shop;
  const std::string dir = temp_dir("web_store");
  const std::string old_id = "2026-01-01T00-00-00-synthetic.db";
  const uint64_t t0 = write_synthetic_store(dir + "/" + old_id, 3);
  auto rd = endure::store::reader::open(dir + "/" + old_id);
  ASSERT_TRUE(rd) << rd.err().message;
  auto old_totals = (*rd)->totals();
  ASSERT_TRUE(old_totals);
  const uint64_t old_requests = (*old_totals)->aggregated.num_requests;
  ASSERT_GT(old_requests, 100000u);

  web_endure e({"-H", shop.url(), "--store", dir, "--autostart", "-u", "2", "-r", "100", "--stop-timeout", "5s"});
  ASSERT_FALSE(e.url().empty());
  const std::string u = e.url();

  // The Runs listing: the synthetic run and this one, newest first.
  auto runs = http(u + "/runs").j();
  ASSERT_EQ(runs["runs"].size(), 2u) << runs.dump();
  EXPECT_EQ(runs["folder"], dir);
  const std::string current = runs["current"];
  EXPECT_NE(current, old_id);
  EXPECT_EQ(runs["runs"][0]["id"], current);
  EXPECT_EQ(runs["runs"][0]["current"], true);
  const auto& old = runs["runs"][1];
  EXPECT_EQ(old["id"], old_id);
  EXPECT_EQ(old["num_requests"], old_requests);
  EXPECT_EQ(old["ended"], "run time");
  EXPECT_EQ(old["locustfile"], "synthetic");

  // Opened read-only: its totals as Locust's /stats/requests, and its charts over three days.
  auto st = http(u + "/runs/" + old_id + "/stats");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(total_requests(st.j()), old_requests);
  EXPECT_EQ(st.j()["stats"].size(), 6u);  // 5 endpoints and Aggregated
  auto h = http(u + "/runs/" + old_id + "/history?points=400&from=" + std::to_string(t0) + "&to=" +
                std::to_string(t0 + 3 * 86400));
  ASSERT_EQ(h.status, 200) << h.body;
  auto hj = h.j();
  EXPECT_EQ(hj["source"], "store");
  EXPECT_LE(hj["points"].size(), 400u);
  EXPECT_GE(hj["points"].size(), 200u);
  EXPECT_GE(hj["level_s"].get<double>(), 3 * 86400.0 / 400);
  EXPECT_NEAR(hj["run_first"].get<double>(), static_cast<double>(t0), 1.0);
  double prev_t = 0, users_max = 0;
  for (const auto& p : hj["points"]) {
    EXPECT_GT(p["t"].get<double>(), prev_t);
    prev_t = p["t"].get<double>();
    if (!p["p95"].is_null()) {
      EXPECT_GT(p["p95"].get<double>(), 1.0);
    }
    users_max = std::max(users_max, p["users"].get<double>());
  }
  EXPECT_GT(users_max, 0.0);
  // Unknown ids and paths are refused; nothing outside the folder is reachable.
  EXPECT_EQ(http(u + "/runs/nothing.db/stats").status, 404);
  EXPECT_EQ(http(u + "/runs/..%2F..%2Fetc%2Fpasswd/store").status, 404);
  EXPECT_EQ(http(u + "/runs/%2Fetc%2Fpasswd/history").status, 404);
  // The download is the store itself: it reads back with the same totals.
  fs::create_directories(dir + "/dl");
  auto dl = run_process({"curl", "-s", "-f", "-m", "20", "-o", dir + "/dl/old.db", u + "/runs/" + old_id + "/store"}, {}, 30s);
  ASSERT_EQ(dl.exit_code, 0) << dl.err;
  auto back = endure::store::reader::open(dir + "/dl/old.db");
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_EQ((*(*back)->totals())->aggregated.num_requests, old_requests);

  // This run: load, then a reset; the history before the reset comes from its store.
  auto before = poll(u, [](const json& j) { return total_requests(j) > 50; });
  ASSERT_GT(total_requests(before), 50u);
  std::this_thread::sleep_for(2s);  // the store has the first seconds
  ASSERT_EQ(http(u + "/stats/reset").body, "ok");
  const double now = static_cast<double>(std::time(nullptr));
  auto mine = http(u + "/history?points=100&from=" + std::to_string(now - 600) + "&to=" + std::to_string(now + 5)).j();
  EXPECT_EQ(mine["source"], "store") << mine.dump();
  EXPECT_GE(mine["points"].size(), 1u);
  // The live store downloads whole, while it is being written.
  auto live = run_process({"curl", "-s", "-f", "-m", "20", "-o", dir + "/dl/live.db", u + "/store"}, {}, 30s);
  ASSERT_EQ(live.exit_code, 0) << live.err;
  auto lrd = endure::store::reader::open(dir + "/dl/live.db");
  ASSERT_TRUE(lrd) << lrd.err().message;
  // Every statistics segment so far: the requests before the reset are in it.
  endure::store::window all;
  all.from_wall_s = 0;
  auto ltot = (*lrd)->totals(all);
  ASSERT_TRUE(ltot) << ltot.err().message;
  EXPECT_GE((*ltot)->aggregated.num_requests, 50u);

  e.proc().signal(SIGINT);
  EXPECT_EQ(e.proc().wait(30s).exit_code, 0);
}

// The locustfile's own options (init_command_line_parser) in the start form and POST /swarm under
// their dest names, as Locust's; its load shape as shape_class (with --class-picker, "Default" or
// the shape's name). The request names show the values the locustfile's users saw.
TEST(web_ui, swarm_sets_the_locustfiles_options_and_picks_its_load_shape) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string file = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/web_options.py";
  web_endure e({"-H", shop.url(), "--no-store", "--class-picker", "--section", "toys"}, file);
  ASSERT_FALSE(e.url().empty()) << "no Web UI: line";
  const std::string u = e.url();

  // The form offers the options with their help and current values (the command line's
  // --section, the others' defaults), and the shape.
  auto page = http(u + "/");
  auto at = page.body.find("window.endureConfig = ");
  ASSERT_NE(at, std::string::npos);
  auto cfg = json::parse(page.body.substr(at + 22, page.body.find(";</script>", at) - at - 22), nullptr, false);
  ASSERT_FALSE(cfg.is_discarded()) << page.body.substr(at, 400);
  EXPECT_EQ(cfg["shape_classes"], json::array({"ThreeUsers"}));
  ASSERT_EQ(cfg["custom_options"].size(), 3u) << cfg.dump();
  EXPECT_EQ(cfg["custom_options"][0]["dest"], "page_size");
  EXPECT_EQ(cfg["custom_options"][0]["value"], "5");
  EXPECT_EQ(cfg["custom_options"][0]["type"], "int");
  EXPECT_EQ(cfg["custom_options"][0]["help"], "products per page (default 5)");
  EXPECT_EQ(cfg["custom_options"][1]["value"], "toys");
  EXPECT_EQ(cfg["custom_options"][1]["choices"], json::array({"books", "toys"}));
  EXPECT_EQ(cfg["custom_options"][2]["is_flag"], true);
  EXPECT_EQ(cfg["custom_options"][2]["value"], "false");

  // Bad values: 400, Locust's {"success": false, "message": ...}, nothing starts.
  auto bad_int = post(u + "/swarm", "user_count=2&spawn_rate=10&page_size=lots");
  EXPECT_EQ(bad_int.status, 400);
  EXPECT_EQ(bad_int.j()["success"], false);
  EXPECT_EQ(bad_int.j()["message"], "page_size: 'lots' is not a whole number (the locustfile's option --page-size)");
  auto bad_choice = post(u + "/swarm", "user_count=2&spawn_rate=10&section=food");
  EXPECT_EQ(bad_choice.status, 400);
  EXPECT_EQ(bad_choice.j()["message"], "section: 'food' is not one of books, toys (the locustfile's option --section)");
  auto bad_shape = post(u + "/swarm", "user_count=2&spawn_rate=10&shape_class=Waves");
  EXPECT_EQ(bad_shape.status, 400);
  EXPECT_EQ(bad_shape.j()["message"], "shape_class: 'Waves' is not a load shape of this locustfile (Default, ThreeUsers)");
  EXPECT_EQ(http(u + "/stats/requests").j()["state"], "ready");

  // "Default" (as --class-picker's form sends): the form's 2 users, the options set by it.
  auto started = post(u + "/swarm", "user_count=2&spawn_rate=100&shape_class=Default&page_size=42&with_cart=true");
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.j()["message"], "Swarming started");
  auto running = poll(u, [](const json& j) { return j["user_count"] == 2 && j["stats"].size() >= 2; });
  EXPECT_EQ(running["user_count"], 2);
  ASSERT_GE(running["stats"].size(), 2u) << running.dump();
  EXPECT_EQ(running["stats"][0]["name"], "/products size=42 toys cart=True");
  EXPECT_EQ(http(u + "/stop").status, 200);
  poll(u, [](const json& j) { return j["state"] == "stopped"; });

  // The shape by name: its 3 users whatever user_count says; the options keep their last values
  // unless the form sends new ones.
  auto shaped = post(u + "/swarm", "user_count=1&spawn_rate=1&shape_class=ThreeUsers&section=books");
  ASSERT_EQ(shaped.status, 200) << shaped.body;
  EXPECT_EQ(shaped.j()["message"], "Swarming started using the locustfile's load shape");
  EXPECT_EQ(shaped.j()["shape_class"], "ThreeUsers");
  auto by_shape = poll(u, [](const json& j) { return j["user_count"] == 3 && j["stats"].size() >= 2; });
  EXPECT_EQ(by_shape["user_count"], 3);
  ASSERT_GE(by_shape["stats"].size(), 2u) << by_shape.dump();
  EXPECT_EQ(by_shape["stats"][0]["name"], "/products size=42 books cart=True");
  EXPECT_EQ(http(u + "/stop").status, 200);
  poll(u, [](const json& j) { return j["state"] == "stopped"; });
  e.proc().signal(SIGINT);
  auto r = e.proc().wait(20s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// The soak verdict live in the UI (GET /verdict): none before a test, the run's live judgement
// after its first few intervals (with the thresholds passed or failed, as the console prints
// them), the final one after the stop. And /history's percentile choice: p50/p90/p95/p99/p99.9
// of each point, from merged histograms (ordered as percentiles are).
TEST(web_ui, the_soak_verdict_is_live_and_history_offers_every_percentile) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  web_endure e({"-H", shop.url(), "--no-store", "--threshold", "fail_ratio<0.5", "--threshold", "p95<1us"});
  ASSERT_FALSE(e.url().empty()) << "no Web UI: line";
  const std::string u = e.url();
  auto none = http(u + "/verdict");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.j()["state"], "none");

  ASSERT_EQ(post(u + "/swarm", "user_count=2&spawn_rate=100").status, 200);
  // The run judges every 10 intervals (1 s each): the first live verdict within ~11 s.
  json live;
  auto end = std::chrono::steady_clock::now() + 25s;
  while (std::chrono::steady_clock::now() < end) {
    live = http(u + "/verdict").j();
    if (!live.is_discarded() && live["state"] == "live") break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_EQ(live["state"], "live") << live.dump();
  EXPECT_GT(live["at"].get<double>(), 1e9);
  EXPECT_NE(live["table"].get<std::string>().find("Soak verdict"), std::string::npos) << live["table"];
  EXPECT_NE(live["table"].get<std::string>().find("p95<1us"), std::string::npos) << live["table"];
  ASSERT_EQ(live["verdict"]["thresholds"].size(), 2u) << live.dump();
  EXPECT_EQ(live["verdict"]["thresholds"][0]["threshold"], "fail_ratio<0.5");
  EXPECT_EQ(live["verdict"]["thresholds"][0]["status"], "passed");
  EXPECT_EQ(live["verdict"]["thresholds"][1]["status"], "failed");
  EXPECT_TRUE(live["verdict"]["series"].is_array());

  // Every percentile of each point, ordered (the same merged histogram answers them all).
  auto h = http(u + "/history?points=4&from=0&to=99999999999").j();
  ASSERT_GE(h["points"].size(), 1u) << h.dump();
  size_t checked = 0;
  for (const auto& p : h["points"]) {
    if (p["p50"].is_null()) continue;
    for (const char* k : {"p90", "p95", "p99", "p999"}) ASSERT_TRUE(p[k].is_number()) << p.dump();
    EXPECT_LE(p["p50"].get<double>(), p["p90"].get<double>());
    EXPECT_LE(p["p90"].get<double>(), p["p95"].get<double>());
    EXPECT_LE(p["p95"].get<double>(), p["p99"].get<double>());
    EXPECT_LE(p["p99"].get<double>(), p["p999"].get<double>());
    ++checked;
  }
  EXPECT_GE(checked, 1u) << h.dump();

  EXPECT_EQ(http(u + "/stop").status, 200);
  json final_verdict;
  end = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < end) {
    final_verdict = http(u + "/verdict").j();
    if (!final_verdict.is_discarded() && final_verdict["state"] == "final") break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(final_verdict["state"], "final") << final_verdict.dump();
  EXPECT_EQ(final_verdict["verdict"]["thresholds"][1]["status"], "failed");
  e.proc().signal(SIGINT);
  auto r = e.proc().wait(20s);
  EXPECT_EQ(r.exit_code, 3) << r.err;  // a threshold failed
}

// A click on an endpoint's row asks for that endpoint's chart (GET /history?entry=METHOD%20NAME)
// and the charts page asks for the monitored target's series (&monitor=1) on the same time axis:
// both from the run store, live; a bad entry is 400 and a run without a store answers 404.
TEST(web_ui, endpoint_and_target_charts_come_from_the_run_store) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("web_entry");
  web_endure e({"-H", shop.url(), "--store", dir + "/run.db", "--monitor-disk", dir});
  ASSERT_FALSE(e.url().empty()) << "no Web UI: line";
  const std::string u = e.url();
  ASSERT_EQ(post(u + "/swarm", "user_count=2&spawn_rate=100").status, 200);
  const std::string window = "&points=50&from=0&to=99999999999";
  json entry, monitor;
  auto end = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < end) {
    entry = http(u + "/history?entry=GET%20%2Fproducts" + window).j();
    monitor = http(u + "/history?monitor=1" + window).j();
    if (!entry.is_discarded() && entry["points"].size() >= 2 && !monitor.is_discarded() &&
        monitor["monitor"].size() >= 1 && monitor["monitor"][0]["points"].size() >= 2)
      break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_GE(entry["points"].size(), 2u) << entry.dump();
  EXPECT_EQ(entry["source"], "store");
  EXPECT_EQ(entry["entry"]["method"], "GET");
  EXPECT_EQ(entry["entry"]["name"], "/products");
  // /products is two thirds of ShopUser's tasks and all of Browser's: its rate is most of the total.
  auto agg = http(u + "/history?monitor=1" + window).j();
  double entry_rps = 0, total_rps = 0;
  for (const auto& p : entry["points"]) entry_rps += p["rps"].get<double>();
  for (const auto& p : agg["points"]) total_rps += p["rps"].get<double>();
  EXPECT_GT(entry_rps, 0.5 * total_rps) << entry.dump() << agg.dump();
  EXPECT_LT(entry_rps, total_rps) << entry.dump() << agg.dump();
  ASSERT_GE(monitor["monitor"].size(), 1u) << monitor.dump();
  EXPECT_NE(monitor["monitor"][0]["source"].get<std::string>().find("disk"), std::string::npos) << monitor.dump();
  EXPECT_GT(monitor["monitor"][0]["points"][0][1].get<double>(), 0) << monitor.dump();
  // The monitor's points share the load's time axis (Unix seconds, within the run).
  EXPECT_NEAR(monitor["monitor"][0]["points"].back()[0].get<double>(), monitor["points"].back()["t"].get<double>(), 5);
  auto bad = http(u + "/history?entry=GET");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.j()["message"].get<std::string>().find("entry is a method, a space and a name"), std::string::npos);
  EXPECT_EQ(http(u + "/stop").status, 200);
  poll(u, [](const json& j) { return j["state"] == "stopped"; });
  e.proc().signal(SIGINT);
  auto r = e.proc().wait(20s);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  web_endure none({"-H", shop.url(), "--no-store"});
  auto no_store = http(none.url() + "/history?entry=GET%20%2Fproducts");
  EXPECT_EQ(no_store.status, 404);
  EXPECT_NE(no_store.j()["message"].get<std::string>().find("--no-store"), std::string::npos) << no_store.body;
  none.proc().signal(SIGINT);
  EXPECT_EQ(none.proc().wait(20s).exit_code, 0);
}

// A C++ locustfile's own options (parser.add_argument) set from POST /swarm reach its
// environment.parsed_options() for the test started: its test_start listener prints them.
TEST(web_ui, swarm_sets_a_cpp_locustfiles_options) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  web_endure e({"-H", shop.url(), "--no-store", "--stop-timeout", "5s"},
               ENDURE_SOURCE_DIR "/tests/cli/locustfiles/api/events_hooks.cpp");
  ASSERT_FALSE(e.url().empty()) << "no Web UI: line";
  const std::string u = e.url();
  auto bad = post(u + "/swarm", "user_count=3&spawn_rate=100&count=4.5");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["message"], "count: '4.5' is not a whole number (the locustfile's option --count)");
  auto started = post(u + "/swarm", "user_count=3&spawn_rate=100&count=42&mode=slow&fast=true&ratio=0.25");
  ASSERT_EQ(started.status, 200) << started.body;
  auto out = e.proc().wait_for_stdout("EVENT test_start count=42 mode=slow fast=true", 20s);
  EXPECT_NE(out.find("EVENT test_start count=42 mode=slow fast=true"), std::string::npos) << out;
  EXPECT_EQ(http(u + "/stop").status, 200);
  poll(u, [](const json& j) { return j["state"] == "stopped"; });
  e.proc().signal(SIGINT);
  e.proc().wait(30s);
}
