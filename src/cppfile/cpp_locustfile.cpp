#include "cppfile/cpp_locustfile.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <typeinfo>

#include "cppfile/cpp_environment.hpp"
#include "cppfile/cpp_shard.hpp"
#include "endure/shape.hpp"
#include "endure/user.hpp"
#include "engine/plan.hpp"

namespace endure::cppfile {

namespace {

// init_command_line_parser's parser: collects the options a C++ locustfile declares.
class option_parser final : public endure::parser {
 public:
  struct declared {
    engine::custom_option option;
    arg_type type = arg_type::text;
  };
  void add_argument(std::string_view name, argument a) override {
    std::string n(name);
    while (!n.empty() && n.front() == '-') n.erase(n.begin());
    if (n.empty() && problem.empty())
      problem = "add_argument(\"" + std::string(name) + "\"): the option has no name";
    declared d;
    d.option.name = n;
    d.option.is_flag = a.type == arg_type::flag;
    d.option.default_value = std::move(a.default_value);
    d.option.help = std::move(a.help);
    d.option.choices = std::move(a.choices);
    d.option.type = a.type == arg_type::integer ? "int" : a.type == arg_type::number ? "float" : "";
    d.type = a.type;
    options.push_back(std::move(d));
  }
  std::vector<declared> options;
  std::string problem;
};

// A locustfile option's text as the JSON value its type asks for.
base::result<nlohmann::json> typed_value(const option_parser::declared& d, const std::string& text,
                                         bool is_default) {
  const std::string what = is_default ? "the default '" + text + "' of --" + d.option.name
                                      : "invalid value '" + text + "' for --" + d.option.name;
  switch (d.type) {
    case arg_type::flag:
      return nlohmann::json(text == "true");
    case arg_type::integer: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || p != text.data() + text.size())
        return base::make_error(what + ": expected an integer");
      return nlohmann::json(v);
    }
    case arg_type::number: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
        return base::make_error(what + ": expected a number");
      return nlohmann::json(v);
    }
    case arg_type::text:
      break;
  }
  return nlohmann::json(text);
}

class cpp_locustfile final : public engine::locustfile {
 public:
  explicit cpp_locustfile(loaded l)
      : loaded_(std::move(l)), env_(std::make_shared<cpp_environment>()) {
    for (const auto* c : loaded_.classes) {
      if (c->abstract) continue;
      engine::user_class uc;
      uc.name = c->name;
      uc.weight = c->weight;
      uc.fixed_count = c->fixed_count;
      if (c->arrival_rate > 0) uc.arrival_rate = c->arrival_rate;
      uc.session_min_ms = c->session_min_ms;
      uc.session_max_ms = c->session_max_ms;
      uc.host = c->host;
      uc.needs_host = c->needs_host;
      uc.handle = c;
      classes_.push_back(std::move(uc));
    }
  }

  // Runs each file's ENDURE_EVENTS function (main thread, at load).
  base::result<base::unit> register_listeners() {
    for (auto* registrar : loaded_.event_registrars) {
      try {
        registrar(env_->events());
      } catch (const std::exception& e) {
        return base::make_error("its ENDURE_EVENTS function threw: " + std::string(e.what()));
      }
    }
    return base::unit{};
  }

  const char* language() const override { return "c++"; }
  const std::vector<engine::user_class>& classes() const override { return classes_; }

  // init_command_line_parser fires once; its options are kept for configure().
  base::result<std::vector<engine::custom_option>> custom_options() override {
    if (!parser_) {
      parser_ = std::make_unique<option_parser>();
      env_->events().init_command_line_parser.fire(*parser_);
    }
    if (!parser_->problem.empty()) return base::make_error(parser_->problem);
    std::vector<engine::custom_option> out;
    for (const auto& d : parser_->options) out.push_back(d.option);
    return out;
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
    // Locust's names as given, the locustfile's own options by their Python names, typed.
    nlohmann::json options = parsed_options;
    const nlohmann::json extra =
        options.contains("extra") ? options["extra"] : nlohmann::json::object();
    options.erase("extra");
    if (auto r = custom_options(); !r) return r.err();
    for (const auto& d : parser_->options) {
      std::string key = d.option.name;
      std::replace(key.begin(), key.end(), '-', '_');
      const bool given = extra.contains(d.option.name) && extra[d.option.name].is_string();
      const std::string text =
          given ? extra[d.option.name].get<std::string>() : d.option.default_value;
      if (d.type != arg_type::text && d.type != arg_type::flag && text.empty()) {
        options[key] = nullptr;  // no value and no default: None, as argparse leaves it
        continue;
      }
      auto v = typed_value(d, text, text == d.option.default_value);
      if (!v) return v.err();
      options[key] = std::move(*v);
    }
    const std::string host = parsed_options.value("host", std::string());
    cfg.make_shard = [env = env_](int index, const engine::shard_config& sc)
        -> std::unique_ptr<engine::user_shard> {
      return std::make_unique<cpp_shard>(index, sc, env);
    };
    if (!initialized_) {
      initialized_ = true;
      env_->set_options(std::move(options), host);
      env_->events().init.fire(*env_);
      // Shards read the listener lists without a lock: none may be added from here on.
      env_->seal();
    }
    return base::unit{};
  }

  base::result<base::unit> set_custom_options(const std::map<std::string, std::string>& values) override {
    if (!parser_ || !initialized_) return base::make_error("the locustfile's options are not read yet");
    for (const auto& [name, text] : values) {
      auto d = std::find_if(parser_->options.begin(), parser_->options.end(),
                            [&](const auto& o) { return o.option.name == name; });
      if (d == parser_->options.end()) return base::make_error("--" + name + " is not an option of the locustfile");
      std::string key = name;
      std::replace(key.begin(), key.end(), '-', '_');
      if (d->type != arg_type::text && d->type != arg_type::flag && text.empty()) {
        env_->set_option(key, nullptr);
        continue;
      }
      auto v = typed_value(*d, text, false);
      if (!v) return v.err();
      env_->set_option(key, std::move(*v));
    }
    return base::unit{};
  }

  std::string shape_name() const override {
    if (!loaded_.shape) return "";
    const auto& s = *loaded_.shape;
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(typeid(s).name(), nullptr, nullptr, &status),
                                                std::free);
    std::string n = status == 0 && name ? name.get() : "LoadTestShape";
    if (auto colon = n.rfind("::"); colon != std::string::npos) n = n.substr(colon + 2);
    return n;
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

  // Run events reach the listeners on the publishing (control) thread, in order with the records
  // that feed environment().stats_total().
  engine::subscription attach(engine::run_bus& bus) override {
    return bus.subscribe([env = env_](const engine::run_item& item) { env->on_run_item(item); });
  }

  int finish(int exit_code) override {
    env_->events().quitting.fire(*env_);
    env_->events().quit.fire(exit_code);
    return exit_code;
  }

 private:
  loaded loaded_;
  std::shared_ptr<cpp_environment> env_;
  std::unique_ptr<option_parser> parser_;
  std::vector<engine::user_class> classes_;
  std::optional<uint64_t> num_users_;
  bool initialized_ = false;
};

}  // namespace

base::result<std::unique_ptr<engine::locustfile>> open_cpp_locustfile(const std::string& spec,
                                                                      const load_options& opts) {
  auto l = load(spec, opts);
  if (!l) return l.err();
  auto lf = std::make_unique<cpp_locustfile>(std::move(*l));
  if (auto r = lf->register_listeners(); !r) return base::make_error(spec + ": " + r.err().message);
  return std::unique_ptr<engine::locustfile>(std::move(lf));
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
