// cli::help_text: every row of the option table and every command appears, grouped, with its
// short name, metavar and help; the locustfile's options when known.
#include "cli/help.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/option_table.hpp"

using namespace endure::cli;

namespace {
int nothing(const invocation&) { return 0; }
const command table[] = {{"run", "Run a load test (the default)", nothing},
                         {"demo-shop", "Serve the demo shop", nothing}};

// The line of --help that documents --name (an option line starts with "  -" or "      --").
std::string line_of(const std::string& help, std::string_view name) {
  std::stringstream lines(help);
  std::string line, flag = "--" + std::string(name);
  while (std::getline(lines, line)) {
    if (!line.starts_with("  -") && !line.starts_with("      --")) continue;
    auto p = line.find(flag);
    if (p != std::string::npos && (p + flag.size() == line.size() || line[p + flag.size()] == ' ')) return line;
  }
  return "";
}
}  // namespace

TEST(help, lists_every_option_with_its_names_and_metavar) {
  std::string h = help_text(table);
  for (const auto& row : option_table()) {
    SCOPED_TRACE(std::string(row.name));
    std::string line = line_of(h, row.name);
    ASSERT_FALSE(line.empty());
    std::string names = row.short_name ? std::string("  -") + row.short_name + ", --" + std::string(row.name)
                                       : "      --" + std::string(row.name);
    EXPECT_EQ(line.rfind(names, 0), 0u) << line;
    if (row.kind != arity::flag) {
      EXPECT_NE(line.find(" " + std::string(row.metavar)), std::string::npos) << line;
    }
    EXPECT_NE(h.find(std::string(row.help)), std::string::npos);
  }
  EXPECT_NE(line_of(h, "tags").find("TAG [...]"), std::string::npos);
  for (auto s : {section::run, section::web_ui, section::distributed, section::store})
    EXPECT_NE(h.find("\n" + std::string(section_title(s)) + "\n"), std::string::npos);
  EXPECT_EQ(h.find("Options of the locustfile"), std::string::npos);
}

TEST(help, lists_the_commands_of_the_table) {
  std::string h = help_text(table);
  EXPECT_EQ(h.rfind("Usage: endure [run] [options] [UserClass ...]\n", 0), 0u);
  EXPECT_NE(h.find("\n  run         Run a load test (the default)\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\n  demo-shop   Serve the demo shop\n"), std::string::npos) << h;
  const command one[] = {{"run", "Only this", nothing}};
  EXPECT_EQ(help_text(one).find("demo-shop"), std::string::npos);
}

TEST(help, lists_the_locustfiles_own_options_when_known) {
  std::string h = help_text(table, {{"env-name", false, "staging", "which environment", {}},
                                    {"my-flag", true, "", "a switch", {}}});
  EXPECT_NE(h.find("\nOptions of the locustfile:\n"), std::string::npos);
  EXPECT_NE(h.find("      --env-name VALUE" + std::string(12, ' ') + "which environment (default: staging)\n"), std::string::npos) << h;
  EXPECT_NE(h.find("      --my-flag" + std::string(19, ' ') + "a switch\n"), std::string::npos) << h;
}
