// A hand-made snapshot shared by the report and sinks tests.
#pragma once
#include "stats/snapshot.hpp"

namespace endure::test {

inline stats::row make_row(std::string method, std::string name, uint64_t reqs, uint64_t fails,
                           double base_ms) {
  stats::row r;
  r.method = std::move(method);
  r.name = std::move(name);
  r.num_requests = reqs;
  r.num_failures = fails;
  r.avg_ms = base_ms * 1.5;  // 0.153 * 1.5 is 0.22949999...: prints 0.229
  r.min_ms = base_ms / 2;
  r.max_ms = base_ms * 10;
  r.median_ms = base_ms;
  r.avg_content_bytes = 1234.5;
  r.total_rps = static_cast<double>(reqs) / 10.0;
  r.total_fail_per_s = static_cast<double>(fails) / 10.0;
  r.current_rps = r.total_rps * 2;
  r.current_fail_per_s = r.total_fail_per_s * 2;
  r.current_requests = reqs;
  for (size_t i = 0; i < r.percentiles_ms.size(); ++i) {
    r.percentiles_ms[i] = base_ms * static_cast<double>(i + 1);
    r.current_percentiles_ms[i] = base_ms * static_cast<double>(i + 2);
    r.intended_percentiles_ms[i] = base_ms * static_cast<double>(i + 3);
  }
  r.total_latency_us = static_cast<uint64_t>(r.avg_ms * 1000 * static_cast<double>(reqs));
  r.total_content_bytes = reqs * 1234;
  r.first_request_wall_s = 1'700'000'000.5;
  r.last_request_wall_s = 1'700'000'010.0;
  return r;
}

inline stats::snapshot make_snapshot() {
  stats::snapshot s;
  s.sequence = 9;
  s.state = stats::run_state::running;
  s.wall_s = 1'700'000'010.7;
  s.start_wall_s = 1'700'000'000.0;
  s.user_count = 25;
  s.rows.push_back(make_row("GET", "/a", 100, 4, 0.153));
  s.rows.push_back(make_row("POST", "/b,\"quoted\" <b>", 20, 0, 12.4));
  s.aggregated = make_row("", "Aggregated", 120, 4, 1.0);
  s.failures.push_back({"GET", "/a", "HTTPError('500 Server Error')", 4, 1'700'000'001.0,
                        1'700'000'009.0});
  s.exceptions.push_back({2, "std::runtime_error: out of stock", "EcommerceUser::browse", "local"});
  return s;
}

}  // namespace endure::test
