// endure's entry point: picks a sub-command from one table (cli/command.hpp) and runs it. Each
// mode lives in its own file; this one reads the run's options once, answers --help and
// --version, and turns escaped exceptions into one line and an exit code.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/locustfiles.hpp"
#include "app/standalone.hpp"
#include "app/store_commands.hpp"
#include "base/log.hpp"
#include "base/result.hpp"
#include "cli/command.hpp"
#include "cli/help.hpp"
#include "cli/raw_options.hpp"
#include "server/demo_shop_main.hpp"

extern char** environ;

namespace {

using namespace endure;

// `endure [run]`: --help and --version need no locustfile (and must work when other options are
// wrong); the run resolves the options once it knows its locustfile's own options.
int run_command(const cli::invocation& inv) {
  auto raw = cli::read(inv.args, inv.env, ".");
  if (!raw) {
    std::fprintf(stderr, "endure: error: %s\n", raw.err().message.c_str());
    return raw.err().code;
  }
  if (raw->flag("help")) {
    // With -f, the locustfile's own options are listed too (it is loaded, compiled if need be).
    std::vector<cli::extra_option> extras;
    if (raw->given("locustfile")) {
      auto spec = raw->locustfile();
      auto lf = spec ? app::open_locustfile(*spec) : base::result<std::unique_ptr<engine::locustfile>>(spec.err());
      if (!lf) {
        std::fprintf(stderr, "endure: error: %s\n", lf.err().message.c_str());
        return lf.err().code;
      }
      auto custom = (*lf)->custom_options();
      if (!custom) {
        std::fprintf(stderr, "endure: error: %s\n", custom.err().message.c_str());
        return custom.err().code;
      }
      for (auto& c : *custom) extras.push_back({c.name, c.is_flag, c.default_value, c.help, c.choices, c.type});
    }
    std::fputs(cli::help_text(inv.commands, extras).c_str(), stdout);
    return 0;
  }
  if (raw->flag("version")) {
    std::printf("endure %s\n", ENDURE_VERSION);
    return 0;
  }
  return app::run_standalone(*raw, inv.args);
}

int demo_shop_command(const cli::invocation& inv) {
  std::vector<std::string> words = {"demo-shop"};
  words.insert(words.end(), inv.args.begin(), inv.args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return server::demo_shop_main(static_cast<int>(words.size()), argv.data());
}

// Every sub-command: a new one (report, runs, compare) is one row here. The first is the default.
const cli::command commands[] = {
    {"run", "Run a load test from a locustfile (the default command)", run_command},
    {"report", "Regenerate a run's reports (console, CSV, JSON, HTML) from its run store", app::report_main},
    {"runs", "List the recorded runs in a folder (default: ./runs)", app::runs_main},
    {"compare", "Compare two recorded runs per endpoint; --fail-on sets exit code 3", app::compare_main},
    {"demo-shop", "Serve the built-in demo shop, a small HTTP target to try endure on", demo_shop_command},
};

}  // namespace

int main(int argc, char** argv) {
  try {
    // The web UI's GET /logs shows the last lines from the start (bounded: 500 lines).
    base::keep_log_tail(500);
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    auto inv = cli::pick(commands, std::vector<std::string>(argv + 1, argv + argc), std::move(env));
    return inv.cmd->main(inv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "endure: internal error: %s\n", e.what());
    return static_cast<int>(base::exit_code::internal);
  }
}
