// http::redirect: python-requests' redirect rules, without sockets.
#include "http/redirect.hpp"

#include <gtest/gtest.h>

namespace endure::http {
namespace {

url at(const char* text) {
  auto u = parse_url(text);
  EXPECT_TRUE(u.ok()) << text;
  return *u;
}

using outcome = redirect_step::outcome;

TEST(redirect, only_the_five_redirect_statuses_with_a_location_redirect) {
  const std::string loc = "/next";
  for (int status = 100; status < 600; ++status) {
    auto step = next_redirect("GET", at("http://h/a"), status, &loc, 0, 30);
    bool redirect = status == 301 || status == 302 || status == 303 || status == 307 ||
                    status == 308;
    EXPECT_EQ(is_redirect_status(status), redirect) << status;
    EXPECT_EQ(step.what, redirect ? outcome::follow : outcome::stop) << status;
  }
  EXPECT_EQ(next_redirect("GET", at("http://h/a"), 302, nullptr, 0, 30).what, outcome::stop);
}

// requests' rebuild_method and the body purge in resolve_redirects, method by status.
TEST(redirect, method_and_body_by_status) {
  struct row {
    int status;
    const char* method;
    const char* next_method;
    bool drop_body;
  };
  const row rows[] = {
      {301, "GET", "GET", true},      {301, "HEAD", "HEAD", true},   {301, "POST", "GET", true},
      {301, "PUT", "PUT", true},      {301, "DELETE", "DELETE", true},
      {302, "GET", "GET", true},      {302, "HEAD", "HEAD", true},   {302, "POST", "GET", true},
      {302, "PUT", "GET", true},      {302, "DELETE", "GET", true},
      {303, "GET", "GET", true},      {303, "HEAD", "HEAD", true},   {303, "POST", "GET", true},
      {303, "PUT", "GET", true},      {303, "PATCH", "GET", true},
      {307, "GET", "GET", false},     {307, "HEAD", "HEAD", false},  {307, "POST", "POST", false},
      {307, "PUT", "PUT", false},     {307, "DELETE", "DELETE", false},
      {308, "GET", "GET", false},     {308, "POST", "POST", false},  {308, "PATCH", "PATCH", false},
  };
  const std::string loc = "/next";
  for (const auto& r : rows) {
    auto step = next_redirect(r.method, at("http://h/a"), r.status, &loc, 0, 30);
    ASSERT_EQ(step.what, outcome::follow) << r.status << " " << r.method;
    EXPECT_EQ(step.method, r.next_method) << r.status << " " << r.method;
    EXPECT_EQ(step.drop_body, r.drop_body) << r.status << " " << r.method;
    EXPECT_FALSE(step.drop_credentials) << r.status << " " << r.method;
    EXPECT_EQ(step.next.to_string(), "http://h/next");
  }
}

TEST(redirect, location_is_resolved_against_the_current_url) {
  struct row {
    const char* current;
    const char* location;
    const char* next;
  };
  const row rows[] = {
      {"http://h/a/b", "c", "http://h/a/c"},
      {"http://h/a/b", "../c?x=1", "http://h/c?x=1"},
      {"http://h:8080/a", "/p", "http://h:8080/p"},
      {"https://h/a", "//other/p", "https://other/p"},
      {"http://h/a", "https://h/secure", "https://h/secure"},
      {"http://h/a", "?q=2", "http://h/a?q=2"},
  };
  for (const auto& r : rows) {
    const std::string loc = r.location;
    auto step = next_redirect("GET", at(r.current), 302, &loc, 0, 30);
    ASSERT_EQ(step.what, outcome::follow) << r.location;
    EXPECT_EQ(step.next.to_string(), r.next) << r.current << " + " << r.location;
  }
}

// requests' should_strip_auth.
TEST(redirect, credentials_stay_with_their_origin) {
  struct row {
    const char* from;
    const char* to;
    bool drop;
  };
  const row rows[] = {
      {"http://h/a", "http://h/b", false},
      {"http://h/a", "http://other/b", true},
      {"http://h/a", "https://h/b", false},          // http:80 -> https:443 upgrade
      {"http://h:8080/a", "https://h/b", true},      // not the standard ports
      {"http://h/a", "https://h:8443/b", true},
      {"https://h/a", "http://h/b", true},           // downgrade
      {"http://h:8080/a", "http://h:9090/b", true},  // another port
      {"https://h:8443/a", "https://h:8443/b", false},
      {"http://h/a", "http://h:80/b", false},
      {"http://H/a", "http://h/b", false},           // hosts compare lowercased
  };
  for (const auto& r : rows) {
    const std::string loc = r.to;
    auto step = next_redirect("GET", at(r.from), 302, &loc, 0, 30);
    ASSERT_EQ(step.what, outcome::follow) << r.to;
    EXPECT_EQ(step.drop_credentials, r.drop) << r.from << " -> " << r.to;
  }
}

TEST(redirect, the_chain_stops_after_max_redirects) {
  const std::string loc = "/again";
  EXPECT_EQ(next_redirect("GET", at("http://h/"), 302, &loc, 29, 30).what, outcome::follow);
  EXPECT_EQ(next_redirect("GET", at("http://h/"), 302, &loc, 30, 30).what, outcome::too_many);
  EXPECT_EQ(next_redirect("GET", at("http://h/"), 302, &loc, 0, 0).what, outcome::too_many);
}

TEST(redirect, a_location_that_does_not_resolve) {
  const std::string loc = "ftp://files/x";
  auto step = next_redirect("GET", at("http://h/"), 301, &loc, 0, 30);
  EXPECT_EQ(step.what, outcome::invalid_location);
  EXPECT_EQ(step.error, "invalid URL 'ftp://files/x': unsupported scheme 'ftp', expected http or https");
  const std::string bad_port = "http://h:99999/";
  step = next_redirect("GET", at("http://h/"), 302, &bad_port, 0, 30);
  EXPECT_EQ(step.what, outcome::invalid_location);
  EXPECT_NE(step.error.find("invalid URL 'http://h:99999/'"), std::string::npos) << step.error;
}

}  // namespace
}  // namespace endure::http
