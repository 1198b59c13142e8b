// exports::influx_lines, parse_influx_target and influx_writer: line protocol
// exact and escaped, URLs of both InfluxDB versions, and the writer against a
// server of ours on loopback: batches gzip-compressed and authenticated, a 5xx
// retried, a 4xx dropped and counted, a full queue dropping (and counting) new
// points instead of growing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "exports/influx_lines.hpp"
#include "exports/influx_writer.hpp"
#include "server/http_server.hpp"
#include "stats/histogram.hpp"

namespace endure::exports {
namespace {

std::string gunzip(const std::string &in) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(influx_lines, one_point_per_entry_error_class_and_sample) {
  stats::interval_record r;
  r.start_wall_s = 1700000000.0;
  r.end_wall_s = 1700000001.0;
  stats::entry_delta e;
  e.method = "GET";
  e.name = "/a b,c=d";
  e.requests = 4;
  e.failures = 1;
  e.sum_us = 4000;
  e.min_us = 500;
  e.max_us = 2000;
  e.content_bytes = 100;
  e.latency = {{stats::histogram::bucket_index(500), 1},
               {stats::histogram::bucket_index(750), 2},
               {stats::histogram::bucket_index(2000), 1}};
  r.data.entries.push_back(e);
  r.data.failures.push_back({"GET", "/a b,c=d", "500 Server Error", 1, 0, 0});
  r.user_count = 3;
  r.users_by_class = {{"Shopper", 3}};
  r.health.cpu_percent = 12.5;
  r.health.rss_bytes = 1000;
  r.monitor.push_back({"pid 42", "rss_bytes", 2e6});
  influx_tags tags;
  tags.common = {{"run", "r1"}, {"locustfile", ""}};
  size_t points = 0;
  const std::string lines = influx_lines(r, tags, points);
  EXPECT_EQ(points, 6u);
  const std::string common = ",run=r1,locustfile=(empty),node=local";
  EXPECT_NE(lines.find("endure_requests" + common +
                       ",method=GET,name=/a\\ b\\,c\\=d "
                       "requests=4i,failures=1i,rps=4,bytes=100i,"
                       "min=0.5,max=2,mean=1,p50=0.75"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find(" 1700000001000\n"), std::string::npos);
  EXPECT_NE(lines.find("endure_errors" + common +
                       ",method=GET,name=/a\\ b\\,c\\=d,error=500\\ Server\\ "
                       "Error failures=1i "),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("endure_users" + common + ",class=(all) users=3i "),
            std::string::npos);
  EXPECT_NE(lines.find("endure_users" + common + ",class=Shopper users=3i "),
            std::string::npos);
  EXPECT_NE(lines.find("endure_generator" + common +
                       " cpu_percent=12.5,rss_bytes=1000i,loop_lag_ms=0 "),
            std::string::npos);
  EXPECT_NE(lines.find("endure_monitor" + common +
                       ",source=pid\\ 42,metric=rss_bytes value=2000000 "),
            std::string::npos);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 6);
}

TEST(influx_target, both_versions_and_clear_errors) {
  auto v1 = parse_influx_target("http://me:s3cret@db:8086/endure", "", "", "");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->write_url, "http://db:8086/write?db=endure&precision=ms");
  EXPECT_EQ(v1->user, "me");
  EXPECT_EQ(v1->password, "s3cret");
  EXPECT_EQ(v1->display, "http://db:8086/endure"); // no credentials in messages
  auto v2 = parse_influx_target("https://cloud:8086/", "my org", "soak", "tok");
  ASSERT_TRUE(v2);
  EXPECT_EQ(
      v2->write_url,
      "https://cloud:8086/api/v2/write?org=my%20org&bucket=soak&precision=ms");
  EXPECT_EQ(v2->token, "tok");
  EXPECT_FALSE(parse_influx_target("http://db:8086", "", "",
                                   "")); // 1.x needs a database
  EXPECT_FALSE(parse_influx_target("db:8086/endure", "", "", "")); // not a URL
  EXPECT_FALSE(parse_influx_target("http://db:8086/a/b", "", "", ""));
  auto partial = parse_influx_target("http://db:8086", "org", "", "tok");
  ASSERT_FALSE(partial);
  EXPECT_EQ(partial.err().message, "InfluxDB 2.x needs all of --influxdb-org, "
                                   "--influxdb-bucket and --influxdb-token");
}

struct fake_influx {
  server::http_server srv;
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::vector<std::string> auth;
  std::atomic<int> fail_next{0};
  std::atomic<int> status{204};
  fake_influx() {
    srv.route("POST", "/write",
              [this](const server::request &req, server::responder res) {
                if (fail_next.load() > 0) {
                  --fail_next;
                  res.send(server::response::text(503, "busy"));
                  return;
                }
                {
                  std::lock_guard lock(mutex);
                  EXPECT_EQ(req.header("Content-Encoding").value_or(""),
                            "gzip");
                  bodies.push_back(gunzip(req.body));
                  auth.emplace_back(req.header("Authorization").value_or(""));
                }
                res.send(server::response::text(
                    status.load(), status.load() >= 400
                                       ? "{\"error\":\"database not found\"}"
                                       : ""));
              });
    // InfluxDB 2.x's write API: org and bucket in the query, a token in Authorization.
    srv.route("POST", "/api/v2/write",
              [this](const server::request &req, server::responder res) {
                {
                  std::lock_guard lock(mutex);
                  bodies.push_back(gunzip(req.body));
                  auth.emplace_back(req.header("Authorization").value_or(""));
                  v2_query.emplace_back(std::string(req.query_param("org").value_or("")) + "|" +
                                        std::string(req.query_param("bucket").value_or("")) + "|" +
                                        std::string(req.query_param("precision").value_or("")));
                }
                res.send(server::response::text(204, ""));
              });
    EXPECT_TRUE(srv.start());
  }
  std::vector<std::string> v2_query;
  std::string url() {
    return "http://u:p@127.0.0.1:" + std::to_string(srv.port()) + "/endure";
  }
};

TEST(influx_writer, batches_are_gzipped_authenticated_and_retried) {
  fake_influx fake;
  fake.fail_next = 1; // the first attempt gets a 503: retried after the backoff
  auto t = parse_influx_target(fake.url(), "", "", "");
  ASSERT_TRUE(t);
  influx_writer w(*t, 1000, 4);
  for (int i = 0; i < 10; ++i)
    w.push("m v=" + std::to_string(i) + "i " + std::to_string(1000 + i) + "\n",
           1);
  w.finish(std::chrono::seconds(10));
  auto c = w.counters();
  EXPECT_EQ(c.written, 10u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_GE(c.retries, 1u);
  std::string all;
  for (const auto &b : fake.bodies)
    all += b;
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(all.find("m v=" + std::to_string(i) + "i "), std::string::npos);
  ASSERT_FALSE(fake.auth.empty());
  EXPECT_EQ(fake.auth[0], "Basic dTpw"); // u:p
  for (const auto &b : fake.bodies)
    EXPECT_LE(std::count(b.begin(), b.end(), '\n'), 4); // batches of at most 4
}

// The 2.x form (--influxdb URL --influxdb-org --influxdb-bucket --influxdb-token): the points go
// to /api/v2/write with the org and bucket asked for and "Token T" as the credentials.
TEST(influx_writer, a_2x_target_writes_with_org_bucket_and_token) {
  fake_influx fake;
  auto t = parse_influx_target("http://127.0.0.1:" + std::to_string(fake.srv.port()), "my org", "soak", "T0k");
  ASSERT_TRUE(t);
  influx_writer w(*t, 1000, 100);
  w.push("m v=1i 1000\n", 1);
  w.push("m v=2i 1001\n", 1);
  w.finish(std::chrono::seconds(10));
  EXPECT_EQ(w.counters().written, 2u);
  std::lock_guard lock(fake.mutex);
  ASSERT_FALSE(fake.v2_query.empty());
  EXPECT_EQ(fake.v2_query[0], "my org|soak|ms");
  EXPECT_EQ(fake.auth[0], "Token T0k");
  std::string all;
  for (const auto &b : fake.bodies) all += b;
  EXPECT_NE(all.find("m v=1i 1000\n"), std::string::npos);
  EXPECT_NE(all.find("m v=2i 1001\n"), std::string::npos);
}

TEST(influx_writer, a_rejected_batch_is_dropped_and_counted) {
  fake_influx fake;
  fake.status = 404;
  auto t = parse_influx_target(fake.url(), "", "", "");
  influx_writer w(*t);
  w.push("m v=1i 1\nm v=2i 2\n", 2);
  w.finish(std::chrono::seconds(5));
  EXPECT_EQ(w.counters().rejected, 2u);
  EXPECT_EQ(w.counters().written, 0u);
}

TEST(influx_writer,
     a_full_queue_drops_new_points_and_a_dead_server_never_blocks_push) {
  // Nothing listens on this port: every batch fails and waits; the queue holds
  // 5 points.
  server::http_server probe;
  ASSERT_TRUE(probe.start());
  const int port = probe.port();
  probe.stop();
  auto t = parse_influx_target(
      "http://127.0.0.1:" + std::to_string(port) + "/endure", "", "", "");
  influx_writer w(*t, 5, 5);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i)
    w.push("m v=1i " + std::to_string(i) + "\n", 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  w.finish(std::chrono::milliseconds(300));
  const auto c = w.counters();
  EXPECT_EQ(c.written, 0u);
  EXPECT_EQ(c.dropped, 100u); // 95 refused by the full queue, 5 left at the end
}

} // namespace
} // namespace endure::exports
