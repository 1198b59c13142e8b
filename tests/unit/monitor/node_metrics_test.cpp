// monitor::node_metrics: the figures taken from two node_exporter scrapes
// (gauges at once, rates from counters on the second), pseudo file systems and
// loopback left out, restarts give no rate.
#include <gtest/gtest.h>

#include <map>

#include "monitor/node_exporter.hpp"
#include "report/csv.hpp"
#include "report/monitor.hpp"

namespace endure::monitor {
namespace {

std::string scrape(double idle, double user, double rx, double read) {
  auto n = [](double v) { return std::to_string(v); };
  return "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} " + n(idle) + "\n" +
         "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} " + n(user) + "\n" +
         "node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"} 5\n"
         "node_memory_MemAvailable_bytes 2.5e+09\n"
         "node_load1 1.5\n"
         "node_filesystem_avail_bytes{device=\"/dev/"
         "sda1\",fstype=\"ext4\",mountpoint=\"/\"} 1e+10\n"
         "node_filesystem_avail_bytes{device=\"tmpfs\",fstype=\"tmpfs\","
         "mountpoint=\"/run\"} 1e+08\n"
         "node_disk_read_bytes_total{device=\"sda\"} " +
         n(read) + "\n" +
         "node_disk_written_bytes_total{device=\"sda\"} 0\n"
         "node_disk_read_bytes_total{device=\"loop0\"} 12345\n"
         "node_network_receive_bytes_total{device=\"eth0\"} " +
         n(rx) + "\n" +
         "node_network_transmit_bytes_total{device=\"eth0\"} 100\n"
         "node_network_receive_bytes_total{device=\"lo\"} 999\n";
}

std::map<std::string, double>
by_key(const std::vector<stats::monitor_sample> &s) {
  std::map<std::string, double> out;
  for (const auto &m : s)
    out[m.source + "|" + m.metric] = m.value;
  return out;
}

TEST(node_metrics, gauges_first_then_rates) {
  const std::string u = "http://db1:9100/metrics";
  node_metrics nm(u);
  auto first = nm.take(*parse_prom_text(scrape(100, 50, 1000, 0)), 10.0);
  auto a = by_key(first);
  EXPECT_EQ(a.size(),
            3u); // memory, load, one real mount (tmpfs and /run left out)
  EXPECT_EQ(a[u + "|memory_available_bytes"], 2.5e9);
  EXPECT_EQ(a[u + "|load1"], 1.5);
  EXPECT_EQ(a[u + " mount /|disk_free_bytes"], 1e10);
  EXPECT_EQ(a.count(u + " mount /run|disk_free_bytes"), 0u);
  // 2 s later: 1 s more idle, 1 s more user (50% busy); eth0 got 4000 bytes;
  // sda read 1 MB.
  auto second =
      by_key(nm.take(*parse_prom_text(scrape(101, 51, 5000, 1e6)), 12.0));
  EXPECT_DOUBLE_EQ(second[u + "|cpu_percent"], 50.0);
  EXPECT_DOUBLE_EQ(second[u + " net eth0|receive_bytes_per_s"], 2000.0);
  EXPECT_DOUBLE_EQ(second[u + " net eth0|transmit_bytes_per_s"], 0.0);
  EXPECT_DOUBLE_EQ(second[u + " disk sda|read_bytes_per_s"], 5e5);
  EXPECT_EQ(second.count(u + " net lo|receive_bytes_per_s"), 0u);
  EXPECT_EQ(second.count(u + " disk loop0|read_bytes_per_s"), 0u);
  // The exporter restarted: counters went down, no rate (rather than a negative
  // one).
  auto third = by_key(nm.take(*parse_prom_text(scrape(1, 1, 10, 0)), 14.0));
  EXPECT_EQ(third.count(u + " net eth0|receive_bytes_per_s"), 0u);
  EXPECT_EQ(third.count(u + "|cpu_percent"), 0u);
  EXPECT_EQ(third[u + "|load1"], 1.5);
}

TEST(monitor_report, csv_rows_and_table) {
  stats::snapshot s;
  s.interval_id = 1'700'000'000;
  s.interval_length_ms = 1000;
  s.monitor = {{"pid 42", "rss_bytes", 104857600},
               {"http://h:9100/metrics", "load1", 0.125},
               {"q, \"x\"", "m", 1.0 / 3}};
  EXPECT_EQ(report::monitor_csv_header().substr(0, 29),
            "Timestamp,Source,Metric,Value");
  const std::string rows = report::monitor_csv_rows(s);
  const std::string eol = report::monitor_csv_header().substr(
      report::monitor_csv_header().find("Value") + 5);
  EXPECT_EQ(rows, "1700000001,pid 42,rss_bytes,104857600" + eol +
                      "1700000001,http://h:9100/metrics,load1,0.125" + eol +
                      "1700000001,\"q, \"\"x\"\"\",m,0.333333333" + eol);
  report::monitor_summary m;
  m.source = "pid 42";
  m.metric = "rss_bytes";
  m.samples = 3;
  m.first = 1e8;
  m.last = 1.48e8;
  m.min = 1e8;
  m.max = 1.48e8;
  m.slope_per_s = 48e6 / 3600;
  const std::string t = report::monitor_table(
      {m}, {"pid 7: process 7 has exited (2 failed samples)"});
  EXPECT_NE(t.find("Target monitoring\n"), std::string::npos);
  EXPECT_NE(t.find("100.0 MB"), std::string::npos);
  EXPECT_NE(t.find("148.0 MB"), std::string::npos);
  EXPECT_NE(t.find("+48.0 MB"), std::string::npos);
  EXPECT_NE(t.find("! pid 7: process 7 has exited"), std::string::npos);
  EXPECT_EQ(report::monitor_table({}, {}), "");
}

} // namespace
} // namespace endure::monitor
