// cli::availability: options for parts not built yet (master/worker, --processes, the run store,
// the web UI) are refused with one exact line naming where they were set; a built feature drops
// its refusal; options that switch nothing on are accepted.
#include "cli/availability.hpp"

#include <gtest/gtest.h>

#include "scratch.hpp"

using namespace endure::cli;
using namespace endure::cli::testing;

namespace {

std::string refusal(std::vector<std::string> args, std::vector<std::string> env = {},
                    std::vector<feature> built = {}, const std::string& dir = scratch("availability")) {
  auto o = parse(std::move(args), env, dir);
  if (!o) return "parse: " + o.err().message;
  auto r = check_available(*o, built);
  if (r) return "";
  EXPECT_EQ(r.err().code, 2);
  return r.err().message;
}

const std::string distributed = " is not available in this build yet (master/worker mode is not built): remove it";

}  // namespace

TEST(availability, modes_not_built_are_refused_from_every_source) {
  EXPECT_EQ(refusal({"--headless", "--master"}), "--master" + distributed);
  EXPECT_EQ(refusal({"--headless", "--worker", "--master-host", "10.0.0.5"}), "--worker" + distributed);
  EXPECT_EQ(refusal({"--headless", "--processes", "4"}), "--processes" + distributed);
  EXPECT_EQ(refusal({"--headless", "--processes", "-1"}), "--processes" + distributed);
  EXPECT_EQ(refusal({"--headless"}, {"LOCUST_MODE_MASTER=true"}),
            "--master (from environment variable LOCUST_MODE_MASTER)" + distributed);
  EXPECT_EQ(refusal({"--headless"}, {"LOCUST_MODE_WORKER=1"}),
            "--worker (from environment variable LOCUST_MODE_WORKER)" + distributed);
  EXPECT_EQ(refusal({"--headless"}, {"ENDURE_PROCESSES=2"}),
            "--processes (from environment variable ENDURE_PROCESSES)" + distributed);
  std::string d = scratch("availability-conf");
  write(d + "/locust.conf", "master = true\n");
  EXPECT_EQ(refusal({"--headless"}, {}, {}, d), "--master (from config file " + d + "/locust.conf)" + distributed);
  EXPECT_EQ(refusal({"--headless", "--store", "runs/x.db"}),
            "--store is not available in this build yet (the run store is not built): remove it");
  EXPECT_EQ(refusal({"--headless", "--worker", "--store", "r.db"}, {"LOCUST_PROCESSES=2"}),
            "--worker, --processes (from environment variable LOCUST_PROCESSES), --store are not available in this "
            "build yet (master/worker mode and the run store are not built): remove them");
}

TEST(availability, the_web_ui_needs_headless_until_it_exists) {
  const std::string web = "the web UI is not available in this build yet: add --headless (with -u, -r and -t)";
  EXPECT_EQ(refusal({}), web);
  EXPECT_EQ(refusal({"--autostart", "-P", "9000"}), web);
  EXPECT_EQ(refusal({"--headless=false"}), web);
  EXPECT_EQ(refusal({}, {"LOCUST_HEADLESS=true"}), "");
  // Modes are named before the web UI: the first thing to fix.
  EXPECT_EQ(refusal({"--master"}), "--master" + distributed);
  // The app builds the web UI (app/standalone.cpp passes it): a run without --headless serves it.
  EXPECT_EQ(refusal({}, {}, {feature::web_ui}), "");
  EXPECT_EQ(refusal({"--autostart", "-P", "0", "--web-auth", "a:b"}, {}, {feature::web_ui}), "");
  EXPECT_EQ(refusal({"--master"}, {}, {feature::web_ui}), "--master" + distributed);
}

TEST(availability, options_that_switch_nothing_on_are_accepted) {
  // Locust ignores web and worker settings in a headless standalone run; so does endure (a shared
  // locust.conf may hold them).
  EXPECT_EQ(refusal({"--headless", "--web-port", "9000", "--web-host", "0.0.0.0", "--autostart", "--autoquit", "5",
                     "--web-auth", "a:b", "--class-picker", "--web-base-path", "/x", "--tls-cert", "c",
                     "--tls-key", "k"}),
            "");
  EXPECT_EQ(refusal({"--headless", "--master-host", "h", "--master-port", "1", "--master-bind-host", "h",
                     "--master-bind-port", "2", "--expect-workers", "3", "--expect-workers-max-wait", "1m"}),
            "");
  EXPECT_EQ(refusal({"--headless", "--master=false", "--worker=no"}, {"LOCUST_MODE_MASTER=false"}), "");
  EXPECT_EQ(refusal({"--headless", "--no-store"}), "");
  EXPECT_EQ(refusal({"--headless", "--store", "r.db", "--no-store"}), "");  // --no-store wins
}

TEST(availability, listing_and_task_ratios_run_nothing_and_are_never_refused) {
  for (const char* info : {"--list", "--show-task-ratio", "--show-task-ratio-json"}) {
    EXPECT_EQ(refusal({info}), "") << info;
    EXPECT_EQ(refusal({info, "--master", "--store", "x"}), "") << info;
  }
}

TEST(availability, a_built_feature_drops_its_refusal) {
  EXPECT_EQ(refusal({"--headless", "--master"}, {}, {feature::distributed}), "");
  EXPECT_EQ(refusal({"--headless", "--store", "x"}, {}, {feature::store}), "");
  EXPECT_EQ(refusal({}, {}, {feature::web_ui}), "");
  EXPECT_EQ(refusal({"--headless", "--master", "--store", "x"}, {}, {feature::store}), "--master" + distributed);
  auto o = parse({"--worker", "--processes", "2", "--store", "x"}, {}, scratch("availability"));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(unavailable_options(*o), (std::vector<std::string>{"--worker", "--processes", "--store"}));
  std::vector<feature> dist = {feature::distributed};
  EXPECT_EQ(unavailable_options(*o, dist), (std::vector<std::string>{"--store"}));
}
