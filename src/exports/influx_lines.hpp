// exports::influx_lines: interval records as InfluxDB line protocol
// (docs/exports.md lists every measurement, tag and field). One point per entry
// per interval in `endure_requests` whose `requests` field is that interval's
// count (so sum(requests) is the run's total), per error in `endure_errors`,
// per user class in `endure_users`, one in `endure_generator`, one per monitor
// sample in `endure_monitor`. Timestamps in milliseconds at the record's end.
// Pure.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "stats/interval_record.hpp"

namespace endure::exports {

struct influx_tags {
  std::vector<std::pair<std::string, std::string>>
      common; // run, locustfile, host (added to every point)
};

// The lines of one record (each ends with '\n'); `points` gets how many.
std::string influx_lines(const stats::interval_record &r,
                         const influx_tags &tags, size_t &points);

// Line-protocol escaping: measurement names (commas, spaces), tag keys and
// values (commas, equals signs, spaces). Empty tag values are not allowed by
// InfluxDB: they become "(empty)".
std::string influx_escape_measurement(const std::string &s);
std::string influx_escape_tag(const std::string &s);

} // namespace endure::exports
