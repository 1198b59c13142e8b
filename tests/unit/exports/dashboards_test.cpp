// deploy/grafana/dashboards: each dashboard parses, every panel has queries for
// its data source, and every metric, label, measurement, field and tag a query
// names is one endure exports: the names are taken from a real export (the
// exporters' output for a record with an entry, a failure, a user class and
// monitor samples), not from a list kept by hand.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "exports/influx_lines.hpp"
#include "exports/prom_exposition.hpp"
#include "monitor/prom_text.hpp"
#include "stats/histogram.hpp"

namespace endure::exports {
namespace {

namespace fs = std::filesystem;

stats::interval_record sample_record() {
  stats::interval_record r;
  r.start_wall_s = 1700000000;
  r.end_wall_s = 1700000001;
  stats::entry_delta e;
  e.method = "GET";
  e.name = "/";
  e.requests = 2;
  e.failures = 1;
  e.sum_us = 3000;
  e.min_us = 1000;
  e.max_us = 2000;
  e.latency = {{stats::histogram::bucket_index(1000), 1},
               {stats::histogram::bucket_index(2000), 1}};
  r.data.entries.push_back(e);
  r.data.failures.push_back({"GET", "/", "boom", 1, 0, 0});
  r.user_count = 1;
  r.users_by_class = {{"U", 1}};
  r.monitor = {{"pid 1", "rss_bytes", 1}, {"pid 1", "cpu_percent", 1}};
  return r;
}

// Prometheus: metric names and label names of a real exposition.
void prometheus_names(std::set<std::string> &metrics,
                      std::set<std::string> &labels) {
  prom_exposition p;
  p.add(sample_record());
  auto parsed = monitor::parse_prom_text(p.render());
  ASSERT_TRUE(parsed);
  for (const auto &s : *parsed) {
    metrics.insert(s.name);
    for (const auto &[k, v] : s.labels)
      labels.insert(k);
  }
}

// InfluxDB: measurement -> its tag and field keys, from real line protocol.
std::map<std::string, std::set<std::string>> influx_names() {
  size_t points = 0;
  influx_tags tags;
  tags.common = {{"run", "r"}, {"locustfile", "l"}, {"host", "h"}};
  std::istringstream in(influx_lines(sample_record(), tags, points));
  std::map<std::string, std::set<std::string>> out;
  for (std::string line; std::getline(in, line);) {
    // measurement,tag=v,tag=v field=v,field=v ts (a tag value may hold an
    // escaped space)
    size_t space = line.find(' ');
    while (space != std::string::npos && space > 0 && line[space - 1] == '\\')
      space = line.find(' ', space + 1);
    std::string head = line.substr(0, space),
                fields = line.substr(space + 1, line.rfind(' ') - space - 1);
    std::stringstream hs(head), fs_(fields);
    std::string item, measurement;
    std::getline(hs, measurement, ',');
    while (std::getline(hs, item, ','))
      out[measurement].insert(item.substr(0, item.find('=')));
    while (std::getline(fs_, item, ','))
      out[measurement].insert(item.substr(0, item.find('=')));
  }
  return out;
}

std::vector<fs::path> dashboards() {
  std::vector<fs::path> out;
  for (const auto &e :
       fs::directory_iterator(ENDURE_SOURCE_DIR "/deploy/grafana/dashboards"))
    if (e.path().extension() == ".json")
      out.push_back(e.path());
  return out;
}

TEST(grafana_dashboards, every_query_names_what_endure_exports) {
  std::set<std::string> metrics, labels;
  prometheus_names(metrics, labels);
  ASSERT_TRUE(metrics.count("endure_request_duration_seconds_bucket"));
  labels.insert("le");
  const auto influx = influx_names();
  ASSERT_TRUE(influx.count("endure_requests"));
  const auto files = dashboards();
  ASSERT_EQ(files.size(), 2u);
  std::set<std::string> kinds;
  for (const auto &f : files) {
    SCOPED_TRACE(f.filename().string());
    std::ifstream in(f);
    auto d = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(d.is_discarded()) << "does not parse";
    ASSERT_TRUE(d["panels"].is_array() && !d["panels"].empty());
    ASSERT_FALSE(d.value("title", "").empty());
    for (const auto &panel : d["panels"]) {
      SCOPED_TRACE(panel.value("title", "?"));
      const std::string kind = panel["datasource"]["type"];
      kinds.insert(kind);
      ASSERT_TRUE(panel["targets"].is_array() && !panel["targets"].empty());
      for (const auto &t : panel["targets"]) {
        if (kind == "prometheus") {
          const std::string expr = t["expr"];
          static const std::regex metric(R"(\bendure_[a-z_]+)");
          int found = 0;
          for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end;
               it != end; ++it, ++found)
            EXPECT_TRUE(metrics.count(it->str()))
                << it->str() << " in " << expr;
          EXPECT_GT(found, 0) << expr;
          // Labels: in by (...) lists and {label=...} selectors.
          static const std::regex by(R"(by \(([^)]*)\))"),
              sel(R"([{,]\s*([a-z_]+)\s*(=~|!=|=))");
          for (std::sregex_iterator it(expr.begin(), expr.end(), by), end;
               it != end; ++it) {
            std::stringstream ls((*it)[1].str());
            for (std::string l; std::getline(ls, l, ',');) {
              l.erase(0, l.find_first_not_of(' '));
              l.erase(l.find_last_not_of(' ') + 1);
              EXPECT_TRUE(labels.count(l)) << "label " << l << " in " << expr;
            }
          }
          for (std::sregex_iterator it(expr.begin(), expr.end(), sel), end;
               it != end; ++it)
            EXPECT_TRUE(labels.count((*it)[1].str()))
                << "label " << (*it)[1] << " in " << expr;
        } else if (kind == "influxdb") {
          const std::string q = t["query"];
          static const std::regex from(R"re(FROM "([a-z_]+)")re"),
              ident(R"re("([A-Za-z_]+)")re");
          std::smatch m;
          ASSERT_TRUE(std::regex_search(q, m, from)) << q;
          const std::string measurement = m[1];
          ASSERT_TRUE(influx.count(measurement)) << measurement;
          for (std::sregex_iterator it(q.begin(), q.end(), ident), end;
               it != end; ++it) {
            const std::string id = (*it)[1];
            if (id == measurement)
              continue;
            EXPECT_TRUE(influx.at(measurement).count(id))
                << id << " is not a field or tag of " << measurement << ": "
                << q;
          }
        } else {
          ADD_FAILURE() << "unknown data source " << kind;
        }
      }
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"influxdb", "prometheus"}));
}

TEST(grafana_dashboards, provisioning_files_name_the_dashboards_folder) {
  std::ifstream in(ENDURE_SOURCE_DIR
                   "/deploy/grafana/provisioning/dashboards/endure.yaml");
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("type: file"), std::string::npos);
  EXPECT_NE(s.str().find("path: /var/lib/grafana/dashboards/endure"),
            std::string::npos);
}

} // namespace
} // namespace endure::exports
