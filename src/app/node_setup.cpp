#include "app/node_setup.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <thread>

#include "app/locustfiles.hpp"
#include "base/log.hpp"
#include "cli/availability.hpp"

namespace endure::app {

base::result<std::optional<dist::curve_keys>> cluster_keys_of(const cli::options& o) {
  if (o.cluster_secret_file.empty()) return std::optional<dist::curve_keys>();
  auto keys = dist::curve_keys_from_file(o.cluster_secret_file);
  if (!keys) return keys.err();
  return std::optional<dist::curve_keys>(std::move(*keys));
}

dist::link_security master_link_security(std::optional<dist::curve_keys> keys) {
  dist::link_security s;
  s.curve = std::move(keys);
  struct state {
    std::chrono::steady_clock::time_point last{};
    uint64_t quiet = 0;
  };
  // Per kind of refusal (network thread only).
  s.on_handshake_failed = [seen = std::make_shared<std::map<std::string, state>>()](const std::string& why, int, bool) {
    state& st = (*seen)[why];
    const auto now = std::chrono::steady_clock::now();
    if (st.last != std::chrono::steady_clock::time_point{} && now - st.last < std::chrono::seconds(60)) {
      ++st.quiet;
      return;
    }
    const std::string more = st.quiet ? " (and " + std::to_string(st.quiet) + " more in the last minute)" : "";
    base::log_warning("master", why + more);
    st.last = now;
    st.quiet = 0;
  };
  return s;
}

std::vector<std::string> process_command_line() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  std::string cur;
  for (char c : all) {
    if (c == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  return out;
}

int fail_with(const base::error& e) {
  std::fprintf(stderr, "endure: error: %s\n", e.message.c_str());
  return e.code;
}

base::result<loaded_run> load_run(const cli::raw_options& raw) {
  auto spec = raw.locustfile();
  if (!spec) return spec.err();
  auto own = raw.resolve_known();
  if (!own) return own.err();
  const cli::feature built[] = {cli::feature::distributed, cli::feature::store, cli::feature::web_ui};
  cli::options check = *own;
  // A worker takes its test from the master: it has no UI of its own to refuse.
  if (check.worker) check.headless = true;
  if (auto r = cli::check_available(check, built); !r) return r.err();
  base::set_log_level(*base::parse_log_level(own->loglevel));
  if (!own->logfile.empty())
    if (auto r = base::set_log_file(own->logfile); !r) return r.err();
  auto l = open_locustfile(*spec);
  if (!l) return l.err();
  loaded_run run;
  run.lf = std::move(*l);
  auto custom = run.lf->custom_options();
  if (!custom) return custom.err();
  std::vector<cli::extra_option> extras;
  for (auto& c : *custom) extras.push_back({c.name, c.is_flag, c.default_value, c.help, c.choices, c.type});
  auto parsed = raw.resolve(extras);
  if (!parsed) return parsed.err();
  run.o = std::move(*parsed);
  const cli::options& o = run.o;
  run.classes = run.lf->classes();
  if (!o.user_classes.empty()) {
    std::vector<engine::user_class> picked;
    for (const auto& name : o.user_classes) {
      auto it = std::find_if(run.classes.begin(), run.classes.end(), [&](auto& c) { return c.name == name; });
      if (it == run.classes.end()) return base::make_error("unknown user class '" + name + "'");
      picked.push_back(*it);
    }
    run.classes = picked;
  }
  if (run.classes.empty()) return base::make_error(o.locustfile + ": no user classes (all abstract?)");
  run.parsed_options = {{"host", o.host},
                        {"num_users", o.users},
                        {"spawn_rate", o.spawn_rate},
                        {"headless", o.headless},
                        {"locustfile", o.locustfile},
                        {"tags", o.tags},
                        {"exclude_tags", o.exclude_tags},
                        {"reset_stats", o.reset_stats},
                        {"stop_timeout", static_cast<double>(o.stop_timeout.count()) / 1000.0},
                        {"expect_workers", o.expect_workers}};
  if (o.run_time) run.parsed_options["run_time"] = o.run_time->count() / 1000;
  run.parsed_options["extra"] = o.extra;
  return run;
}

base::result<engine::controller_config> controller_config_of(loaded_run& run) {
  const cli::options& o = run.o;
  engine::controller_config cfg;
  cfg.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cfg.shards.client.request_timeout = o.request_timeout;
  cfg.shards.client.connect_timeout = o.request_timeout;
  cfg.shards.client.insecure = o.insecure;
  cfg.shards.client.dns_ttl = o.dns_ttl;
  cfg.shards.tags = o.tags;
  cfg.shards.exclude_tags = o.exclude_tags;
  cfg.shards.classes = run.classes;
  cfg.seed = o.seed;
  cfg.sampler = engine::make_process_sampler();
  if (auto r = run.lf->configure(cfg, run.parsed_options); !r) return r.err();
  return cfg;
}

}  // namespace endure::app
