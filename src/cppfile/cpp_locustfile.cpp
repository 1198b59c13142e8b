#include "cppfile/cpp_locustfile.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "cppfile/cpp_shard.hpp"
#include "endure/shape.hpp"
#include "endure/user.hpp"
#include "engine/plan.hpp"

namespace endure::cppfile {

namespace {

class cpp_locustfile final : public engine::locustfile {
 public:
  explicit cpp_locustfile(loaded l) : loaded_(std::move(l)) {
    for (const auto* c : loaded_.classes) {
      if (c->abstract) continue;
      engine::user_class uc;
      uc.name = c->name;
      uc.weight = c->weight;
      uc.fixed_count = c->fixed_count;
      uc.host = c->host;
      uc.needs_host = c->needs_host;
      uc.handle = c;
      classes_.push_back(std::move(uc));
    }
  }

  const char* language() const override { return "c++"; }
  const std::vector<engine::user_class>& classes() const override { return classes_; }
  base::result<std::vector<engine::custom_option>> custom_options() override {
    return std::vector<engine::custom_option>{};
  }
  nlohmann::ordered_json task_ratio(const std::vector<std::string>& names) const override {
    std::vector<engine::user_class> picked;
    for (const auto& c : classes_)
      if (names.empty() || std::find(names.begin(), names.end(), c.name) != names.end())
        picked.push_back(c);
    return task_ratio_of(picked, num_users_);
  }
  int max_threads() const override { return 0; }
  bool has_shape() const override { return loaded_.shape != nullptr; }

  base::result<base::unit> configure(engine::controller_config& cfg,
                                     const nlohmann::json& parsed_options) override {
    if (parsed_options.contains("num_users") && parsed_options["num_users"].is_number_unsigned())
      num_users_ = parsed_options["num_users"].get<uint64_t>();
    else
      num_users_.reset();
    cfg.make_shard = [](int index, const engine::shard_config& sc) -> std::unique_ptr<engine::user_shard> {
      return std::make_unique<cpp_shard>(index, sc);
    };
    return base::unit{};
  }

  engine::shape_fn shape() override {
    auto s = loaded_.shape;
    if (!s) return {};
    return [s](double run_time_s, uint64_t users) -> std::optional<engine::shape_tick> {
      s->set_state(run_time_s, users);
      auto t = s->tick();
      if (!t) return std::nullopt;
      return engine::shape_tick{t->users, t->spawn_rate, t->user_classes};
    };
  }

  engine::subscription attach(engine::run_bus&) override { return {}; }
  int finish(int exit_code) override { return exit_code; }

 private:
  loaded loaded_;
  std::vector<engine::user_class> classes_;
  std::optional<uint64_t> num_users_;
};

}  // namespace

base::result<std::unique_ptr<engine::locustfile>> open_cpp_locustfile(const std::string& spec,
                                                                      const load_options& opts) {
  auto l = load(spec, opts);
  if (!l) return l.err();
  return std::unique_ptr<engine::locustfile>(std::make_unique<cpp_locustfile>(std::move(*l)));
}

nlohmann::ordered_json task_ratio_of(const std::vector<engine::user_class>& classes,
                                     std::optional<uint64_t> num_users) {
  // Locust's distribution for the ratio: fixed counts first, the rest by weight, each rounded
  // half to even (Python's round); without -u, as many users as the total weight.
  double fixed = 0, total_weight = 0;
  for (const auto& c : classes) {
    if (c.fixed_count > 0) fixed += c.fixed_count;
    else total_weight += c.weight;
  }
  const double users = num_users && *num_users > 0 ? static_cast<double>(*num_users)
                                                   : (fixed == 0 ? total_weight : 1);
  const double weighted = std::max(0.0, users - fixed);
  std::vector<double> counts;
  double spawned = 0;
  for (const auto& c : classes) {
    const double n = c.fixed_count > 0 ? c.fixed_count
                                       : std::nearbyint(total_weight > 0 ? c.weight / total_weight * weighted : 0);
    counts.push_back(n);
    spawned += n;
  }
  std::function<nlohmann::ordered_json(const detail::class_spec&, double, bool)> tasks_of =
      [&](const detail::class_spec& spec, double parent, bool total) {
        nlohmann::ordered_json t = nlohmann::ordered_json::object();
        int sum = 0;
        for (const auto& e : spec.tasks) sum += std::max(0, e.weight);
        for (const auto& e : spec.tasks) {
          const double r = (sum ? static_cast<double>(std::max(0, e.weight)) / sum : 0) *
                           (total ? parent : 1.0);
          nlohmann::ordered_json entry = {{"ratio", r}};
          if (e.is_task_set && e.nested) entry["tasks"] = tasks_of(*e.nested, r, total);
          t[e.name] = entry;
        }
        return t;
      };
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object(),
                         total = nlohmann::ordered_json::object();
  for (size_t i = 0; i < classes.size(); ++i) {
    const double share = counts[i] / (spawned > 0 ? spawned : 1);
    const auto& spec = *spec_of(classes[i]);
    per_class[classes[i].name] = {{"ratio", share}, {"tasks", tasks_of(spec, share, false)}};
    total[classes[i].name] = {{"ratio", share}, {"tasks", tasks_of(spec, share, true)}};
  }
  return {{"per_class", per_class}, {"total", total}};
}

}  // namespace endure::cppfile
