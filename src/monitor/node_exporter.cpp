#include "monitor/node_exporter.hpp"

#include <cmath>
#include <set>

namespace endure::monitor {
namespace {

// File systems that hold no user data (node_exporter lists them all).
bool pseudo_fs(const std::string &fstype, const std::string &mount) {
  static const std::set<std::string> pseudo = {
      "tmpfs",  "devtmpfs", "squashfs", "proc",    "sysfs",
      "cgroup", "cgroup2",  "nsfs",     "ramfs",   "autofs",
      "devpts", "mqueue",   "debugfs",  "tracefs", "securityfs",
      "pstore", "bpf",      "fusectl",  "configfs"};
  if (pseudo.count(fstype))
    return true;
  for (const char *p : {"/proc", "/sys", "/dev", "/run"})
    if (mount.rfind(p, 0) == 0)
      return true;
  return false;
}

bool pseudo_disk(const std::string &dev) {
  for (const char *p : {"loop", "ram", "zram", "fd"})
    if (dev.rfind(p, 0) == 0)
      return true;
  return false;
}

} // namespace

node_metrics::node_metrics(std::string source, size_t max_devices)
    : source_(std::move(source)), max_devices_(max_devices) {}

void node_metrics::rate(std::vector<stats::monitor_sample> &out,
                        const std::string &source, const std::string &metric,
                        const std::string &key, double value, double now_s) {
  counters_[key] = value;
  auto it = prev_.find(key);
  if (it == prev_.end() || last_s_ < 0 || now_s <= last_s_)
    return;
  const double d = value - it->second;
  if (d < 0)
    return; // the exporter (or the counter) restarted: no rate this time
  out.push_back({source, metric, d / (now_s - last_s_)});
}

std::vector<stats::monitor_sample>
node_metrics::take(const std::vector<prom_sample> &scrape, double now_s) {
  std::vector<stats::monitor_sample> out;
  counters_.clear();
  double cpu_total = 0, cpu_idle = 0;
  bool have_cpu = false;
  std::set<std::string> mounts, disks, nets;
  for (const auto &s : scrape) {
    if (!std::isfinite(s.value))
      continue;
    const std::string &n = s.name;
    if (n == "node_cpu_seconds_total") {
      have_cpu = true;
      cpu_total += s.value;
      const auto &mode = s.label("mode");
      if (mode == "idle" || mode == "iowait")
        cpu_idle += s.value;
    } else if (n == "node_memory_MemAvailable_bytes") {
      out.push_back({source_, "memory_available_bytes", s.value});
    } else if (n == "node_load1") {
      out.push_back({source_, "load1", s.value});
    } else if (n == "node_filesystem_avail_bytes") {
      const auto &mount = s.label("mountpoint");
      if (mount.empty() || pseudo_fs(s.label("fstype"), mount) ||
          mounts.count(mount))
        continue;
      if (mounts.size() >= max_devices_)
        continue;
      mounts.insert(mount);
      out.push_back({source_ + " mount " + mount, "disk_free_bytes", s.value});
    } else if (n == "node_disk_read_bytes_total" ||
               n == "node_disk_written_bytes_total") {
      const auto &dev = s.label("device");
      if (dev.empty() || pseudo_disk(dev))
        continue;
      if (!disks.count(dev) && disks.size() >= max_devices_)
        continue;
      disks.insert(dev);
      const bool read = n == "node_disk_read_bytes_total";
      rate(out, source_ + " disk " + dev,
           read ? "read_bytes_per_s" : "write_bytes_per_s", n + dev, s.value,
           now_s);
    } else if (n == "node_network_receive_bytes_total" ||
               n == "node_network_transmit_bytes_total") {
      const auto &dev = s.label("device");
      if (dev.empty() || dev == "lo")
        continue;
      if (!nets.count(dev) && nets.size() >= max_devices_)
        continue;
      nets.insert(dev);
      const bool rx = n == "node_network_receive_bytes_total";
      rate(out, source_ + " net " + dev,
           rx ? "receive_bytes_per_s" : "transmit_bytes_per_s", n + dev,
           s.value, now_s);
    }
  }
  if (have_cpu) {
    // Busy share of the whole host (every core): 100 x (1 - idle and iowait
    // time / all time).
    counters_["cpu_total"] = cpu_total;
    counters_["cpu_idle"] = cpu_idle;
    auto t = prev_.find("cpu_total"), i = prev_.find("cpu_idle");
    if (t != prev_.end() && i != prev_.end() && cpu_total > t->second) {
      const double busy =
          1.0 - (cpu_idle - i->second) / (cpu_total - t->second);
      out.push_back(
          {source_, "cpu_percent", 100.0 * std::min(1.0, std::max(0.0, busy))});
    }
  }
  prev_ = std::move(counters_);
  counters_.clear();
  last_s_ = now_s;
  return out;
}

} // namespace endure::monitor
