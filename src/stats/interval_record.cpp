#include "stats/interval_record.hpp"

#include <algorithm>
#include <map>

namespace endure::stats {

void merge(interval_record& into, interval_record&& from) {
  const bool same_interval = into.id == from.id;
  if (same_interval) {
    // Two nodes' views of one interval: their users add up.
    std::map<std::string, uint64_t> users(into.users_by_class.begin(), into.users_by_class.end());
    for (auto& [name, n] : from.users_by_class) users[name] += n;
    into.users_by_class.assign(users.begin(), users.end());
    into.user_count += from.user_count;
    into.peak_user_count += from.peak_user_count;
    into.health.cpu_percent += from.health.cpu_percent;
    into.health.rss_bytes += from.health.rss_bytes;
  } else {
    // Consecutive intervals of one node: the later one's counts are the current ones.
    into.id = std::max(into.id, from.id);
    into.users_by_class = std::move(from.users_by_class);
    into.user_count = from.user_count;
    into.peak_user_count = std::max(into.peak_user_count, from.peak_user_count);
    into.state = from.state;
    into.stage = std::move(from.stage);
    into.health.cpu_percent = from.health.cpu_percent;
    into.health.rss_bytes = from.health.rss_bytes;
  }
  into.health.loop_lag_ms = std::max(into.health.loop_lag_ms, from.health.loop_lag_ms);
  into.health.cpu_saturated = into.health.cpu_saturated || from.health.cpu_saturated;
  into.health.cpu_high = into.health.cpu_high || from.health.cpu_high;
  if (from.start_wall_s > 0)
    into.start_wall_s =
        into.start_wall_s == 0 ? from.start_wall_s : std::min(into.start_wall_s, from.start_wall_s);
  into.end_wall_s = std::max(into.end_wall_s, from.end_wall_s);
  into.is_final = into.is_final || from.is_final;
  into.stalled = into.stalled && from.stalled;
  merge(into.data, std::move(from.data));
  // Samples of the same (source, metric): the later one stands.
  for (auto& m : from.monitor) {
    auto it = std::find_if(into.monitor.begin(), into.monitor.end(), [&](const monitor_sample& x) {
      return x.source == m.source && x.metric == m.metric;
    });
    if (it == into.monitor.end()) into.monitor.push_back(std::move(m));
    else *it = std::move(m);
  }
}

}  // namespace endure::stats
