#include "app/web_run.hpp"

#include <cstdio>
#include <filesystem>

#include "app/web_archive.hpp"
#include "base/log.hpp"
#include "web/web_ui.hpp"

namespace endure::app {
namespace {

// The run behind the UI: the standalone controller, or a master over its workers.
class controller_steering final : public web::steering {
 public:
  controller_steering(engine::steerable& ctl, engine::test_plan base, engine::locustfile* lf, bool class_picker)
      : ctl_(ctl), base_(std::move(base)), lf_(lf), class_picker_(class_picker) {}

  base::result<std::string> swarm(const web::swarm_request& r) override {
    const auto st = ctl_.state();
    if (st == stats::run_state::spawning || st == stats::run_state::running) {
      // Locust's edit: new targets for the running test (run time and host stay).
      ctl_.set_users(r.users, r.spawn_rate, r.user_classes);
      return std::string("Swarming started");
    }
    if (auto why = ctl_.start_refusal(); !why.empty()) return base::make_error(why);
    engine::test_plan plan = base_;
    plan.users = r.users;
    plan.spawn_rate = r.spawn_rate;
    if (!r.host.empty()) plan.host = r.host;
    plan.run_time = r.run_time;
    plan.user_classes = r.user_classes;
    // shape_class: "Default" runs the form's users and rate; the shape's name runs the shape.
    // Absent: with --class-picker Locust's default ("Default"), else the locustfile's shape.
    if (r.shape_class ? r.shape_class->empty() : class_picker_) plan.shape = {};
    // The locustfile's own options from the form: environment.parsed_options of this test on.
    if (!r.custom.empty()) {
      if (!lf_) return base::make_error("this run takes no locustfile options from the form");
      if (auto set = lf_->set_custom_options(r.custom); !set) return set.err();
      plan.custom_options = r.custom;
    }
    const bool shaped = static_cast<bool>(plan.shape);
    ctl_.start(std::move(plan));
    return std::string(shaped ? "Swarming started using the locustfile's load shape" : "Swarming started");
  }
  void stop() override { ctl_.stop(); }
  void reset_stats() override { ctl_.reset_stats(); }
  stats::run_state state() const override { return ctl_.state(); }
  uint64_t user_count() const override { return ctl_.user_count(); }
  bool is_distributed() const override { return ctl_.is_distributed(); }
  std::vector<engine::worker_status> workers() const override { return ctl_.workers(); }

 private:
  engine::steerable& ctl_;
  const engine::test_plan base_;
  engine::locustfile* lf_;
  const bool class_picker_;
};

}  // namespace

struct web_run::impl {
  engine::asio_scheduler& sched;
  engine::steerable& ctl;
  std::optional<std::chrono::milliseconds> autoquit;
  std::unique_ptr<controller_steering> steer;
  std::unique_ptr<web::web_ui> ui;
  base::scheduler::timer_id tick = 0;
  std::optional<std::chrono::steady_clock::time_point> stopped_since;

  impl(engine::asio_scheduler& s, engine::steerable& c) : sched(s), ctl(c) {}

  // The run loop wakes for commands and timers only: a slow tick lets --autoquit be noticed.
  void arm() {
    tick = sched.call_after(std::chrono::milliseconds(250), [this] {
      tick = 0;
      arm();
    });
  }
};

web_run::web_run(std::unique_ptr<impl> im) : impl_(std::move(im)) {}

web_run::~web_run() {
  if (impl_->tick) impl_->sched.cancel(impl_->tick);
  impl_->ui->stop();
}

base::result<std::unique_ptr<web_run>> web_run::open(const cli::options& o, engine::asio_scheduler& sched,
                                                     engine::steerable& ctl, engine::snapshot_bus& snapshots,
                                                     engine::test_plan base_plan,
                                                     std::vector<std::string> class_names,
                                                     report::html_run_info info, std::string tasks_json,
                                                     std::string store_file,
                                                     std::function<std::string()> metrics_page,
                                                     engine::locustfile* lf,
                                                     std::function<std::string()> verdict_page) {
  if (o.tls_cert.empty() != o.tls_key.empty())
    return base::make_error("--tls-cert and --tls-key go together: give both for HTTPS, or neither");
  auto im = std::make_unique<impl>(sched, ctl);
  im->autoquit = o.autoquit;
  web::web_ui_options w;
  w.bind_host = o.web_host;
  w.port = o.web_port;
  w.base_path = o.web_base_path;
  if (o.web_auth) w.auth = std::make_pair(o.web_auth->user, o.web_auth->password);
  w.tls_cert_file = o.tls_cert;
  w.tls_key_file = o.tls_key;
  w.defaults.users = o.users;
  w.defaults.spawn_rate = o.spawn_rate;
  w.defaults.host = o.host;
  w.defaults.run_time = o.run_time;
  w.defaults.known_classes = std::move(class_names);
  w.report_info = std::move(info);
  w.locustfile = o.locustfile;
  w.tasks_json = std::move(tasks_json);
  w.metrics_page = std::move(metrics_page);
  w.verdict_page = std::move(verdict_page);
  w.class_picker = o.class_picker;
  if (lf) {
    if (base_plan.shape && !lf->shape_name().empty()) w.defaults.shape_classes.push_back(lf->shape_name());
    auto custom = lf->custom_options();  // read once at load: cached
    if (!custom) return custom.err();
    for (const auto& c : *custom) {
      auto given = o.extra.find(c.name);
      w.defaults.custom_options.push_back(
          {c.name, c.is_flag, given != o.extra.end() ? given->second : c.default_value, c.help, c.choices, c.type});
    }
  }
  // The Runs page lists the folder this run records into (with --no-store: --store's folder, or
  // the default ./runs).
  std::string folder;
  if (!store_file.empty()) {
    folder = std::filesystem::path(store_file).parent_path().string();
    if (folder.empty()) folder = ".";
  } else {
    std::error_code ec;
    folder = !o.store.empty() && std::filesystem::is_directory(o.store, ec) ? o.store : "runs";
  }
  w.archive = std::make_shared<store_archive>(std::move(folder), std::move(store_file));
  im->steer = std::make_unique<controller_steering>(ctl, std::move(base_plan), lf, o.class_picker);
  im->ui = std::make_unique<web::web_ui>(std::move(w), *im->steer, snapshots);
  if (auto r = im->ui->start(); !r) return r.err();
  if (im->ui->is_exposed() && !o.web_auth) {
    // Loud on purpose: whoever reaches this port can point the load at any target.
    const std::string where = o.web_host == "*" ? "every interface" : o.web_host;
    base::log_warning("web", "WARNING: THE WEB UI IS OPEN TO THE NETWORK (--web-host " + o.web_host +
                                 ": " + where + ") WITHOUT --web-auth: anyone who can reach this machine can "
                                 "start load from it against any host. Set --web-auth user:password, or drop "
                                 "--web-host to listen on 127.0.0.1 only (the default)");
    std::fprintf(stderr, "\n!!! WARNING: the web UI listens on %s with no login (--web-auth): anyone who reaches it can start load. !!!\n\n",
                 where.c_str());
    std::fflush(stderr);
  }
  // The address a user opens, on stdout (the one line a script or a person looks for).
  std::printf("Web UI: %s\n", im->ui->url().c_str());
  std::fflush(stdout);
  base::log_info("web", "Starting web interface at " + im->ui->url() +
                            (o.autostart ? "" : " (start the test from there, or POST /swarm)"));
  im->arm();
  return std::unique_ptr<web_run>(new web_run(std::move(im)));
}

bool web_run::finished(bool signal_received) {
  const auto st = impl_->ctl.state();
  const bool idle = st == stats::run_state::ready || st == stats::run_state::stopped;
  if (signal_received && idle) return true;
  if (!impl_->autoquit || impl_->ctl.tests_started() == 0 || st != stats::run_state::stopped) {
    impl_->stopped_since.reset();
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!impl_->stopped_since) {
    impl_->stopped_since = now;
    base::log_info("web", "--autoquit: quitting in " + std::to_string(impl_->autoquit->count() / 1000) + " s");
  }
  return now - *impl_->stopped_since >= *impl_->autoquit;
}

std::string web_run::url() const { return impl_->ui->url(); }

}  // namespace endure::app
