// Fuzz target: analysis::parse_threshold and parse_limit (--threshold, --limit): never crash; a
// threshold that parses has a finite limit, a positive window when it has one, a metric name,
// and its text parses again to the same threshold.
#include <cmath>

#include "analysis/threshold.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  if (auto t = endure::analysis::parse_threshold(data)) {
    ENDURE_FUZZ_CHECK(std::isfinite(t->limit));
    ENDURE_FUZZ_CHECK(!t->window_s || *t->window_s > 0);
    ENDURE_FUZZ_CHECK(!t->metric_name().empty());
    ENDURE_FUZZ_CHECK(t->aggregated || !t->name.empty());
    auto again = endure::analysis::parse_threshold(t->text);
    ENDURE_FUZZ_CHECK(again.ok());
    ENDURE_FUZZ_CHECK(again->metric_name() == t->metric_name() && again->scope() == t->scope() &&
                      again->limit == t->limit && again->op == t->op);
  } else {
    ENDURE_FUZZ_CHECK(!t.err().message.empty());
    ENDURE_FUZZ_CHECK(t.err().message.find('\n') == std::string::npos);
  }
  if (auto l = endure::analysis::parse_limit(data)) {
    ENDURE_FUZZ_CHECK(std::isfinite(l->value));
    ENDURE_FUZZ_CHECK(!l->metric.empty());
  }
  return 0;
}
