#include "cli/help.hpp"

#include <optional>

#include "cli/option_table.hpp"

namespace endure::cli {
namespace {

constexpr size_t help_column = 34;

// "  -u, --users N" padded to the help column, or on a line of its own when longer.
std::string with_help(std::string left, std::string_view help) {
  if (left.size() < help_column) left.resize(help_column, ' ');
  else left += "\n" + std::string(help_column, ' ');
  return left + std::string(help) + "\n";
}

}  // namespace

std::string help_text(std::span<const command> commands, const std::vector<extra_option>& extras) {
  std::string out =
      "Usage: endure [run] [options] [UserClass ...]\n"
      "       endure <command> [options]\n"
      "\n"
      "A load-testing engine for long soak tests that runs Locust locustfiles, Python or C++.\n"
      "Options may also come from locust.conf / endure.conf (key = value) and from\n"
      "LOCUST_<NAME> / ENDURE_<NAME> environment variables; the command line wins.\n"
      "\nCommands (endure <command> --help for its own options):\n";
  for (const auto& c : commands) {
    std::string left = "  " + std::string(c.name);
    left.resize(std::max<size_t>(left.size() + 2, 14), ' ');
    out += left + std::string(c.summary) + "\n";
  }
  out += "Only a first word names a command: `endure run NAME` runs the user class NAME.\n";
  std::optional<section> group;
  for (const auto& s : option_table()) {
    if (group != s.group) {
      group = s.group;
      out += "\n" + std::string(section_title(s.group)) + "\n";
    }
    std::string left = "  ";
    left += s.short_name ? std::string("-") + s.short_name + ", " : "    ";
    left += "--" + std::string(s.name);
    if (s.kind != arity::flag) left += " " + std::string(s.metavar) + (s.kind == arity::list ? " [...]" : "");
    out += with_help(std::move(left), s.help);
  }
  if (!extras.empty()) {
    out += "\nOptions of the locustfile:\n";
    for (const auto& e : extras)
      out += with_help("      --" + e.name + (e.is_flag ? "" : " VALUE"),
                       e.help + (e.default_value.empty() ? "" : " (default: " + e.default_value + ")"));
  }
  out +=
      "\nExit codes: 0 success; 1 (--exit-code-on-error) when a request failed or a task raised;\n"
      "2 bad options or locustfile; 3 a threshold failed; 4 an output is incomplete;\n"
      "5 users did not stop and were abandoned; 70 internal error.\n";
  return out;
}

}  // namespace endure::cli
