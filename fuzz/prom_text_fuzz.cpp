// Fuzz target: monitor::parse_prom_text (node_exporter scrapes, any /metrics
// text) and the node_exporter figures taken from it: never crash; every sample
// parsed has a valid metric name and at most the label limit; an error is one
// line naming the line (or the sample limit); two scrapes of the same text
// through node_metrics never yield a negative rate.
#include <cctype>

#include "fuzz/fuzz_util.hpp"
#include "monitor/node_exporter.hpp"
#include "monitor/prom_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char *>(bytes), size);
  endure::monitor::prom_limits limits;
  limits.max_samples = 1000;
  limits.max_labels = 8;
  auto r = endure::monitor::parse_prom_text(data, limits);
  if (!r) {
    const auto &m = r.err().message;
    ENDURE_FUZZ_CHECK(!m.empty());
    ENDURE_FUZZ_CHECK(m.find('\n') == std::string::npos);
    ENDURE_FUZZ_CHECK(m.rfind("line ", 0) == 0 ||
                      m.rfind("more than ", 0) == 0);
    return 0;
  }
  ENDURE_FUZZ_CHECK(r->size() <= limits.max_samples);
  for (const auto &s : *r) {
    ENDURE_FUZZ_CHECK(!s.name.empty());
    ENDURE_FUZZ_CHECK(!std::isdigit(static_cast<unsigned char>(s.name[0])));
    ENDURE_FUZZ_CHECK(s.labels.size() <= limits.max_labels);
    for (const auto &[k, v] : s.labels)
      ENDURE_FUZZ_CHECK(!k.empty());
  }
  endure::monitor::node_metrics nm("http://fuzz:9100/metrics", 4);
  nm.take(*r, 1.0);
  for (const auto &m : nm.take(*r, 2.0)) {
    ENDURE_FUZZ_CHECK(!m.source.empty() && !m.metric.empty());
    if (m.metric.find("_per_s") != std::string::npos)
      ENDURE_FUZZ_CHECK(!(m.value < 0));
  }
  return 0;
}
