// cli::pick: the sub-command table and the rule that tells a sub-command from a user class.
#include "cli/command.hpp"

#include <gtest/gtest.h>

using namespace endure::cli;

namespace {

int run_main(const invocation&) { return 10; }
int shop_main(const invocation&) { return 11; }
int report_main(const invocation&) { return 12; }

const command table[] = {
    {"run", "Run a load test", run_main},
    {"demo-shop", "Serve the demo shop", shop_main},
    {"report", "Report on a stored run", report_main},
};

using args = std::vector<std::string>;

}  // namespace

TEST(command, the_first_row_is_the_default) {
  auto inv = pick(table, {}, {"A=1"});
  EXPECT_EQ(inv.cmd->name, "run");
  EXPECT_TRUE(inv.args.empty());
  EXPECT_EQ(inv.env, args{"A=1"});
  EXPECT_EQ(inv.commands.size(), 3u);
  EXPECT_EQ(inv.cmd->main(inv), 10);
  auto opts = pick(table, {"-f", "x.py", "--headless"}, {});
  EXPECT_EQ(opts.cmd->name, "run");
  EXPECT_EQ(opts.args, (args{"-f", "x.py", "--headless"}));
}

TEST(command, a_first_word_naming_a_command_picks_it) {
  auto shop = pick(table, {"demo-shop", "--port", "0"}, {});
  EXPECT_EQ(shop.cmd->name, "demo-shop");
  EXPECT_EQ(shop.args, (args{"--port", "0"}));
  EXPECT_EQ(shop.cmd->main(shop), 11);
  auto help = pick(table, {"report", "--help"}, {});
  EXPECT_EQ(help.cmd->name, "report");
  EXPECT_EQ(help.args, args{"--help"});
  auto run = pick(table, {"run", "-u", "3"}, {});
  EXPECT_EQ(run.cmd->name, "run");
  EXPECT_EQ(run.args, (args{"-u", "3"}));
}

TEST(command, anything_else_is_the_default_commands_user_class_or_option) {
  // A user class that is not a command name, a command name later on, a near miss, a case change.
  for (const args& a : {args{"ShopUser", "-f", "x.py"}, args{"-f", "x.py", "report"}, args{"reports"},
                        args{"Report"}, args{"--", "report"}}) {
    auto inv = pick(table, a, {});
    EXPECT_EQ(inv.cmd->name, "run") << a[0];
    EXPECT_EQ(inv.args, a);
  }
  // `endure run report` runs the user class named report.
  auto cls = pick(table, {"run", "report"}, {});
  EXPECT_EQ(cls.cmd->name, "run");
  EXPECT_EQ(cls.args, args{"report"});
}
