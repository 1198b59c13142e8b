// test_support::test_server: a ready-made HTTP(S) target for integration tests (in the spirit of
// Locust's own test server), on 127.0.0.1 with an ephemeral port, serving on its own thread.
// It counts requests server-side so tests can compare with what endure reports. Tests only.
//
// Routes (any method unless noted; "METHOD /path" is the counter key, query excluded):
//   /fast                      200 "ok"
//   /slow?ms=N                 200 after N ms (default 100, timer, not sleep)
//   /status/{code}             that status (100..599), body "status N"
//   /redirect?to=URL           302 to URL (default /fast)
//   /redirect/{n}              302 chain: /redirect/n -> /redirect/n-1 ... /redirect/1 -> /fast
//   /redirect-loop             302 to itself, forever
//   /absolute-redirect?to=P    302 to base_url() + P (P absolute URL: as is)
//   /chunked?n=K               chunked body of K lines "chunk NNNN\n", one per chunk (default 4)
//   /gzip, /deflate            a compressible text body, compressed if Accept-Encoding allows
//   /set-cookie?a=1&b=2        Set-Cookie: a=1; Path=/ (one per parameter)
//   /cookies                   the request's cookies as a JSON object
//   /echo                      JSON {method, path, query, headers, body}
//   /close                     200 with Connection: close, then closes
//   /basic-auth/{user}/{pass}  200 when Authorization: Basic matches, else 401
//   /large?bytes=N             N bytes of text (default 1 MiB, at most 64 MiB)
//   /json                      a JSON list of 20 {"id","name","price"} objects
//   /http10                    an HTTP/1.0 response with a close-delimited body
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace endure::test_support {

struct test_server_options {
  bool tls = false;         // HTTPS with a fresh self-signed certificate (see ca_cert_pem())
  std::size_t threads = 1;
};

class test_server {
 public:
  // Starts serving at once; throws std::runtime_error if it cannot listen.
  explicit test_server(test_server_options options = {});
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  static std::unique_ptr<test_server> start_tls();

  uint16_t port() const;
  std::string base_url() const;         // "http://127.0.0.1:PORT" (or https)
  bool is_tls() const;
  const std::string& ca_cert_pem() const;  // the certificate to trust; empty without TLS

  // Server-side counts, thread-safe; keys are "METHOD /path" such as "GET /fast".
  uint64_t count(std::string_view key) const;
  uint64_t total() const;
  void reset();

  void stop();  // also done by the destructor

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace endure::test_support
