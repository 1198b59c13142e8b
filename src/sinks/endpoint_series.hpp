// sinks::endpoint_series: chart series per endpoint for the HTML report, with memory bounded
// whatever the number of names: at most `max_followed` endpoints are followed (the busiest as the
// test goes; one that becomes much busier than the least busy followed one replaces it and is
// charted from then on), each a bounded_series of at most `max_points` points. Only rows that
// carry their interval histogram (the snapshot's window rows) can start being followed.
#pragma once
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "report/html.hpp"
#include "sinks/bounded_series.hpp"
#include "stats/snapshot.hpp"

namespace endure::sinks {

class endpoint_series {
 public:
  explicit endpoint_series(size_t max_followed = 20, size_t max_points = 300);
  void add(const stats::snapshot& s);
  // The `n` busiest followed endpoints by whole-run requests, busiest first.
  std::vector<report::endpoint_chart> charts(size_t n) const;
  size_t followed() const { return followed_.size(); }
  size_t max_followed() const { return max_followed_; }

 private:
  struct entry {
    std::string method, name;
    double since_wall_s = 0;
    uint64_t requests = 0;  // whole-run, from the latest snapshot
    bounded_series series;
  };
  static std::string key_of(const stats::row& r) { return r.method + '\x1f' + r.name; }
  void add_point(entry& e, const stats::row& r, const stats::snapshot& s);

  size_t max_followed_, max_points_;
  std::unordered_map<std::string, entry> followed_;
};

}  // namespace endure::sinks
