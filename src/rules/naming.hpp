// rules::naming: how Locust builds a request's URL from the host and names the request in its
// statistics. Pure functions (no I/O), shared by endure's front-ends so both name alike.
#pragma once
#include <string>
#include <string_view>

#include "http/fields.hpp"

namespace endure::rules {

// Which Locust client a user class stands for: HttpUser (python-requests) or FastHttpUser
// (geventhttpclient). They differ in how they name requests and word status failures.
enum class flavor { requests, fasthttp };

// "http://..." or "https://..." (case-insensitive scheme), as Locust's absolute-URL test.
bool is_absolute_url(std::string_view url);

// True when a relative URL must be joined with join_url() rather than resolved against the base
// as a URL reference: the base has a path beyond "/" that Locust keeps (--host http://h/base).
bool needs_join(std::string_view base_url, std::string_view url);

// Locust's URL building: an absolute URL as it is, anything else appended to the base URL as
// written ("http://h/base" + "/x" = "http://h/base/x"; no slash is added or removed).
std::string join_url(std::string_view base_url, std::string_view url);

// The path and query of an absolute URL ("/" when it has no path), without the fragment:
// requests' PreparedRequest.path_url. A relative URL is returned up to its fragment.
std::string path_url(std::string_view url);

// The statistics name of a request made without name=: HttpUser names it by the path and query
// actually requested (base path and params included); FastHttpUser by the URL as written.
// full_url: the joined URL with params appended; as_written: the url argument.
std::string request_name(flavor f, std::string_view as_written, std::string_view full_url);

// url with params appended as a form-encoded query ('?' or '&').
std::string with_query(std::string_view url, const http::field_list& params);

}  // namespace endure::rules
