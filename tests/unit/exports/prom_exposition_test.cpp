// exports::prom_exposition: records summed exactly into counters and histogram
// buckets (cumulative, +Inf equal to the count), failures per error, the latest
// monitor samples, label values escaped; the output parses as Prometheus text
// (endure's own parser) and bucket lists are checked.
#include <gtest/gtest.h>

#include <map>

#include "exports/prom_exposition.hpp"
#include "monitor/prom_text.hpp"
#include "stats/histogram.hpp"

namespace endure::exports {
namespace {

stats::entry_delta entry(const std::string &method, const std::string &name,
                         std::vector<uint64_t> latencies_us,
                         uint64_t failures) {
  stats::entry_delta e;
  e.method = method;
  e.name = name;
  e.requests = latencies_us.size();
  e.failures = failures;
  std::map<uint32_t, uint64_t> counts;
  for (auto us : latencies_us) {
    e.sum_us += us;
    ++counts[stats::histogram::bucket_index(us)];
  }
  for (auto [i, n] : counts)
    e.latency.emplace_back(i, n);
  return e;
}

std::map<std::string, double> values(const std::string &text) {
  auto parsed = monitor::parse_prom_text(text);
  EXPECT_TRUE(parsed) << parsed.err().message;
  std::map<std::string, double> out;
  if (!parsed)
    return out;
  for (const auto &s : *parsed) {
    std::string key = s.name;
    for (const auto &[k, v] : s.labels)
      key += "|" + k + "=" + v;
    out[key] = s.value;
  }
  return out;
}

TEST(prom_exposition, counters_buckets_errors_and_monitor_samples) {
  prom_exposition p({0.001, 0.01, 0.1});
  stats::interval_record a;
  a.data.entries.push_back(
      entry("GET", "/a", {500, 900, 5'000, 50'000, 2'000'000}, 1));
  a.data.failures.push_back({"GET", "/a", "HTTPError('500')", 1, 0, 0});
  a.user_count = 7;
  a.monitor.push_back({"pid 42", "rss_bytes", 1e6});
  stats::interval_record b;
  b.data.entries.push_back(entry("GET", "/a", {1'500}, 0));
  b.data.entries.push_back(entry("POST", "/q\"x\\", {20}, 2));
  b.data.failures.push_back({"POST", "/q\"x\\", "timeout", 2, 0, 0});
  b.user_count = 9;
  b.monitor.push_back({"pid 42", "rss_bytes", 2e6});
  p.add(a);
  p.add(b);
  EXPECT_EQ(p.records(), 2u);
  auto v = values(p.render());
  const std::string ga = "|method=GET|name=/a";
  EXPECT_EQ(v["endure_requests_total" + ga], 6);
  EXPECT_EQ(v["endure_request_failures_total" + ga], 1);
  EXPECT_EQ(v["endure_request_errors_total" + ga + "|error=HTTPError('500')"],
            1);
  EXPECT_EQ(v["endure_request_duration_seconds_bucket" + ga + "|le=0.001"], 2);
  EXPECT_EQ(v["endure_request_duration_seconds_bucket" + ga + "|le=0.01"], 4);
  EXPECT_EQ(v["endure_request_duration_seconds_bucket" + ga + "|le=0.1"], 5);
  EXPECT_EQ(v["endure_request_duration_seconds_bucket" + ga + "|le=+Inf"], 6);
  EXPECT_EQ(v["endure_request_duration_seconds_count" + ga], 6);
  EXPECT_DOUBLE_EQ(v["endure_request_duration_seconds_sum" + ga], 2.0579);
  const std::string pq = "|method=POST|name=/q\"x\\";
  EXPECT_EQ(v["endure_requests_total" + pq], 1);
  EXPECT_EQ(v["endure_request_errors_total" + pq + "|error=timeout"], 2);
  EXPECT_EQ(v["endure_users"], 9);
  EXPECT_EQ(v["endure_monitor|source=pid 42|metric=rss_bytes"],
            2e6); // the latest
}

TEST(prom_exposition, entries_beyond_the_cap_are_counted_not_kept) {
  prom_exposition p(default_buckets(), 2);
  stats::interval_record r;
  for (int i = 0; i < 3; ++i)
    r.data.entries.push_back(entry("GET", "/" + std::to_string(i), {100}, 0));
  p.add(r);
  auto v = values(p.render());
  EXPECT_EQ(v["endure_entries_dropped_total"], 1);
  EXPECT_EQ(v.count("endure_requests_total|method=GET|name=/2"), 0u);
}

TEST(prom_exposition, bucket_lists) {
  auto ok = parse_buckets("0.005, 0.01,1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (std::vector<double>{0.005, 0.01, 1}));
  for (const char *bad : {"", "0,1", "1,0.5", "0.1,,1", "x", "-1", "1,1"})
    EXPECT_FALSE(parse_buckets(bad)) << bad;
}

} // namespace
} // namespace endure::exports
