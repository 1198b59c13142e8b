// endure's entry point: dispatches to a mode (demo shop, standalone run). Each mode lives in its
// own file; this one only turns errors into one line on stderr and an exit code.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/standalone.hpp"
#include "base/result.hpp"
#include "server/demo_shop_main.hpp"

extern char** environ;

int main(int argc, char** argv) {
  try {
    if (argc >= 2 && std::string(argv[1]) == "demo-shop") return endure::server::demo_shop_main(argc - 1, argv + 1);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    return endure::app::run_standalone(args, env);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "endure: internal error: %s\n", e.what());
    return static_cast<int>(endure::base::exit_code::internal);
  }
}
