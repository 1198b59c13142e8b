// client::resolver: the DNS cache in manual time against a fake backend (no sockets, no sleeps).
#include "client/resolver.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "base/clock.hpp"
#include "fake_resolver.hpp"

namespace endure::client {
namespace {

using namespace scripted;
using namespace std::chrono_literals;

struct resolver_fixture {
  std::shared_ptr<fake_dns> dns = std::make_shared<fake_dns>();
  base::manual_clock clock;
  resolver r;
  explicit resolver_fixture(std::chrono::milliseconds ttl = 60s)
      : r(std::make_unique<fake_backend>(dns), clock, ttl) {}

  // Resolves host; an immediate answer is returned as is, a pending one is recorded in `got`.
  struct waited {
    bool called = false;
    bool resolved = false;
    address_list addresses;
  };
  resolver::answer ask(const std::string& host, waited* got = nullptr) {
    return r.resolve(host, [got](const address_list* a) {
      ASSERT_NE(got, nullptr) << "a waiter was called for an immediate answer";
      EXPECT_FALSE(got->called) << "a waiter was called twice";
      got->called = true;
      got->resolved = a != nullptr;
      if (a) got->addresses = *a;
    });
  }
};

TEST(resolver, ip_literals_and_localhost_need_no_lookup) {
  resolver_fixture f;
  auto a = f.ask("127.0.0.1");
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ(*a.addresses, addresses({"127.0.0.1"}));
  a = f.ask("::1");
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ((*a.addresses)[0].family, AF_INET6);
  EXPECT_EQ((*a.addresses)[0].to_string(), "::1");
  a = f.ask("localhost");
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ(*a.addresses, addresses({"127.0.0.1", "::1"}));
  EXPECT_TRUE(f.dns->lookups.empty());
  EXPECT_EQ(f.r.lookups_started(), 0u);
}

TEST(resolver, concurrent_requests_for_a_host_share_one_lookup) {
  resolver_fixture f;
  resolver_fixture::waited one, two, three;
  EXPECT_EQ(f.ask("svc.test", &one).what, resolver::state::pending);
  EXPECT_EQ(f.ask("svc.test", &two).what, resolver::state::pending);
  EXPECT_EQ(f.ask("svc.test", &three).what, resolver::state::pending);
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);
  EXPECT_FALSE(one.called);
  EXPECT_EQ(answer(*f.dns, "svc.test", addresses({"10.0.0.1", "fd00::1"})), 1);
  for (auto* w : {&one, &two, &three}) {
    EXPECT_TRUE(w->called);
    EXPECT_TRUE(w->resolved);
    EXPECT_EQ(w->addresses, addresses({"10.0.0.1", "fd00::1"}));
  }
  auto a = f.ask("svc.test");  // cached now
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ(*a.addresses, addresses({"10.0.0.1", "fd00::1"}));
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);
}

TEST(resolver, a_slow_lookup_does_not_hold_another_host) {
  resolver_fixture f;
  resolver_fixture::waited slow, fast;
  f.ask("slow.test", &slow);
  f.ask("fast.test", &fast);
  EXPECT_EQ(answer(*f.dns, "fast.test", addresses({"10.0.0.2"})), 1);
  EXPECT_TRUE(fast.called);
  EXPECT_EQ(fast.addresses, addresses({"10.0.0.2"}));
  EXPECT_FALSE(slow.called);
  EXPECT_EQ(f.ask("fast.test").what, resolver::state::ready);
  EXPECT_EQ(answer(*f.dns, "slow.test", addresses({"10.0.0.3"})), 1);
  EXPECT_TRUE(slow.called);
}

TEST(resolver, cached_addresses_expire_after_the_ttl) {
  resolver_fixture f(30s);
  resolver_fixture::waited first, second;
  f.ask("svc.test", &first);
  answer(*f.dns, "svc.test", addresses({"10.0.0.1"}));
  f.clock.advance(30s - 1ns);
  auto a = f.ask("svc.test");
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ(*a.addresses, addresses({"10.0.0.1"}));
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);

  f.clock.advance(1ns);  // expired: the next request waits for a new lookup
  EXPECT_EQ(f.ask("svc.test", &second).what, resolver::state::pending);
  EXPECT_EQ(f.dns->lookups["svc.test"], 2);
  answer(*f.dns, "svc.test", addresses({"10.0.0.9"}));
  EXPECT_EQ(second.addresses, addresses({"10.0.0.9"}));
  a = f.ask("svc.test");
  ASSERT_EQ(a.what, resolver::state::ready);
  EXPECT_EQ(*a.addresses, addresses({"10.0.0.9"}));
  // The TTL runs from the answer, not from the question.
  f.clock.advance(29s);
  EXPECT_EQ(f.ask("svc.test").what, resolver::state::ready);
}

TEST(resolver, a_failure_is_remembered_for_a_second_at_most) {
  resolver_fixture f(60s);
  resolver_fixture::waited first, later;
  f.ask("gone.test", &first);
  answer(*f.dns, "gone.test", {});
  EXPECT_TRUE(first.called);
  EXPECT_FALSE(first.resolved);
  auto a = f.ask("gone.test");
  EXPECT_EQ(a.what, resolver::state::failed);
  EXPECT_EQ(a.addresses, nullptr);
  EXPECT_EQ(f.dns->lookups["gone.test"], 1);
  f.clock.advance(resolver::negative_ttl_cap);
  EXPECT_EQ(f.ask("gone.test", &later).what, resolver::state::pending);
  EXPECT_EQ(f.dns->lookups["gone.test"], 2);
  answer(*f.dns, "gone.test", addresses({"10.0.0.4"}));  // back again
  EXPECT_TRUE(later.resolved);

  resolver_fixture short_ttl(200ms);  // a TTL below the cap bounds failures too
  resolver_fixture::waited failed, again;
  short_ttl.ask("gone.test", &failed);
  answer(*short_ttl.dns, "gone.test", {});
  EXPECT_EQ(short_ttl.ask("gone.test").what, resolver::state::failed);
  short_ttl.clock.advance(200ms);
  EXPECT_EQ(short_ttl.ask("gone.test", &again).what, resolver::state::pending);
}

TEST(resolver, ttl_zero_looks_up_for_every_new_connection) {
  resolver_fixture f(0s);
  resolver_fixture::waited a, b, c;
  f.ask("svc.test", &a);
  f.ask("svc.test", &b);  // concurrent: shared
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);
  answer(*f.dns, "svc.test", addresses({"10.0.0.1"}));
  EXPECT_TRUE(a.called && b.called);
  EXPECT_EQ(f.ask("svc.test", &c).what, resolver::state::pending);
  EXPECT_EQ(f.dns->lookups["svc.test"], 2);
}

// A waiter may resolve again from its callback (a failed request's user starts the next one).
TEST(resolver, a_waiter_may_resolve_again_from_its_callback) {
  resolver_fixture f;
  resolver_fixture::waited inner;
  bool outer = false;
  f.r.resolve("svc.test", [&](const address_list* a) {
    outer = true;
    ASSERT_NE(a, nullptr);
    auto again = f.ask("svc.test");
    EXPECT_EQ(again.what, resolver::state::ready);
    EXPECT_EQ(f.ask("other.test", &inner).what, resolver::state::pending);
  });
  answer(*f.dns, "svc.test", addresses({"10.0.0.1"}));
  EXPECT_TRUE(outer);
  EXPECT_EQ(f.dns->lookups["other.test"], 1);
  answer(*f.dns, "other.test", addresses({"10.0.0.2"}));
  EXPECT_TRUE(inner.resolved);
}

TEST(resolver, expired_names_are_dropped_when_the_cache_is_full) {
  resolver_fixture f(10s);
  for (size_t i = 0; i < resolver::max_cached_hosts; ++i) {
    std::string host = "h" + std::to_string(i) + ".test";
    resolver_fixture::waited w;
    f.ask(host, &w);
    answer(*f.dns, host, addresses({"10.0.0.1"}));
  }
  EXPECT_EQ(f.r.cached_hosts(), resolver::max_cached_hosts);
  resolver_fixture::waited pending_one;
  f.clock.advance(5s);
  f.ask("h0.test");  // fresh: stays
  f.clock.advance(5s);  // every name answered before is expired now
  f.ask("pending.test", &pending_one);
  EXPECT_EQ(f.r.cached_hosts(), 1u);  // only the new name (its lookup is in flight)
}

TEST(resolver, destroyed_with_a_lookup_in_flight_calls_no_waiter) {
  auto dns = std::make_shared<fake_dns>();
  base::manual_clock clock;
  bool called = false;
  {
    resolver r(std::make_unique<fake_backend>(dns), clock, 60s);
    r.resolve("svc.test", [&](const address_list*) { called = true; });
    EXPECT_EQ(dns->pending.size(), 1u);
  }
  EXPECT_TRUE(dns->destroyed);
  EXPECT_TRUE(dns->pending.empty());
  EXPECT_FALSE(called);
}

TEST(resolver, ip_address_parsing) {
  EXPECT_TRUE(ip_address::parse("10.1.2.3"));
  EXPECT_EQ(ip_address::parse("10.1.2.3")->family, AF_INET);
  EXPECT_EQ(ip_address::parse("10.1.2.3")->to_string(), "10.1.2.3");
  EXPECT_EQ(ip_address::parse("2001:db8::1")->to_string(), "2001:db8::1");
  EXPECT_FALSE(ip_address::parse("example.com"));
  EXPECT_FALSE(ip_address::parse(""));
  EXPECT_FALSE(ip_address::parse("10.1.2"));
  EXPECT_FALSE(ip_address::parse("[::1]"));
  EXPECT_FALSE(ip_address::parse(std::string(100, '1')));
}

}  // namespace
}  // namespace endure::client
