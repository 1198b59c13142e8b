// stats delta JSON: the shard_delta wire format (master/worker reports, debugging dumps).
// Pure conversion with nlohmann::json; no I/O. Unknown keys are ignored, missing ones default.
#pragma once
#include <nlohmann/json.hpp>

#include "stats/recorder.hpp"

namespace endure::stats {

void to_json(nlohmann::json& j, const entry_delta& d);
void from_json(const nlohmann::json& j, entry_delta& d);
void to_json(nlohmann::json& j, const failure_delta& d);
void from_json(const nlohmann::json& j, failure_delta& d);
void to_json(nlohmann::json& j, const exception_delta& d);
void from_json(const nlohmann::json& j, exception_delta& d);
void to_json(nlohmann::json& j, const shard_delta& d);
void from_json(const nlohmann::json& j, shard_delta& d);

}  // namespace endure::stats
