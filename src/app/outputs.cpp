#include "app/outputs.hpp"

#include <unistd.h>

#include <filesystem>

#include "sinks/console_sink.hpp"
#include "sinks/csv_sink.hpp"
#include "sinks/html_sink.hpp"
#include "sinks/json_sink.hpp"
#include "sinks/monitor_sink.hpp"
#include "sinks/users_sink.hpp"

namespace endure::app {

namespace {

// An output file must be creatable before the run starts (its directory exists and is writable).
base::result<base::unit> check_writable(const std::string& flag, const std::string& path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' is not writable");
  return base::unit{};
}

// Sinks that must run in order on one thread (those sharing stdout).
class sink_group final : public sinks::sink {
 public:
  void add(std::unique_ptr<sinks::sink> s) { sinks_.push_back(std::move(s)); }
  void on_snapshot(const stats::snapshot& s) override {
    for (auto& k : sinks_) k->on_snapshot(s);
  }
  void collect(std::vector<const sinks::sink*>& out) const {
    for (const auto& k : sinks_) out.push_back(k.get());
  }

 private:
  std::vector<std::unique_ptr<sinks::sink>> sinks_;
};

// Snapshots a lossless file output may hold before it falls behind (then its queue grows: a
// snapshot cannot be merged into another).
constexpr size_t file_queue = 300;

}  // namespace

base::result<std::unique_ptr<outputs>> outputs::open(const cli::options& o,
                                                     const report::html_run_info& info,
                                                     bool per_class,
                                                     sinks::annex_source annex) {
  std::unique_ptr<outputs> out(new outputs());
  // Everything that prints on stdout shares one thread, in order: the summary (and the soak
  // verdict), then --json.
  auto stdout_group = std::make_unique<sink_group>();
  report::console_options console;
  console.max_rows = o.console_rows;
  console.load_model = per_class;
  auto console_sink = std::make_unique<sinks::console_sink>(stdout, o.only_summary, true, console);
  console_sink->set_annex(annex);
  stdout_group->add(std::move(console_sink));
  if (o.json) {
    auto json = std::make_unique<sinks::json_sink>("-");
    json->set_annex(annex);
    stdout_group->add(std::move(json));
  }
  out->add("console", engine::output_policy::latest_only, std::move(stdout_group));
  if (!o.json_file.empty()) {
    if (auto r = check_writable("--json-file", o.json_file); !r) return r.err();
    auto json = std::make_unique<sinks::json_sink>(o.json_file);
    json->set_annex(annex);
    out->add("--json-file", engine::output_policy::latest_only, std::move(json));
  }
  if (!o.html_file.empty()) {
    if (auto r = check_writable("--html", o.html_file); !r) return r.err();
    auto html = std::make_unique<sinks::html_sink>(o.html_file, info);
    html->set_annex(annex);
    out->add("--html", engine::output_policy::lossless, std::move(html));
  }
  if (!o.csv_prefix.empty()) {  // last: it creates its files at once
    auto s = sinks::csv_sink::open(o.csv_prefix, o.csv_full_history);
    if (!s) return s.err();
    out->add("--csv", engine::output_policy::lossless, std::move(*s));
    if (per_class) {
      auto u = sinks::users_sink::open(o.csv_prefix);
      if (!u) return u.err();
      out->add("--csv users", engine::output_policy::lossless, std::move(*u));
    }
    if (!o.monitor_pids.empty() || !o.monitor_processes.empty() || !o.monitor_disks.empty() ||
        !o.monitor_node_exporters.empty() || !o.monitor_queries.empty()) {
      auto m = sinks::monitor_sink::open(o.csv_prefix);
      if (!m) return m.err();
      out->add("--csv monitor", engine::output_policy::lossless, std::move(*m));
    }
  }
  return out;
}

void outputs::add(std::string name, engine::output_policy policy, std::unique_ptr<sinks::sink> s) {
  one o;
  o.sink = std::move(s);
  sinks::sink* raw = o.sink.get();
  o.queue = std::make_unique<engine::async_output<stats::snapshot_ptr>>(
      std::move(name), policy, file_queue,
      [raw](const stats::snapshot_ptr& snap) { raw->on_snapshot(*snap); });
  outs_.push_back(std::move(o));
}

outputs::~outputs() {
  subs_.clear();
  for (auto& o : outs_) o.queue->stop();
}

void outputs::attach(engine::snapshot_bus& bus) {
  for (auto& o : outs_) {
    auto* q = o.queue.get();
    subs_.push_back(bus.subscribe([q](const stats::snapshot_ptr& s) { q->push(s); }));
  }
}

std::vector<sinks::file_problem> outputs::incomplete() const {
  std::vector<const sinks::sink*> all;
  for (const auto& o : outs_) {
    if (const auto* g = dynamic_cast<const sink_group*>(o.sink.get()))
      g->collect(all);
    else
      all.push_back(o.sink.get());
  }
  return sinks::incomplete_files(all);
}

bool outputs::drain(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool all = true;
  for (auto& o : outs_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    all = o.queue->drain(std::max(left, std::chrono::milliseconds(0))) && all;
  }
  return all;
}

}  // namespace endure::app
