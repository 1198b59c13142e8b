#include "cli/availability.hpp"

#include <algorithm>

namespace endure::cli {
namespace {

bool has(std::span<const feature> built, feature f) {
  return std::find(built.begin(), built.end(), f) != built.end();
}

std::string describe(const option_spec& row, const options& o) {
  std::string flag = "--" + std::string(row.name);
  auto it = o.source.find(std::string(row.name));
  if (it == o.source.end() || it->second.layer == "command line") return flag;
  if (it->second.layer == "environment") return flag + " (from environment variable " + it->second.spelling + ")";
  return flag + " (from " + it->second.layer + ")";
}

std::string_view feature_name(feature f) {
  switch (f) {
    case feature::web_ui: return "the web UI";
    case feature::distributed: return "master/worker mode";
    case feature::store: return "the run store";
    case feature::none: break;
  }
  return "";
}

}  // namespace

std::vector<std::string> unavailable_options(const options& o, std::span<const feature> built) {
  std::vector<std::string> out;
  for (const auto& row : option_table())
    if (row.needs != feature::none && !has(built, row.needs) && row.active && row.active(o))
      out.push_back(describe(row, o));
  return out;
}

base::result<base::unit> check_available(const options& o, std::span<const feature> built) {
  if (o.list || o.show_task_ratio || o.show_task_ratio_json) return base::unit{};
  auto refused = unavailable_options(o, built);
  if (!refused.empty()) {
    std::string names, features;
    std::vector<feature> missing;
    for (const auto& row : option_table())
      if (row.needs != feature::none && !has(built, row.needs) && row.active && row.active(o) &&
          std::find(missing.begin(), missing.end(), row.needs) == missing.end())
        missing.push_back(row.needs);
    for (const auto& r : refused) names += (names.empty() ? "" : ", ") + r;
    for (auto f : missing) features += (features.empty() ? "" : " and ") + std::string(feature_name(f));
    bool one = refused.size() == 1;
    return base::make_error(names + (one ? " is" : " are") + " not available in this build yet (" + features +
                            (missing.size() == 1 ? " is" : " are") + " not built): remove " +
                            (one ? "it" : "them"));
  }
  if (!o.headless && !has(built, feature::web_ui))
    return base::make_error("the web UI is not available in this build yet: add --headless (with -u, -r and -t)");
  return base::unit{};
}

}  // namespace endure::cli
