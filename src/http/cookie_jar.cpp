#include "http/cookie_jar.hpp"

#include <algorithm>
#include <charconv>

namespace endure::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = ascii_lower(c);
  return r;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_ip_literal(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  if (host.empty()) return false;
  for (char c : host)
    if (!is_digit(c) && c != '.') return false;
  return true;
}

// RFC 6265 5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return !is_ip_literal(host) && host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

// RFC 6265 5.1.4.
bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

// RFC 6265 5.1.4 default-path.
std::string default_path(std::string_view request_path) {
  if (request_path.empty() || request_path.front() != '/') return "/";
  size_t last = request_path.rfind('/');
  if (last == 0) return "/";
  return std::string(request_path.substr(0, last));
}

}  // namespace

std::optional<int64_t> parse_http_date(std::string_view text) {
  // RFC 6265 5.1.1: tokens separated by delimiters; pick time, day, month, year by shape.
  auto is_delim = [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b == 0x09 || (b >= 0x20 && b <= 0x2f) || (b >= 0x3b && b <= 0x40) ||
           (b >= 0x5b && b <= 0x60) || (b >= 0x7b && b <= 0x7e);
  };
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  int hour = -1, minute = -1, second = -1, day = -1, month = -1, year = -1;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_delim(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_delim(text[i])) ++i;
    std::string_view tok = text.substr(start, i - start);
    if (tok.empty()) continue;
    if (hour < 0) {
      int h = 0, m = 0, s = 0;
      // hh:mm:ss with 1-2 digits each
      size_t c1 = tok.find(':');
      size_t c2 = c1 == std::string_view::npos ? c1 : tok.find(':', c1 + 1);
      if (c2 != std::string_view::npos) {
        auto num = [](std::string_view t, int& out) {
          if (t.empty() || t.size() > 2) return false;
          auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
          return ec == std::errc() && p == t.data() + t.size();
        };
        std::string_view st = tok.substr(c2 + 1);
        size_t digits = 0;
        while (digits < st.size() && is_digit(st[digits])) ++digits;
        if (num(tok.substr(0, c1), h) && num(tok.substr(c1 + 1, c2 - c1 - 1), m) &&
            num(st.substr(0, digits), s)) {
          hour = h;
          minute = m;
          second = s;
          continue;
        }
      }
    }
    if (day < 0 && is_digit(tok[0]) && (tok.size() <= 2 || !is_digit(tok[2]))) {
      size_t d = 0;
      while (d < tok.size() && d < 2 && is_digit(tok[d])) ++d;
      if (d <= 2 && (tok.size() == d || !is_digit(tok[d]))) {
        int v = 0;
        std::from_chars(tok.data(), tok.data() + d, v);
        day = v;
        continue;
      }
    }
    if (month < 0 && tok.size() >= 3) {
      std::string l = lower(tok.substr(0, 3));
      for (int m = 0; m < 12; ++m)
        if (l == months[m]) month = m + 1;
      if (month > 0) continue;
    }
    if (year < 0 && is_digit(tok[0])) {
      size_t d = 0;
      while (d < tok.size() && is_digit(tok[d])) ++d;
      if (d >= 2 && d <= 4) {
        int v = 0;
        std::from_chars(tok.data(), tok.data() + d, v);
        year = v;
        continue;
      }
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (hour < 0 || day < 1 || day > 31 || month < 1 || year < 1601 || hour > 23 || minute > 59 ||
      second > 59)
    return std::nullopt;
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second;
}

bool cookie_jar::set_from_header(std::string_view set_cookie, const url& request_url,
                                 double now_s) {
  std::string_view rest = set_cookie;
  size_t semi = rest.find(';');
  std::string_view pair = rest.substr(0, semi);
  rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view name = trim(pair.substr(0, eq));
  if (name.empty()) return false;
  std::string_view value = trim(pair.substr(eq + 1));

  cookie c;
  c.name.assign(name);
  c.value.assign(value);
  std::optional<double> max_age_expiry, expires_expiry;
  std::string domain_attr;
  std::string path_attr;
  while (!rest.empty()) {
    semi = rest.find(';');
    std::string_view av = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    size_t e = av.find('=');
    std::string_view key = trim(av.substr(0, e));
    std::string_view val = e == std::string_view::npos ? std::string_view() : trim(av.substr(e + 1));
    if (iequals(key, "expires")) {
      if (auto t = parse_http_date(val)) expires_expiry = static_cast<double>(*t);
    } else if (iequals(key, "max-age")) {
      bool neg = !val.empty() && val.front() == '-';
      std::string_view digits = neg ? val.substr(1) : val;
      int64_t secs = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), secs);
      if (!digits.empty() && ec == std::errc() && p == digits.data() + digits.size())
        max_age_expiry = secs <= 0 || neg ? -1.0 : now_s + static_cast<double>(secs);
    } else if (iequals(key, "domain")) {
      std::string_view d = val;
      if (!d.empty() && d.front() == '.') d.remove_prefix(1);
      domain_attr = lower(d);
    } else if (iequals(key, "path")) {
      if (!val.empty() && val.front() == '/') path_attr.assign(val);
    } else if (iequals(key, "secure")) {
      c.secure = true;
    } else if (iequals(key, "httponly")) {
      c.http_only = true;
    }
  }
  if (max_age_expiry) {
    c.expires_s = max_age_expiry;  // Max-Age wins over Expires
  } else if (expires_expiry) {
    c.expires_s = expires_expiry;
  }
  if (domain_attr.empty()) {
    c.host_only = true;
    c.domain = request_url.host;
  } else {
    if (!domain_match(request_url.host, domain_attr)) return false;
    c.host_only = is_ip_literal(request_url.host);
    c.domain = domain_attr;
  }
  c.path = path_attr.empty() ? default_path(request_url.path()) : path_attr;

  // Replace a cookie with the same (name, domain, path); an expired one only deletes.
  bool expired = c.expires_s && *c.expires_s <= now_s;
  auto it = std::find_if(cookies_.begin(), cookies_.end(), [&](const cookie& o) {
    return o.name == c.name && o.domain == c.domain && o.path == c.path;
  });
  if (it != cookies_.end()) {
    if (expired) {
      cookies_.erase(it);
      return true;
    }
    c.creation = it->creation;
    *it = std::move(c);
    return true;
  }
  if (!expired) store(std::move(c));
  return true;
}

void cookie_jar::update_from_response(const field_list& headers, const url& request_url,
                                      double now_s) {
  for (const auto& [name, value] : headers)
    if (iequals(name, "Set-Cookie")) set_from_header(value, request_url, now_s);
}

void cookie_jar::update_from_response(const raw_fields& headers, const url& request_url,
                                      double now_s) {
  for (size_t i = 0; i < headers.size(); ++i)
    if (iequals(headers.name(i), "Set-Cookie"))
      set_from_header(headers.value(i), request_url, now_s);
}

void cookie_jar::store(cookie c) {
  c.creation = next_creation_++;
  cookies_.push_back(std::move(c));
}

void cookie_jar::cookie_header(const url& u, double now_s, std::string& out) const {
  if (cookies_.empty()) return;
  const cookie* matched[64];
  std::vector<const cookie*> many;
  size_t n = 0;
  std::string_view path = u.path();
  for (const auto& c : cookies_) {
    if (c.expires_s && *c.expires_s <= now_s) continue;
    if (c.secure && !u.is_https()) continue;
    if (!c.domain.empty()) {
      if (c.host_only ? u.host != c.domain : !domain_match(u.host, c.domain)) continue;
    }
    if (!path_match(path, c.path)) continue;
    if (n < 64) {
      matched[n++] = &c;
    } else {
      if (many.empty()) many.assign(matched, matched + n);
      many.push_back(&c);
    }
  }
  const cookie** begin = many.empty() ? matched : many.data();
  const cookie** end = many.empty() ? matched + n : many.data() + many.size();
  std::stable_sort(begin, end, [](const cookie* a, const cookie* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    return a->creation < b->creation;
  });
  for (auto p = begin; p != end; ++p) {
    if (!out.empty()) out += "; ";
    out += (*p)->name;
    out += '=';
    out += (*p)->value;
  }
}

std::string cookie_jar::cookie_header(const url& u, double now_s) const {
  std::string out;
  cookie_header(u, now_s, out);
  return out;
}

void cookie_jar::set(std::string name, std::string value, std::string domain, std::string path) {
  cookie c;
  c.name = std::move(name);
  c.value = std::move(value);
  std::string_view d = domain;
  if (!d.empty() && d.front() == '.') d.remove_prefix(1);
  c.domain = lower(d);
  c.path = path.empty() ? "/" : std::move(path);
  auto it = std::find_if(cookies_.begin(), cookies_.end(), [&](const cookie& o) {
    return o.name == c.name && o.domain == c.domain && o.path == c.path;
  });
  if (it != cookies_.end()) {
    it->value = std::move(c.value);
    return;
  }
  store(std::move(c));
}

std::optional<std::string> cookie_jar::get(std::string_view name) const {
  for (const auto& c : cookies_)
    if (c.name == name) return c.value;
  return std::nullopt;
}

bool cookie_jar::erase(std::string_view name) {
  return std::erase_if(cookies_, [&](const cookie& c) { return c.name == name; }) > 0;
}

void cookie_jar::remove_expired(double now_s) {
  std::erase_if(cookies_, [&](const cookie& c) { return c.expires_s && *c.expires_s <= now_s; });
}

}  // namespace endure::http
