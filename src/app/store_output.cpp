#include "app/store_output.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/option_table.hpp"
#include "engine/totals_stage.hpp"
#include "store/reader.hpp"
#include "store/time_text.hpp"

namespace endure::app {

namespace fs = std::filesystem;

namespace {

// Locustfile contents larger than this are recorded by hash only.
constexpr uintmax_t max_recorded_bytes = 16u << 20;

std::vector<std::string> split_list(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The files a -f spec names: a file, a directory's *.py / *.cpp (not _*), or a comma list.
std::vector<std::string> locustfile_files(const std::string& spec) {
  std::vector<std::string> out;
  for (const auto& item : split_list(spec)) {
    std::error_code ec;
    if (fs::is_directory(item, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : fs::directory_iterator(item, ec)) {
        const auto name = e.path().filename().string();
        const auto ext = e.path().extension().string();
        if (e.is_regular_file(ec) && !name.starts_with("_") && (ext == ".py" || ext == ".cpp"))
          in_dir.push_back(e.path().string());
      }
      std::sort(in_dir.begin(), in_dir.end());
      out.insert(out.end(), in_dir.begin(), in_dir.end());
    } else {
      out.push_back(item);
    }
  }
  return out;
}

// A file-name-safe stem of the locustfile spec: "ecommerce" for examples/ecommerce.cpp.
std::string locustfile_stem(const std::string& spec) {
  const auto items = split_list(spec);
  std::string stem = items.empty() ? "run" : fs::path(items.front()).stem().string();
  if (stem.empty() && !items.empty())
    stem = fs::path(items.front()).parent_path().filename().string();
  for (auto& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return stem.empty() ? "run" : stem;
}

std::string read_whole(const std::string& path) {
  std::error_code ec;
  if (fs::file_size(path, ec) > max_recorded_bytes || ec) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

base::result<std::string> store_path(const std::string& store_option,
                                     const std::string& locustfile_spec, double start_wall_s) {
  std::error_code ec;
  fs::path dir;
  bool folder = true;
  if (store_option.empty()) {
    dir = "runs";
    fs::create_directories(dir, ec);
    if (ec)
      return base::make_error("cannot create the folder 'runs' for the run store: " + ec.message() +
                              " (name another with --store PATH, or --no-store)");
  } else if (store_option.back() == '/' || fs::is_directory(store_option, ec)) {
    dir = store_option;
    if (!fs::is_directory(dir, ec))
      return base::make_error("cannot write the run store in '" + store_option +
                              "': the folder does not exist");
  } else {
    folder = false;
    const fs::path p(store_option);
    dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec))
      return base::make_error("cannot write the run store '" + store_option + "': folder '" +
                              dir.string() + "' does not exist");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return base::make_error("cannot write the run store in '" + dir.string() +
                            "': the folder is not writable (name another with --store PATH, or "
                            "--no-store)");
  if (!folder) return store_option;
  const std::string base =
      store::file_stamp_utc(start_wall_s) + "-" + locustfile_stem(locustfile_spec);
  fs::path file = dir / (base + ".db");
  for (int n = 2; fs::exists(file, ec) && n < 1000; ++n)
    file = dir / (base + "-" + std::to_string(n) + ".db");
  return file.string();
}

store::run_meta run_meta_of(const cli::options& o, const std::vector<std::string>& command_line,
                            const std::vector<engine::user_class>& classes, const std::string& host,
                            double start_wall_s) {
  store::run_meta m;
  m.start_wall_s = start_wall_s;
  m.endure_version = ENDURE_VERSION;
  m.host = host;
  m.machine = store::this_machine();
  auto source_of = [&o](const std::string& name) {
    auto it = o.source.find(name);
    return it == o.source.end() ? std::string("default") : it->second.layer;
  };
  for (const auto& row : cli::option_table()) {
    const std::string name(row.name);
    std::string value = row.bind.show ? row.bind.show(o) : "";
    if (row.secret && !value.empty()) value = "(set, not recorded)";
    m.options.push_back({name, value, source_of(name)});
  }
  for (const auto& [name, value] : o.extra) m.options.push_back({name, value, source_of(name)});
  // argv with the values of secret options masked (--web-auth user:password).
  m.command_line.push_back("endure");
  bool mask_next = false;
  for (const auto& w : command_line) {
    if (mask_next) {
      m.command_line.push_back("(not recorded)");
      mask_next = false;
      continue;
    }
    std::string word = w;
    if (word.starts_with("--")) {
      const auto eq = word.find('=');
      const auto* row =
          cli::find_option(word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2));
      if (row != nullptr && row->secret) {
        if (eq == std::string::npos)
          mask_next = true;
        else
          word = word.substr(0, eq + 1) + "(not recorded)";
      }
    }
    m.command_line.push_back(word);
  }
  for (const auto& f : locustfile_files(o.locustfile)) m.locustfiles.push_back({f, read_whole(f)});
  for (const auto& c : classes) m.classes.push_back({c.name, c.weight, c.fixed_count});
  return m;
}

store_output::store_output(std::unique_ptr<store::writer> w, size_t queue) : writer_(std::move(w)) {
  store::writer* raw = writer_.get();
  queue_ = std::make_unique<engine::async_output<engine::run_item>>(
      "the run store " + raw->path(), engine::output_policy::lossless, queue,
      [raw, this](const engine::run_item& item) {
        if (const auto* r = std::get_if<stats::record_ptr>(&item)) {
          if (*r) raw->write(**r);
        } else {
          const auto& e = std::get<engine::run_event>(item);
          raw->write(store::event_info{e.wall_s, engine::to_string(e.kind), e.test, e.user_count,
                                       e.detail});
        }
        timespec ts{};
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
          cpu_ns_.store(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
      },
      engine::coalesce_records);
}

store_output::~store_output() {
  sub_.reset();
  queue_->stop();
}

base::result<std::unique_ptr<store_output>> store_output::open(const std::string& path,
                                                               const store::run_meta& meta,
                                                               store::writer_settings settings,
                                                               size_t queue) {
  auto w = store::writer::create(path, meta, std::move(settings));
  if (!w) return w.err();
  return std::unique_ptr<store_output>(new store_output(std::move(*w), queue));
}

base::result<std::unique_ptr<store_output>> store_output::resume(const std::string& path,
                                                                  store::resume_point& at,
                                                                  size_t queue) {
  auto w = store::writer::resume(path, at);
  if (!w) return w.err();
  return std::unique_ptr<store_output>(new store_output(std::move(*w), queue));
}

namespace {
// Whether PATH's run ended (nullopt: not a readable run store).
std::optional<bool> run_ended(const std::string& path, std::string* why = nullptr) {
  auto r = store::reader::open(path);
  if (!r) {
    if (why != nullptr) *why = r.err().message;
    return std::nullopt;
  }
  return (*r)->info().has_end;
}
}  // namespace

base::result<std::optional<std::string>> resumable_store(const cli::options& o) {
  std::error_code ec;
  const bool folder = o.store.empty() || o.store.back() == '/' || fs::is_directory(o.store, ec);
  if (!folder) {
    if (!fs::exists(o.store, ec)) {
      if (o.resume)
        return base::make_error("--resume: the run store " + o.store + " does not exist: nothing to resume");
      return std::optional<std::string>();
    }
    std::string why;
    const auto ended = run_ended(o.store, &why);
    if (!ended) return base::make_error("cannot resume " + o.store + ": " + why);
    if (*ended) {
      if (o.resume)
        return base::make_error("--resume: the run recorded in " + o.store +
                                " has ended: only a run that did not end can be carried on");
      return std::optional<std::string>();  // creating it is refused: it exists
    }
    return std::optional<std::string>(o.store);
  }
  if (!o.resume) return std::optional<std::string>();
  const fs::path dir = o.store.empty() ? fs::path("runs") : fs::path(o.store);
  std::optional<std::string> newest;
  double newest_start = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".db") continue;
    auto r = store::reader::open(e.path().string());
    if (!r || (*r)->info().has_end) continue;
    if (!newest || (*r)->info().start_wall_s > newest_start) {
      newest = e.path().string();
      newest_start = (*r)->info().start_wall_s;
    }
  }
  if (!newest)
    return base::make_error("--resume: no run that did not end in " + dir.string() +
                            ": name its file with --store PATH");
  return newest;
}

void store_output::attach(engine::run_bus& bus) {
  sub_ = bus.subscribe([this](const engine::run_item& item) { queue_->push(item); });
}

void store_output::push(const engine::run_item& item) { queue_->push(item); }

bool store_output::drain(std::chrono::milliseconds limit) { return queue_->drain(limit); }

bool store_output::finish(double end_wall_s, const std::string& reason, int exit_code) {
  sub_.reset();
  queue_->stop();
  return writer_->finish(end_wall_s, reason, exit_code);
}

std::optional<sinks::file_problem> store_output::problem() const {
  const auto st = writer_->status();
  if (st.complete) return std::nullopt;
  return sinks::file_problem{writer_->path(), st.reason};
}

}  // namespace endure::app
