// Integration tests of the shared test server (tests/support) that other suites run endure
// against: every route answers as documented, counters match, TLS works with its certificate.
#include "support/test_server.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "unit/server/raw_client.hpp"

namespace endure::test_support {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using server_test::round_trip;
using server_test::get;
using server_test::post;
using server_test::raw_conn;

class test_server_test : public ::testing::Test {
 protected:
  test_server srv;
};

TEST_F(test_server_test, fast_slow_status_and_counters) {
  EXPECT_EQ(srv.base_url(), "http://127.0.0.1:" + std::to_string(srv.port()));
  raw_conn c(srv.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/fast")));
    EXPECT_EQ(c.read_response().status, 200);
  }
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send(get("/slow?ms=120")));
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 120ms);
  for (int code : {201, 404, 503}) {
    ASSERT_TRUE(c.send(get("/status/" + std::to_string(code))));
    EXPECT_EQ(c.read_response().status, code);
  }
  ASSERT_TRUE(c.send(post("/fast", "x")));
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(srv.count("GET /fast"), 3u);
  EXPECT_EQ(srv.count("POST /fast"), 1u);
  EXPECT_EQ(srv.count("GET /slow"), 1u);
  EXPECT_EQ(srv.count("GET /status/503"), 1u);
  EXPECT_EQ(srv.total(), 8u);
  srv.reset();
  EXPECT_EQ(srv.total(), 0u);
  EXPECT_EQ(srv.count("GET /fast"), 0u);
}

TEST_F(test_server_test, redirects) {
  const auto r = round_trip(srv.port(), get("/redirect?to=%2Fjson"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("location").value_or(""), "/json");
  EXPECT_EQ(round_trip(srv.port(), get("/redirect/3")).header("location").value_or(""),
            "/redirect/2");
  EXPECT_EQ(round_trip(srv.port(), get("/redirect/1")).header("location").value_or(""), "/fast");
  EXPECT_EQ(round_trip(srv.port(), get("/redirect-loop")).header("location").value_or(""),
            "/redirect-loop");
  EXPECT_EQ(round_trip(srv.port(), get("/absolute-redirect?to=/fast")).header("location").value_or(""),
            srv.base_url() + "/fast");
}

TEST_F(test_server_test, chunked_gzip_deflate_large_json) {
  raw_conn c(srv.port());
  ASSERT_TRUE(c.send(get("/chunked?n=6")));
  const auto chunked = c.read_response();
  EXPECT_EQ(chunked.body.size(), 66u);
  EXPECT_EQ(c.chunks_seen(), 7u);

  const auto gz = round_trip(srv.port(), get("/gzip", "Accept-Encoding: gzip\r\n"));
  EXPECT_EQ(gz.header("content-encoding").value_or(""), "gzip");
  EXPECT_NE(server_test::inflate_any(gz.body).value_or("").find("endure"), std::string::npos);
  const auto df = round_trip(srv.port(), get("/deflate", "Accept-Encoding: deflate\r\n"));
  EXPECT_EQ(df.header("content-encoding").value_or(""), "deflate");

  EXPECT_EQ(round_trip(srv.port(), get("/large?bytes=200000")).body.size(), 200000u);
  EXPECT_EQ(json::parse(round_trip(srv.port(), get("/json")).body).size(), 20u);
}

TEST_F(test_server_test, cookies_echo_auth_close_http10) {
  const auto set = round_trip(srv.port(), get("/set-cookie?a=1&b=two"));
  EXPECT_EQ(set.all("set-cookie"), (std::vector<std::string>{"a=1; Path=/", "b=two; Path=/"}));
  const auto cookies = round_trip(srv.port(), get("/cookies", "Cookie: a=1; b=two\r\n"));
  EXPECT_EQ(json::parse(cookies.body), (json{{"a", "1"}, {"b", "two"}}));

  const auto echo = round_trip(srv.port(), post("/echo?x=1", "hello", "X-Test: yes\r\n"));
  const json e = json::parse(echo.body);
  EXPECT_EQ(e["method"], "POST");
  EXPECT_EQ(e["path"], "/echo");
  EXPECT_EQ(e["query"]["x"], "1");
  EXPECT_EQ(e["headers"]["X-Test"], "yes");
  EXPECT_EQ(e["body"], "hello");

  EXPECT_EQ(round_trip(srv.port(), get("/basic-auth/u/p")).status, 401);
  // "u:p" in base64
  EXPECT_EQ(round_trip(srv.port(), get("/basic-auth/u/p", "Authorization: Basic dTpw\r\n")).status,
            200);
  EXPECT_EQ(round_trip(srv.port(), get("/basic-auth/u/q", "Authorization: Basic dTpw\r\n")).status,
            401);

  raw_conn c(srv.port());
  ASSERT_TRUE(c.send(get("/close")));
  EXPECT_EQ(c.read_response().header("connection").value_or(""), "close");
  EXPECT_TRUE(c.closed_by_peer());

  const auto old = round_trip(srv.port(), get("/http10"));
  EXPECT_TRUE(old.ok);
  EXPECT_EQ(old.version, "HTTP/1.0");
  EXPECT_EQ(old.body, "http/1.0 body, delimited by close\n");
}

TEST(test_server_tls, serves_https_with_a_certificate_clients_can_verify) {
  auto srv = test_server::start_tls();
  ASSERT_TRUE(srv->is_tls());
  EXPECT_EQ(srv->base_url().rfind("https://127.0.0.1:", 0), 0u);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  BIO* pem = BIO_new_mem_buf(srv->ca_cert_pem().data(), static_cast<int>(srv->ca_cert_pem().size()));
  X509* ca = PEM_read_bio_X509(pem, nullptr, nullptr, nullptr);
  ASSERT_NE(ca, nullptr);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

  // raw_conn speaks plain TCP only: drive TLS over a socket of our own.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(srv->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "127.0.0.1");
  ASSERT_EQ(SSL_connect(ssl), 1);
  EXPECT_EQ(SSL_get_verify_result(ssl), X509_V_OK);
  const std::string req = get("/fast", "Connection: close\r\n");
  ASSERT_EQ(SSL_write(ssl, req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
  std::string resp;
  char buf[4096];
  for (;;) {
    const int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
    if (resp.find("\r\n\r\nok\n") != std::string::npos) break;
  }
  EXPECT_EQ(resp.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << resp;
  EXPECT_NE(resp.find("\r\n\r\nok\n"), std::string::npos);
  EXPECT_EQ(srv->count("GET /fast"), 1u);
  SSL_free(ssl);
  ::close(fd);
  X509_free(ca);
  BIO_free(pem);
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace endure::test_support
