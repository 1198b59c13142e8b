#include "rules/outcome.hpp"

#include <gtest/gtest.h>

using namespace endure::rules;

TEST(rules_outcome, repr_quotes_as_python) {
  EXPECT_EQ(py_repr("abc"), "'abc'");
  EXPECT_EQ(py_repr("it's"), "\"it's\"");
  EXPECT_EQ(py_repr("both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(py_repr("a\\b\nc\x01"), "'a\\\\b\\nc\\x01'");
  EXPECT_EQ(py_repr("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(rules_outcome, status_failures_as_locust_2_12_1_writes_them) {
  // Strings taken from the failures table of Debian's python3-locust 2.12.1, run against a test
  // server with --host http://127.0.0.1:18765/base.
  EXPECT_EQ(http_error_text(flavor::requests, 404, "Not Found", "http://127.0.0.1:18765/base/status/404"),
            "HTTPError('404 Client Error: Not Found for url: http://127.0.0.1:18765/base/status/404')");
  EXPECT_EQ(http_error_text(flavor::requests, 500, "Internal Server Error", "http://127.0.0.1:18765/base/status/500"),
            "HTTPError('500 Server Error: Internal Server Error for url: http://127.0.0.1:18765/base/status/500')");
  EXPECT_EQ(http_error_text(flavor::fasthttp, 404, "Not Found", "http://127.0.0.1:18765/base/status/404"),
            "BadStatusCode('http://127.0.0.1:18765/base/status/404', code=404)");
}

TEST(rules_outcome, transport_errors_become_the_exceptions_locust_shows) {
  EXPECT_EQ(transport_error_text("ConnectionRefusedError: connection refused"),
            "ConnectionRefusedError(111, 'Connection refused')");
  EXPECT_EQ(transport_error_text("ConnectionResetError: connection reset by peer"),
            "ConnectionResetError(104, 'Connection reset by peer')");
  EXPECT_EQ(transport_error_text("RemoteDisconnected: connection closed before the response was complete"),
            "RemoteDisconnected('Remote end closed connection without response')");
  EXPECT_EQ(transport_error_text("TimeoutError: request timed out after 0.05s"),
            "TimeoutError('request timed out after 0.05s')");
  EXPECT_EQ(transport_error_text("DNSError: cannot resolve host 'nowhere'"),
            "DNSError(\"cannot resolve host 'nowhere'\")");
  EXPECT_EQ(transport_error_text("weird"), "weird()");
}

TEST(rules_outcome, manual_failures_and_addresses) {
  EXPECT_EQ(catch_failure_text("manual msg"), "CatchResponseError('manual msg')");
  EXPECT_EQ(normalize_error("X(<object object at 0x7f00ab12>, <object object at 0x7f00ab12>)"),
            "X(<object object at 0x....>, <object object at 0x....>)");
  EXPECT_EQ(normalize_error("ValueError('bad value')"), "ValueError('bad value')");
}

TEST(rules_outcome, the_catch_response_verdict) {
  auto v = [](mark m, std::string_view manual, std::string_view err, int status) {
    return verdict(m, manual, err, status, "Not Found", "http://h/x", flavor::requests);
  };
  EXPECT_EQ(v(mark::success, "", "ConnectionRefusedError: connection refused", 0), std::nullopt);
  EXPECT_EQ(v(mark::success, "", "", 404), std::nullopt);
  EXPECT_EQ(v(mark::failure, "CatchResponseError('no')", "", 200), "CatchResponseError('no')");
  EXPECT_EQ(v(mark::none, "", "ConnectionRefusedError: connection refused", 0),
            "ConnectionRefusedError(111, 'Connection refused')");
  EXPECT_EQ(v(mark::none, "", "", 404), "HTTPError('404 Client Error: Not Found for url: http://h/x')");
  EXPECT_EQ(v(mark::none, "", "", 399), std::nullopt);
}
