// sinks::final_annex: what a stage outside the snapshot flow adds to the final outputs (the soak
// verdict): text after the console's final summary, an object per entry and for the run in the
// JSON, a section of the HTML report. The sinks ask for it when they write the final snapshot;
// the source may block until it is ready (bounded by its own deadline).
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace endure::sinks {

struct final_annex {
  std::string console;  // printed right after the final summary (before --json)
  // Merged into --json's entry objects under key `entry_key`, by (method, name).
  std::map<std::pair<std::string, std::string>, nlohmann::json> entries;
  std::string entry_key = "soak_verdict";
  nlohmann::json run;  // the run-level JSON object's `entry_key` member
  std::string html;    // a section of the HTML report, after the run information
};

// Called on the sink's thread at the final snapshot; nullopt when there is nothing to add (or it
// did not come in time: the source says why in the log).
using annex_source = std::function<std::optional<final_annex>()>;

}  // namespace endure::sinks
