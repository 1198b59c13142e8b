// http::redirect: see redirect.hpp.
#include "http/redirect.hpp"

namespace endure::http {

bool is_redirect_status(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

namespace {

// requests' should_strip_auth with explicit ports (parse_url fills in 80 and 443).
bool should_drop_credentials(const url& from, const url& to) {
  if (from.host != to.host) return true;
  if (from.scheme == "http" && from.port == 80 && to.scheme == "https" && to.port == 443)
    return false;  // the same host upgraded to TLS on the standard ports
  return from.scheme != to.scheme || from.port != to.port;
}

}  // namespace

redirect_step next_redirect(std::string_view method, const url& current, int status,
                            const std::string* location, int redirects_followed,
                            int max_redirects) {
  redirect_step step;
  if (location == nullptr || !is_redirect_status(status)) return step;
  if (redirects_followed >= max_redirects) {
    step.what = redirect_step::outcome::too_many;
    return step;
  }
  auto next = resolve_url(current, *location);
  if (!next) {
    step.what = redirect_step::outcome::invalid_location;
    step.error = next.err().message;
    return step;
  }
  step.what = redirect_step::outcome::follow;
  step.next = std::move(*next);
  step.method = method;
  if ((status == 303 || status == 302) && method != "HEAD") step.method = "GET";
  if (status == 301 && method == "POST") step.method = "GET";
  step.drop_body = status != 307 && status != 308;
  step.drop_credentials = should_drop_credentials(current, step.next);
  return step;
}

}  // namespace endure::http
