// rules::outcome: whether a request failed and the failure text Locust 2.12.1 records for it
// (its failures table shows repr(exception)). Pure functions shared by endure's front-ends.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "rules/naming.hpp"

namespace endure::rules {

// Python's repr() of a str: single quotes unless the text has a ' and no ", escapes as Python.
std::string py_repr(std::string_view text);

// The failure text of a status of 400 or more, as Locust's clients raise it:
//   requests: HTTPError('404 Client Error: Not Found for url: http://h/p')
//   fasthttp: BadStatusCode('http://h/p', code=404)
// url: the URL requests reports (the final URL, or the name= given outside catch_response).
std::string http_error_text(flavor f, int status, std::string_view reason, std::string_view url);

// An endure client error ("Type: message", see client/session.hpp) as Locust shows the exception
// its client raises: ConnectionRefusedError(111, 'Connection refused'); others Type('message').
std::string transport_error_text(std::string_view client_error);

// response.failure("message"): CatchResponseError('message').
std::string catch_failure_text(std::string_view message);

// An exception's repr() as Locust groups it: "object at 0x7f..." addresses become "0x....".
std::string normalize_error(std::string_view repr);

// What decided a catch_response request, before the default rule.
enum class mark { none, success, failure };

// Locust's verdict: a manual success or failure wins; otherwise a transport error fails the
// request; otherwise a status of 400 or more does. nullopt: a success; else the failure text.
// manual_failure: the failure's text as recorded (already in Locust's form).
std::optional<std::string> verdict(mark m, std::string_view manual_failure,
                                   std::string_view client_error, int status,
                                   std::string_view reason, std::string_view url, flavor f);

}  // namespace endure::rules
