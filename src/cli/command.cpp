#include "cli/command.hpp"

namespace endure::cli {

invocation pick(std::span<const command> commands, std::vector<std::string> args, std::vector<std::string> env) {
  invocation inv{&commands.front(), std::move(args), std::move(env), commands};
  if (inv.args.empty()) return inv;
  for (const auto& c : commands) {
    if (inv.args.front() == c.name) {
      inv.cmd = &c;
      inv.args.erase(inv.args.begin());
      break;
    }
  }
  return inv;
}

}  // namespace endure::cli
