// python::program in-process: locustfile loading (classes, ratios, errors) and a whole run of
// Python users on the greenlet hub against the test server, with server-side counts.
#include "python/program.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>

#include "stats/snapshot.hpp"
#include "support/engine_run.hpp"
#include "support/test_server.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// One dir of locustfiles per test process, removed when it exits.
struct scratch_dir {
  fs::path path = fs::temp_directory_path() / ("endure-py-unit-" + std::to_string(getpid()));
  scratch_dir() { fs::create_directories(path); }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string write_locustfile(const std::string& name, const std::string& text) {
  static scratch_dir dir;
  auto path = (dir.path / name).string();
  std::ofstream(path) << text;
  return path;
}

// A run config for `users` users of the program against host (spawned at once).
endure::test_support::run_config run_cfg(const std::string& host, uint64_t users,
                                         std::chrono::seconds run_time) {
  endure::test_support::run_config cfg;
  cfg.users = users;
  cfg.spawn_rate = 100;
  cfg.run_time = run_time;
  cfg.host = host;
  cfg.threads = 4;  // forced to 1 for Python
  return cfg;
}

// Configures the program for cfg and runs it to the end: the final snapshot, or nullptr (with
// a test failure) when the configuration is refused. `hook` sees the runner before it starts.
endure::stats::snapshot_ptr run_program(
    endure::python::program& p, endure::test_support::run_config& cfg,
    const std::function<void(endure::test_support::runner&)>& hook = {}) {
  endure::test_support::runner r(cfg, p);
  cfg.threads = r.config().threads;
  if (hook) hook(r);
  auto snap = r.run();
  if (!snap) ADD_FAILURE() << "configure refused the run";
  return snap;
}

void expect_no_exceptions(const endure::stats::snapshot& s) {
  for (const auto& e : s.exceptions) ADD_FAILURE() << e.message << "\n" << e.traceback;
}

uint64_t count_of(const endure::stats::snapshot& s, const std::string& name) {
  for (const auto& row : s.rows)
    if (row.name == name) return row.num_requests;
  return 0;
}

}  // namespace

TEST(python_program, loads_classes_with_locusts_rules) {
  auto f = write_locustfile("classes_file.py", R"(
from locust import HttpUser, User, task, constant

class Base(HttpUser):
    abstract = True
    @task
    def t(self): pass

class Heavy(Base):
    weight = 3
    host = "http://example.invalid"
    @task(3)
    def a(self): pass

class Fixed(User):
    fixed_count = 2
    tasks = {Base.t: 1}
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  const auto& classes = (*p)->classes();
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0].name, "Heavy");
  EXPECT_EQ(classes[0].weight, 3);
  EXPECT_EQ(classes[0].host, "http://example.invalid");
  EXPECT_EQ(classes[1].name, "Fixed");
  EXPECT_EQ(classes[1].fixed_count, 2);
  EXPECT_NE(classes[1].handle, nullptr);
  // Locust's structure and numbers (Debian's Locust 2.12.1 on this file): without -u, the two
  // fixed Fixed users take every user, so Heavy's share is 0 and its tasks' total shares too.
  auto ratio = (*p)->task_ratio({"Heavy", "Fixed"});
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Heavy"]["ratio"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Fixed"]["ratio"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Heavy"]["tasks"]["a"]["ratio"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Heavy"]["tasks"]["t"]["ratio"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(ratio["total"]["Heavy"]["tasks"]["a"]["ratio"].get<double>(), 0.0);
}

TEST(python_program, load_errors_name_file_and_line) {
  auto f = write_locustfile("broken_file.py", "from locust import task\n\ndef f(:\n    pass\n");
  auto p = endure::python::program::load({f});
  ASSERT_FALSE(p);
  EXPECT_NE(p.err().message.find("broken_file.py:3: SyntaxError"), std::string::npos) << p.err().message;
  EXPECT_EQ(p.err().code, 2);
  auto g = write_locustfile("nothing_file.py", "x = 1\n");
  auto q = endure::python::program::load({g});
  ASSERT_FALSE(q);
  EXPECT_NE(q.err().message.find("no user class found"), std::string::npos) << q.err().message;
}

TEST(python_program, runs_users_on_the_hub_and_counts_match_the_server) {
  endure::test_support::test_server server;
  auto f = write_locustfile("run_file.py", R"(
from locust import HttpUser, task, constant, events

starts = []

@events.test_start.add_listener
def on_start(environment, **kw):
    starts.append(1)

class Looper(HttpUser):
    wait_time = constant(0)
    @task
    def fast(self):
        self.client.get("/fast")
        with self.client.get("/status/404", catch_response=True) as r:
            r.success()
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  auto cfg = run_cfg(server.base_url(), 5, 1s);
  cfg.stop_timeout = 2s;  // graceful: in-flight requests complete and are counted
  cfg.threads = 4;  // forced to 1 for Python
  uint64_t spawned = 0;
  auto last = run_program(**p, cfg, [&](endure::test_support::runner& r) {
    r.on_event([&](const endure::engine::run_event& e) {
      if (e.kind == endure::engine::event_kind::spawning_complete) spawned = e.user_count;
    });
  });
  (*p)->finish(0);
  EXPECT_EQ(cfg.threads, 1);
  ASSERT_TRUE(last);
  EXPECT_EQ(spawned, 5u);
  EXPECT_GT(last->aggregated.num_requests, 100u);
  EXPECT_EQ(last->aggregated.num_failures, 0u);
  EXPECT_EQ(server.total(), last->aggregated.num_requests);
  EXPECT_EQ(server.count("GET /fast"), server.count("GET /status/404"));
}

TEST(python_program, a_killed_user_still_runs_its_on_stop_and_its_requests_count) {
  endure::test_support::test_server server;
  auto f = write_locustfile("killed_file.py", R"(
from locust import HttpUser, TaskSet, task, constant

class Inner(TaskSet):
    @task
    def slow(self):
        self.client.get("/slow?ms=20000", name="/slow")
    def on_stop(self):
        self.client.get("/fast?inner", name="/inner-on-stop")

class Killed(HttpUser):
    wait_time = constant(0)
    tasks = [Inner]
    def on_stop(self):
        self.client.get("/fast", name="/on-stop")
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  auto cfg = run_cfg(server.base_url(), 3, 1s);
  cfg.stop_timeout = 0s;  // killed at the end, in the middle of /slow
  auto last = run_program(**p, cfg);
  (*p)->finish(0);
  ASSERT_TRUE(last);
  // As Locust (and endure's C++ users): the user's on_stop runs and is recorded; the request the
  // kill aborted is not a result; the task set's on_stop is skipped (as for C++ users).
  EXPECT_EQ(count_of(*last, "/on-stop"), 3u);
  EXPECT_EQ(server.count("GET /fast"), 3u);
  EXPECT_EQ(count_of(*last, "/slow"), 0u);
  EXPECT_EQ(count_of(*last, "/inner-on-stop"), 0u);
  EXPECT_EQ(last->aggregated.num_failures, 0u);
}

TEST(python_program, responses_from_the_c_client_behave_as_requests_responses) {
  endure::test_support::test_server server;
  auto f = write_locustfile("response_file.py", R"(
import gc, weakref
from locust import HttpUser, task, constant
from locust.clients import Response

class Checker(HttpUser):
    wait_time = constant(0)
    @task
    def check(self):
        r = self.client.get("/fast")
        assert type(r) is Response and r.status_code == 200 and r.ok, r
        assert r.content == b"ok\n" and r.text == "ok\n" and r.reason == "OK", (r.content, r.reason)
        assert r.url.endswith("/fast") and r._name == "/fast" and r._method == "GET", r.url
        assert r.headers["content-length"] == "3" and r._error_text is None and r.error is None
        assert r.encoding is None and r.history == [] and r.request.method == "GET"
        r.history.append(1)
        assert r.history == [1]  # made once, then kept
        r.encoding = "latin-1"
        assert r.text == "ok\n" and r.encoding == "latin-1"
        r.status_code = 201
        r.content = b"changed"
        assert r.status_code == 201 and r.content == b"changed"
        ref = weakref.ref(r)
        r._error = ValueError(r)  # a reference cycle through the C base: the GC frees it
        del r
        gc.collect()
        assert ref() is None
        with self.client.get("/status/404", name="nf", catch_response=True) as c:
            assert c.status_code == 404 and c._name == "nf" and not c.ok
            c.success()
        self.environment.runner.quit()
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  auto cfg = run_cfg(server.base_url(), 1, 5s);
  auto last = run_program(**p, cfg);
  (*p)->finish(0);
  ASSERT_TRUE(last);
  expect_no_exceptions(*last);
  EXPECT_EQ(last->aggregated.num_requests, 2u);
  EXPECT_EQ(last->aggregated.num_failures, 0u);
}

TEST(python_program, get_without_options_keeps_every_session_setting_and_patch) {
  endure::test_support::test_server server;
  auto f = write_locustfile("plain_get_file.py", R"(
from locust import HttpUser, task, constant
from locust.clients import HttpSession

class Counting(HttpSession):
    def request(self, method, url, **kwargs):
        self.seen = getattr(self, "seen", 0) + 1
        return super().request(method, url, **kwargs)

def hdrs(r):
    return {k.lower(): v for k, v in r.json()["headers"].items()}

class Checker(HttpUser):
    wait_time = constant(0)
    @task
    def check(self):
        c = self.client
        r = c.get("/echo")
        assert r.json()["query"] == {} and "x-a" not in hdrs(r), r.text
        c.headers["X-A"] = "1"                      # session headers
        assert hdrs(c.get("/echo"))["x-a"] == "1"
        c.headers.clear()
        c.params = {"q": "2"}                       # session params (and Locust's name)
        r = c.get("/echo")
        assert r.json()["query"] == {"q": "2"} and r._name == "/echo?q=2", (r.text, r._name)
        c.params = {}
        c.auth = ("u", "p")                         # session auth
        assert hdrs(c.get("/echo"))["authorization"].startswith("Basic ")
        c.auth = None
        with c.rename_request("renamed"):           # rename_request
            assert c.get("/fast")._name == "renamed"
        calls = []
        original = c.request
        def wrapper(method, url, **kwargs):
            calls.append((method, url))
            return original(method, url, **kwargs)
        c.request = wrapper                         # an instance patch sees get()
        c.get("/fast")
        c.delete("/fast")
        assert calls == [("GET", "/fast"), ("DELETE", "/fast")], calls
        sub = Counting(self.host, c.request_event, self)  # a subclass overriding request()
        sub.get("/fast")
        assert sub.seen == 1
        self.environment.runner.quit()
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  auto cfg = run_cfg(server.base_url(), 1, 5s);
  auto last = run_program(**p, cfg);
  (*p)->finish(0);
  ASSERT_TRUE(last);
  expect_no_exceptions(*last);
  EXPECT_EQ(last->aggregated.num_requests, 8u);
  EXPECT_EQ(server.count("GET /echo"), 4u);
  EXPECT_EQ(server.count("DELETE /fast"), 1u);
}

// A wait of 1 s or more between a user's own tasks ends its greenlet (the user "parks" with no
// Python frames); a new greenlet carries on. Nothing of that may be visible to the locustfile.
TEST(python_program, users_parked_in_long_waits_keep_their_state_and_stop_as_usual) {
  endure::test_support::test_server server;
  auto f = write_locustfile("park_file.py", R"(
import contextvars
from locust import HttpUser, task, constant
from greenlet import getcurrent

var = contextvars.ContextVar("var", default=None)

class Parker(HttpUser):
    wait_time = constant(1.2)
    def on_start(self):
        self.runs = 0
        var.set(id(self))
        self.client.get("/fast?start", name="start")
    @task
    def t(self):
        self.runs += 1
        assert var.get() == id(self), "contextvars lost"
        assert self.greenlet is getcurrent()
        self.client.get("/fast", name="task-%d" % min(self.runs, 3))
    def on_stop(self):
        self.client.get("/fast?stop", name="stop")
)");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  for (auto stop_timeout : {2s, 0s}) {  // a graceful stop ends the wait; a kill too
    server.reset();
    auto cfg = run_cfg(server.base_url(), 4, 3s);
    cfg.stop_timeout = stop_timeout;
    auto started = std::chrono::steady_clock::now();
    auto last = run_program(**p, cfg);
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(last);
    expect_no_exceptions(*last);
    EXPECT_EQ(count_of(*last, "start"), 4u);
    EXPECT_EQ(count_of(*last, "task-1"), 4u);  // ~0, 1.2, 2.4 s: three tasks each in 3 s
    EXPECT_EQ(count_of(*last, "task-2"), 4u);
    EXPECT_EQ(count_of(*last, "task-3"), 4u);
    EXPECT_EQ(count_of(*last, "stop"), 4u) << "stop timeout " << stop_timeout.count();
    EXPECT_EQ(server.total(), last->aggregated.num_requests);
    EXPECT_LT(took, 4500ms);  // the stop did not wait for the parked users' 1.2 s waits
  }
  (*p)->finish(0);
}

TEST(python_program, task_ratio_json_is_what_locust_2_12_1_prints) {
  // The locustfile and the expected texts: Debian's python3-locust 2.12.1, run with
  // --show-task-ratio-json, without -u and with -u 5.
  auto f = write_locustfile("ratio_file.py", R"PY(from locust import HttpUser, TaskSet, User, task, constant

class Browse(TaskSet):
    @task(3)
    def page(self): pass
    @task
    def stop(self): self.interrupt()

class Shopper(HttpUser):
    weight = 3
    host = "http://x"
    tasks = {Browse: 2}
    @task
    def home(self): pass

class Admin(User):
    fixed_count = 1
    @task
    def audit(self): pass
)PY");
  auto p = endure::python::program::load({f});
  ASSERT_TRUE(p) << p.err().message;
  EXPECT_EQ((*p)->task_ratio_json({"Shopper", "Admin"}), R"JSON({
    "per_class": {
        "Shopper": {
            "ratio": 0.0,
            "tasks": {
                "Browse": {
                    "ratio": 0.6666666666666666,
                    "tasks": {
                        "page": {
                            "ratio": 0.75
                        },
                        "stop": {
                            "ratio": 0.25
                        }
                    }
                },
                "home": {
                    "ratio": 0.3333333333333333
                }
            }
        },
        "Admin": {
            "ratio": 1.0,
            "tasks": {
                "audit": {
                    "ratio": 1.0
                }
            }
        }
    },
    "total": {
        "Shopper": {
            "ratio": 0.0,
            "tasks": {
                "Browse": {
                    "ratio": 0.0,
                    "tasks": {
                        "page": {
                            "ratio": 0.0
                        },
                        "stop": {
                            "ratio": 0.0
                        }
                    }
                },
                "home": {
                    "ratio": 0.0
                }
            }
        },
        "Admin": {
            "ratio": 1.0,
            "tasks": {
                "audit": {
                    "ratio": 1.0
                }
            }
        }
    }
})JSON");
  endure::engine::controller_config probe;  // -u 5 reaches the ratio through the parsed options
  ASSERT_TRUE((*p)->configure(probe, {{"num_users", 5}}));
  EXPECT_EQ((*p)->task_ratio_json({"Shopper", "Admin"}), R"JSON({
    "per_class": {
        "Shopper": {
            "ratio": 0.8,
            "tasks": {
                "Browse": {
                    "ratio": 0.6666666666666666,
                    "tasks": {
                        "page": {
                            "ratio": 0.75
                        },
                        "stop": {
                            "ratio": 0.25
                        }
                    }
                },
                "home": {
                    "ratio": 0.3333333333333333
                }
            }
        },
        "Admin": {
            "ratio": 0.2,
            "tasks": {
                "audit": {
                    "ratio": 1.0
                }
            }
        }
    },
    "total": {
        "Shopper": {
            "ratio": 0.8,
            "tasks": {
                "Browse": {
                    "ratio": 0.5333333333333333,
                    "tasks": {
                        "page": {
                            "ratio": 0.4
                        },
                        "stop": {
                            "ratio": 0.13333333333333333
                        }
                    }
                },
                "home": {
                    "ratio": 0.26666666666666666
                }
            }
        },
        "Admin": {
            "ratio": 0.2,
            "tasks": {
                "audit": {
                    "ratio": 0.2
                }
            }
        }
    }
})JSON");
}
