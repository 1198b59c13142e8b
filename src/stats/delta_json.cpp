#include "stats/delta_json.hpp"

namespace endure::stats {

namespace {

template <class T>
void get_opt(const nlohmann::json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}

// Sparse counts travel as [[index, count], ...].
nlohmann::json sparse_to_json(const sparse_counts& s) {
  auto a = nlohmann::json::array();
  for (const auto& [i, n] : s) a.push_back({i, n});
  return a;
}

void sparse_from_json(const nlohmann::json& j, const char* key, sparse_counts& out) {
  out.clear();
  if (!j.contains(key)) return;
  const nlohmann::json& arr = j.at(key);
  if (!arr.is_array()) return;
  out.reserve(arr.size());
  for (size_t k = 0; k < arr.size(); ++k)
    out.emplace_back(arr[k].at(0).get<uint32_t>(), arr[k].at(1).get<uint64_t>());
}

}  // namespace

void to_json(nlohmann::json& j, const entry_delta& d) {
  j = {{"method", d.method},
       {"name", d.name},
       {"requests", d.requests},
       {"failures", d.failures},
       {"sum_us", d.sum_us},
       {"min_us", d.min_us},
       {"max_us", d.max_us},
       {"content_bytes", d.content_bytes},
       {"latency", sparse_to_json(d.latency)},
       {"intended", sparse_to_json(d.intended)},
       {"intended_min_us", d.intended_min_us},
       {"intended_max_us", d.intended_max_us},
       {"first_wall_s", d.first_wall_s},
       {"last_wall_s", d.last_wall_s}};
}

void from_json(const nlohmann::json& j, entry_delta& d) {
  get_opt(j, "method", d.method);
  get_opt(j, "name", d.name);
  get_opt(j, "requests", d.requests);
  get_opt(j, "failures", d.failures);
  get_opt(j, "sum_us", d.sum_us);
  get_opt(j, "min_us", d.min_us);
  get_opt(j, "max_us", d.max_us);
  get_opt(j, "content_bytes", d.content_bytes);
  sparse_from_json(j, "latency", d.latency);
  sparse_from_json(j, "intended", d.intended);
  get_opt(j, "intended_min_us", d.intended_min_us);
  get_opt(j, "intended_max_us", d.intended_max_us);
  get_opt(j, "first_wall_s", d.first_wall_s);
  get_opt(j, "last_wall_s", d.last_wall_s);
}

void to_json(nlohmann::json& j, const failure_delta& d) {
  j = {{"method", d.method}, {"name", d.name},         {"error", d.error},
       {"count", d.count},   {"first_wall_s", d.first_wall_s}, {"last_wall_s", d.last_wall_s}};
}

void from_json(const nlohmann::json& j, failure_delta& d) {
  get_opt(j, "method", d.method);
  get_opt(j, "name", d.name);
  get_opt(j, "error", d.error);
  get_opt(j, "count", d.count);
  get_opt(j, "first_wall_s", d.first_wall_s);
  get_opt(j, "last_wall_s", d.last_wall_s);
}

void to_json(nlohmann::json& j, const exception_delta& d) {
  j = {{"message", d.message}, {"traceback", d.traceback}, {"node", d.node}, {"count", d.count}};
}

void from_json(const nlohmann::json& j, exception_delta& d) {
  get_opt(j, "message", d.message);
  get_opt(j, "traceback", d.traceback);
  get_opt(j, "node", d.node);
  get_opt(j, "count", d.count);
}

void to_json(nlohmann::json& j, const shard_delta& d) {
  j = {{"entries", d.entries}, {"failures", d.failures}, {"exceptions", d.exceptions}};
}

void from_json(const nlohmann::json& j, shard_delta& d) {
  get_opt(j, "entries", d.entries);
  get_opt(j, "failures", d.failures);
  get_opt(j, "exceptions", d.exceptions);
}

}  // namespace endure::stats
