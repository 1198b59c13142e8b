// The sources of monitor/source.hpp: a pid, the processes of a name, a file
// system, a node_exporter, a Prometheus instant query.
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "client/blocking_client.hpp"
#include "monitor/node_exporter.hpp"
#include "monitor/proc_stats.hpp"
#include "monitor/prom_text.hpp"
#include "monitor/source.hpp"

namespace endure::monitor {
namespace {

double ticks_per_s() {
  static const double t = [] {
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? static_cast<double>(v) : 100.0;
  }();
  return t;
}

double page_bytes() {
  static const double p = [] {
    long v = sysconf(_SC_PAGESIZE);
    return v > 0 ? static_cast<double>(v) : 4096.0;
  }();
  return p;
}

// Per-process counters between two samples, for CPU and I/O rates.
struct process_counters {
  uint64_t start = 0, cpu_ticks = 0;
  std::optional<proc_io> io;
};

struct rates {
  double cpu_ticks = 0, read = 0, write = 0;
  bool have_cpu = false, have_io = false;
};

// Adds what changed since `prev` (same process: same start time) into r.
void add_rates(const process_reading &now, const process_counters *prev,
               rates &r) {
  if (prev == nullptr || prev->start != now.stat.start_ticks)
    return;
  const uint64_t ticks = now.stat.utime_ticks + now.stat.stime_ticks;
  if (ticks >= prev->cpu_ticks) {
    r.cpu_ticks += static_cast<double>(ticks - prev->cpu_ticks);
    r.have_cpu = true;
  }
  if (now.io && prev->io && now.io->read_bytes >= prev->io->read_bytes &&
      now.io->write_bytes >= prev->io->write_bytes) {
    r.read += static_cast<double>(now.io->read_bytes - prev->io->read_bytes);
    r.write += static_cast<double>(now.io->write_bytes - prev->io->write_bytes);
    r.have_io = true;
  }
}

process_counters counters_of(const process_reading &r) {
  return {r.stat.start_ticks, r.stat.utime_ticks + r.stat.stime_ticks, r.io};
}

void push_rates(std::vector<stats::monitor_sample> &out, const std::string &src,
                const rates &r, double dt) {
  if (dt <= 0)
    return;
  if (r.have_cpu)
    out.push_back(
        {src, "cpu_percent", 100.0 * r.cpu_ticks / ticks_per_s() / dt});
  if (r.have_io) {
    out.push_back({src, "read_bytes_per_s", r.read / dt});
    out.push_back({src, "write_bytes_per_s", r.write / dt});
  }
}

class pid_source final : public source {
public:
  pid_source(std::string root, int pid)
      : root_(std::move(root)), pid_(pid), name_("pid " + std::to_string(pid)) {
  }
  const std::string &name() const override { return name_; }

  base::result<std::vector<stats::monitor_sample>>
  sample(double now_s, const std::atomic<bool> &) override {
    auto r = read_process(root_, pid_);
    if (!r)
      return base::make_error("process " + std::to_string(pid_) +
                              " has exited");
    if (first_start_ == 0)
      first_start_ = r->stat.start_ticks + 1;
    // The pid came back as another process: that is not the process the user
    // asked for.
    if (first_start_ != r->stat.start_ticks + 1)
      return base::make_error(
          "process " + std::to_string(pid_) +
          " has exited (the pid now belongs to another process)");
    std::vector<stats::monitor_sample> out;
    out.push_back({name_, "rss_bytes",
                   static_cast<double>(r->stat.rss_pages) * page_bytes()});
    out.push_back({name_, "threads", static_cast<double>(r->stat.threads)});
    if (r->fds)
      out.push_back({name_, "fds", static_cast<double>(*r->fds)});
    rates rt;
    add_rates(*r, prev_ ? &*prev_ : nullptr, rt);
    push_rates(out, name_, rt, now_s - last_s_);
    prev_ = counters_of(*r);
    last_s_ = now_s;
    return out;
  }

private:
  std::string root_;
  int pid_;
  std::string name_;
  uint64_t first_start_ =
      0; // start time + 1 of the process first seen; 0: none yet
  std::optional<process_counters> prev_;
  double last_s_ = 0;
};

// Every process of a name, summed (a server's master and workers); looked up at
// every sample so that a restarted server or a new worker is followed.
class process_source final : public source {
public:
  process_source(std::string root, std::string name, int self)
      : root_(std::move(root)), proc_name_(std::move(name)), self_(self),
        name_("process " + proc_name_) {}
  const std::string &name() const override { return name_; }

  base::result<std::vector<stats::monitor_sample>>
  sample(double now_s, const std::atomic<bool> &) override {
    double rss = 0, threads = 0, fds = 0;
    bool all_fds = true;
    size_t count = 0;
    rates rt;
    std::map<int, process_counters> next;
    for (int pid : find_processes(root_, proc_name_, self_)) {
      auto r = read_process(root_, pid);
      if (!r)
        continue; // gone in between
      ++count;
      rss += static_cast<double>(r->stat.rss_pages) * page_bytes();
      threads += static_cast<double>(r->stat.threads);
      if (r->fds)
        fds += static_cast<double>(*r->fds);
      else
        all_fds = false;
      auto it = prev_.find(pid);
      add_rates(*r, it == prev_.end() ? nullptr : &it->second, rt);
      next[pid] = counters_of(*r);
    }
    if (count == 0)
      return base::make_error("no process named " + proc_name_ + " is running");
    std::vector<stats::monitor_sample> out;
    out.push_back({name_, "processes", static_cast<double>(count)});
    out.push_back({name_, "rss_bytes", rss});
    out.push_back({name_, "threads", threads});
    if (all_fds)
      out.push_back({name_, "fds", fds});
    if (!prev_.empty())
      push_rates(out, name_, rt, now_s - last_s_);
    prev_ = std::move(next);
    last_s_ = now_s;
    return out;
  }

private:
  std::string root_, proc_name_;
  int self_;
  std::string name_;
  std::map<int, process_counters> prev_;
  double last_s_ = 0;
};

class disk_source final : public source {
public:
  explicit disk_source(std::string path)
      : path_(std::move(path)), name_("disk " + path_) {}
  const std::string &name() const override { return name_; }

  base::result<std::vector<stats::monitor_sample>>
  sample(double, const std::atomic<bool> &) override {
    auto d = read_disk(path_);
    if (!d)
      return d.err();
    std::vector<stats::monitor_sample> out;
    out.push_back(
        {name_, "disk_free_bytes", static_cast<double>(d->free_bytes)});
    if (d->total_bytes > 0)
      out.push_back({name_, "disk_used_percent",
                     100.0 * (1.0 - static_cast<double>(d->free_bytes) /
                                        static_cast<double>(d->total_bytes))});
    return out;
  }

private:
  std::string path_, name_;
};

class node_exporter_source final : public source {
public:
  node_exporter_source(std::string url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), http_(timeout), metrics_(url_) {}
  const std::string &name() const override { return url_; }

  base::result<std::vector<stats::monitor_sample>>
  sample(double now_s, const std::atomic<bool> &stop) override {
    auto r = http_.get(url_, {{"Accept", "text/plain;version=0.0.4"}}, stop);
    if (!r.error.empty())
      return base::make_error(r.error);
    if (r.status != 200)
      return base::make_error("HTTP " + std::to_string(r.status));
    auto parsed = parse_prom_text(r.body);
    if (!parsed)
      return base::make_error("not the Prometheus text format: " +
                              parsed.err().message);
    auto out = metrics_.take(*parsed, now_s);
    bool any_node = false;
    for (const auto &s : *parsed)
      if (s.name.rfind("node_", 0) == 0) {
        any_node = true;
        break;
      }
    if (!any_node)
      return base::make_error(
          "no node_exporter metrics (node_*) in the scrape");
    return out;
  }

private:
  std::string url_;
  client::blocking_client http_;
  node_metrics metrics_;
};

std::string url_encode(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// One named instant query against a Prometheus-compatible API (/api/v1/query).
class prometheus_source final : public source {
public:
  prometheus_source(std::string base, std::string metric, std::string query,
                    std::chrono::milliseconds timeout)
      : base_(std::move(base)), metric_(std::move(metric)),
        query_(std::move(query)), http_(timeout) {
    while (!base_.empty() && base_.back() == '/')
      base_.pop_back();
    name_ = base_ + " query " + metric_;
  }
  const std::string &name() const override { return name_; }

  base::result<std::vector<stats::monitor_sample>>
  sample(double, const std::atomic<bool> &stop) override {
    auto r = http_.get(base_ + "/api/v1/query?query=" + url_encode(query_),
                       {{"Accept", "application/json"}}, stop);
    if (!r.error.empty())
      return base::make_error(r.error);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return base::make_error("HTTP " + std::to_string(r.status) +
                              ", not a JSON answer");
    if (j.value("status", "") != "success")
      return base::make_error("the query failed: " +
                              (j.contains("error") && j["error"].is_string()
                                   ? j["error"].get<std::string>()
                                   : "HTTP " + std::to_string(r.status)));
    const auto &data = j["data"];
    if (!data.is_object() || !data.contains("result"))
      return base::make_error("no result in the answer");
    const std::string type = data.value("resultType", "");
    auto value_of = [](const nlohmann::json &pair, double &v) {
      if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string())
        return false;
      return parse_prom_value(pair[1].get<std::string>(), v);
    };
    double v = 0;
    if (type == "scalar") {
      if (!value_of(data["result"], v))
        return base::make_error("a malformed scalar in the answer");
    } else if (type == "vector") {
      const auto &res = data["result"];
      if (!res.is_array() || res.empty())
        return base::make_error("the query returned no series");
      // Several series are summed: a query meant for one number should say
      // sum(...) itself.
      for (const auto &e : res) {
        double x = 0;
        if (!e.is_object() || !e.contains("value") || !value_of(e["value"], x))
          return base::make_error("a malformed vector in the answer");
        v += x;
      }
    } else {
      return base::make_error("the query returned a " +
                              (type.empty() ? std::string("result") : type) +
                              ", not a scalar or an instant vector");
    }
    return std::vector<stats::monitor_sample>{{base_, metric_, v}};
  }

private:
  std::string base_, metric_, query_, name_;
  client::blocking_client http_;
};

bool is_http_url(const std::string &u) {
  return (u.rfind("http://", 0) == 0 && u.size() > 7) ||
         (u.rfind("https://", 0) == 0 && u.size() > 8);
}

} // namespace

std::unique_ptr<source> make_pid_source(std::string proc_root, int pid) {
  return std::make_unique<pid_source>(std::move(proc_root), pid);
}
std::unique_ptr<source> make_process_source(std::string proc_root,
                                            std::string name, int self_pid) {
  return std::make_unique<process_source>(std::move(proc_root), std::move(name),
                                          self_pid);
}
std::unique_ptr<source> make_disk_source(std::string path) {
  return std::make_unique<disk_source>(std::move(path));
}
std::unique_ptr<source>
make_node_exporter_source(std::string url, std::chrono::milliseconds timeout) {
  return std::make_unique<node_exporter_source>(std::move(url), timeout);
}

base::result<std::vector<std::unique_ptr<source>>>
make_sources(const monitor_config &cfg) {
  std::vector<std::unique_ptr<source>> out;
  for (int pid : cfg.pids) {
    if (!read_process(cfg.proc_root, pid))
      return base::make_error("invalid value '" + std::to_string(pid) +
                              "' for --monitor-pid: no process " +
                              std::to_string(pid) + " is running");
    out.push_back(make_pid_source(cfg.proc_root, pid));
  }
  for (const auto &name : cfg.process_names) {
    if (find_processes(cfg.proc_root, name, cfg.self_pid).empty())
      return base::make_error("invalid value '" + name +
                              "' for --monitor-process: no process named " +
                              name + " is running");
    out.push_back(make_process_source(cfg.proc_root, name, cfg.self_pid));
  }
  for (const auto &path : cfg.disks) {
    if (auto d = read_disk(path); !d)
      return base::make_error("invalid value '" + path +
                              "' for --monitor-disk: " + d.err().message);
    out.push_back(make_disk_source(path));
  }
  for (const auto &url : cfg.node_exporters) {
    if (!is_http_url(url))
      return base::make_error("invalid value '" + url +
                              "' for --monitor-node-exporter: expected a URL "
                              "such as http://host:9100/metrics");
    out.push_back(make_node_exporter_source(url, cfg.http_timeout));
  }
  if (!cfg.queries.empty() && cfg.prometheus.empty())
    return base::make_error("--monitor-query needs --monitor-prometheus URL "
                            "(the Prometheus to ask)");
  if (!cfg.prometheus.empty() && !is_http_url(cfg.prometheus))
    return base::make_error(
        "invalid value '" + cfg.prometheus +
        "' for --monitor-prometheus: expected a URL such as http://host:9090");
  if (!cfg.prometheus.empty() && cfg.queries.empty())
    return base::make_error(
        "--monitor-prometheus needs at least one --monitor-query NAME=PROMQL");
  for (const auto &[metric, query] : cfg.queries)
    out.push_back(make_prometheus_source(cfg.prometheus, metric, query,
                                         cfg.http_timeout));
  return out;
}

std::unique_ptr<source>
make_prometheus_source(std::string base_url, std::string metric,
                       std::string query, std::chrono::milliseconds timeout) {
  return std::make_unique<prometheus_source>(
      std::move(base_url), std::move(metric), std::move(query), timeout);
}

} // namespace endure::monitor
