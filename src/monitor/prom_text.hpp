// monitor::prom_text: a parser of the Prometheus text exposition format
// (version 0.0.4: what node_exporter and every /metrics endpoint serve): "#
// HELP", "# TYPE" and other comments, and sample lines `name{label="value",...}
// value [timestamp]`. Pure and bounded: text in, samples out, never a crash on
// any input (fuzzed by fuzz/prom_text_fuzz.cpp). A malformed line fails the
// whole parse, as a Prometheus scrape does, with its line number.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace endure::monitor {

struct prom_sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>>
      labels;       // in the order written, unescaped
  double value = 0; // NaN, +Inf and -Inf included

  // The value of a label, "" when absent.
  const std::string &label(std::string_view key) const;
};

struct prom_limits {
  size_t max_samples = 200'000; // a bigger exposition is refused, not kept
  size_t max_labels = 64;       // per sample
};

// Every sample of an exposition, in order. Errors: "line N: what is wrong".
base::result<std::vector<prom_sample>> parse_prom_text(std::string_view text,
                                                       prom_limits limits = {});

// A number as the format writes it: a float, NaN, +Inf, -Inf (Go's ParseFloat
// forms).
bool parse_prom_value(std::string_view text, double &out);

} // namespace endure::monitor
