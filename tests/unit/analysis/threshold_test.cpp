// --threshold and --limit: every form of the grammar, the one-line refusals, and evaluation on
// records (exact percentiles, trailing windows, worst monitor values) and on series (slopes that
// fail only when significant).
#include "analysis/threshold.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/series_collector.hpp"
#include "analysis/threshold_eval.hpp"
#include "base/rng.hpp"
#include "stats/histogram.hpp"

using namespace endure;
using namespace endure::analysis;

TEST(threshold, the_forms_of_the_issue_parse) {
  auto t = parse_threshold("p95<500ms");
  ASSERT_TRUE(t) << t.err().message;
  EXPECT_TRUE(t->aggregated);
  EXPECT_EQ(t->metric, threshold_metric::quantile);
  EXPECT_DOUBLE_EQ(t->quantile, 0.95);
  EXPECT_EQ(t->op, comparison::lt);
  EXPECT_DOUBLE_EQ(t->limit, 500);
  EXPECT_EQ(t->u, unit::ms);

  t = parse_threshold("fail_ratio<0.01");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->metric, threshold_metric::fail_ratio);
  EXPECT_DOUBLE_EQ(t->limit, 0.01);
  EXPECT_DOUBLE_EQ(parse_threshold("fail_ratio <= 1%")->limit, 0.01);

  t = parse_threshold("p95.slope<2ms/h");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->slope);
  EXPECT_DOUBLE_EQ(t->limit, 2.0 / 3600);

  t = parse_threshold("target.rss.slope<10MB/h");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->metric, threshold_metric::target);
  EXPECT_EQ(t->sub_metric, "rss");
  EXPECT_EQ(t->u, unit::bytes);
  EXPECT_DOUBLE_EQ(t->limit, 10e6 / 3600);

  t = parse_threshold("GET /products: p99<1s");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->aggregated);
  EXPECT_EQ(t->method, "GET");
  EXPECT_EQ(t->name, "/products");
  EXPECT_DOUBLE_EQ(t->limit, 1000);
  EXPECT_EQ(t->scope(), "GET /products");
  EXPECT_EQ(t->text, "GET /products: p99<1s");

  t = parse_threshold("/api/v1:x: p(99.9)[10m]>=2.5s");  // a name with ':' and k6's p(N)
  ASSERT_TRUE(t) << t.err().message;
  EXPECT_EQ(t->method, "");
  EXPECT_EQ(t->name, "/api/v1:x");
  EXPECT_NEAR(t->quantile, 0.999, 1e-12);
  EXPECT_EQ(*t->window_s, 600);
  EXPECT_EQ(t->op, comparison::ge);
  EXPECT_EQ(t->metric_name(), "p99.9");

  EXPECT_EQ(parse_threshold("rps>100")->u, unit::per_s);
  EXPECT_EQ(parse_threshold("generator.cpu<80%")->limit, 80);
  EXPECT_DOUBLE_EQ(parse_threshold("avg<250us")->limit, 0.25);
  EXPECT_DOUBLE_EQ(parse_threshold("target.fds.slope<5/d")->limit, 5.0 / 86400);
  EXPECT_DOUBLE_EQ(parse_threshold("fail_ratio.slope<0.1%/h")->limit, 0.001 / 3600);
  EXPECT_EQ(parse_threshold("Aggregated: max<3s")->aggregated, true);
}

TEST(threshold, malformed_expressions_say_what_is_wrong_in_one_line) {
  struct bad_case {
    const char* text;
    const char* says;
  };
  for (const auto& c : std::vector<bad_case>{
           {"", "it is empty"},
           {"p95", "no comparison"},
           {"latency<5ms", "unknown metric 'latency'"},
           {"p95<<500ms", "'<500ms' is not a number"},
           {"p95<500MB", "is a time"},
           {"p95<fast", "'fast' is not a number"},
           {"p95.slope<2ms", "per time"},
           {"p90.slope<2ms/h", "slopes exist for p50, p95, p99"},
           {"p100<1s", "p1 to p99.99"},
           {"p95[soon]<1s", "a window is a duration"},
           {"GET /x: target.rss<1GB", "no entry scope"},
           {"generator.disk<1", "generator.cpu, generator.lag and generator.rss"},
           {"fail_ratio<5ms", "a ratio"},
           {"lat\nency<1s", "unknown metric 'lat?ency'"},  // found by fuzzing: stays one line
       }) {
    auto t = parse_threshold(c.text);
    ASSERT_FALSE(t) << c.text;
    EXPECT_NE(t.err().message.find(c.says), std::string::npos)
        << c.text << " -> " << t.err().message;
    EXPECT_EQ(t.err().message.find('\n'), std::string::npos);
    EXPECT_EQ(t.err().code, 2);
  }
}

TEST(threshold, limits_parse_with_units) {
  auto l = parse_limit("rss=8GB");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->metric, "rss");
  EXPECT_DOUBLE_EQ(l->value, 8e9);
  EXPECT_DOUBLE_EQ(parse_limit("target.rss = 2GiB")->value, 2147483648.0);
  EXPECT_DOUBLE_EQ(parse_limit("disk_free=0")->value, 0);
  EXPECT_DOUBLE_EQ(parse_limit("p95=2s")->value, 2000);
  EXPECT_DOUBLE_EQ(parse_limit("fail_ratio=5%")->value, 0.05);
  EXPECT_DOUBLE_EQ(parse_limit("fds=1024")->value, 1024);
  EXPECT_FALSE(parse_limit("rss"));
  EXPECT_FALSE(parse_limit("rss=lots"));
  EXPECT_FALSE(parse_limit("r s=1"));
}

namespace {

stats::interval_record record(uint64_t id, const std::vector<uint64_t>& us, const std::string& name,
                              uint64_t failures = 0) {
  stats::interval_record r;
  r.id = id;
  r.start_wall_s = static_cast<double>(id);
  r.end_wall_s = static_cast<double>(id + 1);
  stats::histogram h;
  for (auto v : us) h.record(v);
  stats::entry_delta e;
  e.method = "GET";
  e.name = name;
  e.requests = us.size();
  e.failures = failures;
  e.min_us = h.min();
  e.max_us = h.max();
  e.sum_us = h.sum();
  e.latency = h.to_sparse();
  r.data.entries.push_back(e);
  return r;
}

std::vector<threshold> parse_all(std::initializer_list<const char*> texts) {
  std::vector<threshold> out;
  for (auto* t : texts) out.push_back(*parse_threshold(t));
  return out;
}

}  // namespace

TEST(threshold_eval, plain_thresholds_over_the_run_and_a_trailing_window) {
  threshold_evaluator ev(
      parse_all({"p95<50ms", "GET /slow: p95<50ms", "GET /slow: p95[10s]<50ms", "fail_ratio<0.001",
                 "requests>100", "GET /nothing: p50<1s", "target.rss<1GB", "max<1s"}));
  // 60 s: /fast always 10 ms; /slow 80 ms in the first 30 s, 20 ms after; 1 failure in 100.
  for (uint64_t i = 0; i < 60; ++i) {
    auto r = record(100 + i, std::vector<uint64_t>(99, 10'000), "/fast", i % 10 == 0 ? 2 : 0);
    auto slow = record(100 + i, std::vector<uint64_t>(10, i < 30 ? 80'000 : 20'000), "/slow");
    r.data.entries.push_back(slow.data.entries[0]);
    r.monitor.push_back({"pid 1", "rss_bytes", i == 40 ? 2e9 : 5e8});
    ev.add(r);
  }
  auto res = ev.evaluate({}, {}, {});
  ASSERT_EQ(res.size(), 8u);
  EXPECT_EQ(res[0].status, threshold_status::passed);  // Aggregated p95: 10 ms (/fast is 90%)
  EXPECT_NEAR(res[0].value, 20, 0.1);
  EXPECT_EQ(res[1].status, threshold_status::failed);  // /slow over the run: half at 80 ms
  EXPECT_NEAR(res[1].value, 80, 0.1);
  EXPECT_EQ(res[2].status, threshold_status::passed);  // /slow, last 10 s: 20 ms
  EXPECT_NEAR(res[2].value, 20, 0.1);
  EXPECT_EQ(res[3].status, threshold_status::failed);  // 12 failures in 6540 requests
  EXPECT_NEAR(res[3].value, 12.0 / 6540, 1e-12);
  EXPECT_EQ(res[4].status, threshold_status::passed);
  EXPECT_EQ(res[5].status, threshold_status::no_data);
  EXPECT_EQ(res[5].note, "no request matched");
  EXPECT_EQ(res[6].status, threshold_status::failed);  // the worst sample, 2 GB at 40 s
  EXPECT_EQ(res[6].where, "pid 1 rss_bytes");
  EXPECT_EQ(res[7].status, threshold_status::passed);
}

TEST(threshold_eval, slope_thresholds_fail_only_on_a_significant_slope_past_the_limit) {
  // 10 minutes of intervals: /creep's latency creeping +60 ms/h (1 ms a minute) with noise, /flat
  // flat; RSS of two processes, one flat, one leaking 36 MB/h; a connection count drifting a bit.
  const uint64_t seed = 5;
  base::rng rng(seed);
  series_collector c;
  threshold_evaluator ev(parse_all({"p95.slope<10ms/h", "p95.slope<200ms/h",
                                    "target.conns.slope<0/h", "target.rss.slope<10MB/h",
                                    "target.rss.slope[2m]<10MB/h", "target.fds.slope<1/h"}));
  for (uint64_t i = 0; i < 600; ++i) {
    std::vector<uint64_t> us(100), flat(100);
    for (auto& v : us) v = 20'000 + i * 1000 / 60 + rng.below(4000);
    for (auto& v : flat) v = 20'000 + rng.below(4000);
    auto r = record(1000 + i, us, "/creep");
    r.data.entries.push_back(record(1000 + i, flat, "/flat").data.entries[0]);
    r.monitor.push_back({"pid 1", "rss_bytes", 5e8 + 1e6 * rng.uniform()});
    // A drift of 0.5 over the run under noise of +-20: past a limit of 0, not significant.
    r.monitor.push_back(
        {"pid 1", "conns", 100 + 0.5 * static_cast<double>(i) / 600 + 40 * rng.uniform()});
    r.monitor.push_back(
        {"pid 2", "rss_bytes", 5e8 + 1e4 * static_cast<double>(i) + 1e5 * rng.uniform()});
    c.add(r);
    ev.add(r);
  }
  auto run = c.to_run_series();
  verdict_config cfg;
  auto whole = judge(run, cfg);
  auto res = ev.evaluate(run, whole, cfg);
  ASSERT_EQ(res.size(), 6u);
  EXPECT_EQ(res[0].status, threshold_status::failed) << res[0].note << " seed " << seed;
  // The Aggregated p95 is /creep's p90 (its requests are the slower half): it creeps as /creep.
  EXPECT_NEAR(res[0].value * 3600, 60, 10);
  EXPECT_EQ(res[1].status, threshold_status::passed);
  EXPECT_EQ(res[2].status, threshold_status::passed) << res[2].value * 3600;
  EXPECT_EQ(res[2].note.rfind("not significant", 0), 0u)
      << res[2].note << " slope " << res[2].value * 3600 << " ms/h";
  EXPECT_EQ(res[3].status, threshold_status::failed);
  EXPECT_EQ(res[3].where, "target pid 2 rss_bytes");
  EXPECT_NEAR(res[3].value * 3600, 36e6, 2e6);
  EXPECT_EQ(res[4].status, threshold_status::failed) << res[4].note;  // the last 2 minutes too
  EXPECT_EQ(res[5].status, threshold_status::no_data);
  EXPECT_EQ(res[5].note, "no monitor series matched");
}
