// http::redirect: what a client does with a redirect response, by the rules of python-requests
// (what Locust's HttpUser follows): which statuses redirect, when the method becomes GET, when
// the body goes, and when credentials stay behind. Pure: no I/O; the client applies the step.
#pragma once
#include <string>
#include <string_view>

#include "http/url.hpp"

namespace endure::http {

// 301, 302, 303, 307 and 308 (a redirect when the response has a Location).
bool is_redirect_status(int status);

struct redirect_step {
  enum class outcome {
    stop,              // not a redirect (or no Location): the response is the final one
    follow,            // send the next request as described below
    too_many,          // max_redirects were followed already
    invalid_location,  // Location does not resolve to an http(s) URL; error says why
  };
  outcome what = outcome::stop;
  url next;                    // follow: the resolved Location
  std::string_view method;     // follow: the next request's method (the given one, or "GET")
  bool drop_body = false;      // follow: no body, and no Content-Length/-Type/Transfer-Encoding
  bool drop_credentials = false;  // follow: no Authorization to the next URL (another host,
                                  // port or scheme, except http:80 -> https:443 on one host)
  std::string error;           // invalid_location: the URL parser's "invalid URL '...': ..."
};

// The step after a response with this status and Location (nullptr: none) to a request with
// this method at `current`, redirects_followed hops into the chain. Rules (requests'
// rebuild_method, resolve_redirects, should_strip_auth):
//   303 -> GET unless HEAD; 302 -> GET unless HEAD (what browsers do, not RFC 9110);
//   301 -> GET for POST only; 307 and 308 keep the method and the body; every other
//   redirect drops the body (also when the method stays, e.g. PUT after a 301).
redirect_step next_redirect(std::string_view method, const url& current, int status,
                            const std::string* location, int redirects_followed,
                            int max_redirects);

}  // namespace endure::http
