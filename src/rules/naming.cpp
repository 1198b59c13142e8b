#include "rules/naming.hpp"

#include "http/url.hpp"

namespace endure::rules {

namespace {
bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (http::ascii_lower(s[i]) != prefix[i]) return false;
  return true;
}

// Where the path of an absolute URL starts (npos: no path).
size_t path_start(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string_view::npos;
  return url.find_first_of("/?#", scheme + 3);
}
}  // namespace

bool is_absolute_url(std::string_view url) {
  return starts_with_nocase(url, "http://") || starts_with_nocase(url, "https://");
}

bool needs_join(std::string_view base_url, std::string_view url) {
  if (is_absolute_url(url) || base_url.empty()) return false;
  size_t p = path_start(base_url);
  if (p == std::string_view::npos) return false;
  std::string_view path = base_url.substr(p);
  // A bare "/" joined to "/x" gives "//x" in Locust; a reference resolves it to "/x". Join
  // whenever the two differ: any path but "" (no path at all is handled above).
  return !(path == "/" && !url.starts_with("/"));
}

std::string join_url(std::string_view base_url, std::string_view url) {
  if (is_absolute_url(url)) return std::string(url);
  std::string out;
  out.reserve(base_url.size() + url.size());
  out.append(base_url);
  out.append(url);
  return out;
}

std::string path_url(std::string_view url) {
  std::string_view rest = url;
  if (is_absolute_url(url)) {
    size_t p = path_start(url);
    if (p == std::string_view::npos) return "/";
    rest = url.substr(p);
  }
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string out;
  out.reserve(rest.size() + 1);
  if (rest.empty() || rest.front() == '?') out += '/';  // requests' path_url: "/" at least
  out.append(rest);
  return out;
}

std::string request_name(flavor f, std::string_view as_written, std::string_view full_url) {
  if (f == flavor::fasthttp) return std::string(as_written);
  return path_url(full_url);
}

std::string with_query(std::string_view url, const http::field_list& params) {
  std::string out(url);
  if (!params.empty()) http::append_query(out, params);
  return out;
}

}  // namespace endure::rules
