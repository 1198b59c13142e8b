// app load_model: turns the load-model options (--shape, --shape-file, --arrival-rate,
// --arrivals, --max-users, --session-length) into the test plan: a built-in shape for users, the
// open model's arrival rate, session churn. Every malformed or conflicting value is one line for
// exit code 2, before anything starts.
#pragma once
#include <string>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/controller.hpp"

namespace endure::app {

struct load_model_info {
  std::string listing;  // the stages, for the log at start ("" when no shape)
  bool open_model = false;
};

// locustfile_has_shape: the locustfile brings a LoadTestShape (then --shape is refused).
base::result<load_model_info> apply_load_model(const cli::options& o, bool locustfile_has_shape,
                                               const std::vector<engine::user_class>& classes,
                                               engine::test_plan& plan);

}  // namespace endure::app
