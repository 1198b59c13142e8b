#include "server/request_parser.hpp"

#include <algorithm>

#include "http/fields.hpp"

namespace endure::server {

namespace {

// Parses a non-negative decimal; false on garbage or overflow past 2^62.
bool parse_decimal(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > (uint64_t{1} << 62)) return false;
  }
  return true;
}

bool parse_hex(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 15) return false;
  v = 0;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return true;
}

}  // namespace

void request_parser::reset() {
  phase_ = phase::head;
  scanned_ = 0;
  remaining_ = 0;
  expect_continue_ = false;
}

request_parser::status request_parser::parse(std::string_view data, std::size_t& consumed,
                                             request& out) {
  consumed = 0;
  if (phase_ == phase::head) {
    // Tolerate empty lines before a request line (RFC 9112 section 2.2).
    while (scanned_ == 0 && data.size() >= 2 && data[0] == '\r' && data[1] == '\n') {
      data.remove_prefix(2);
      consumed += 2;
    }
    const std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
    const auto end = data.find("\r\n\r\n", from);
    if (end == std::string_view::npos) {
      scanned_ = data.size();
      return data.size() > max_header_bytes_ ? status::header_too_large : status::need_more;
    }
    const std::size_t head_size = end + 4;
    if (head_size > max_header_bytes_) return status::header_too_large;
    out.head_storage.assign(data.data(), head_size);
    const status s = parse_head(out.head_storage, out);
    if (s != status::need_more) return s;
    consumed += head_size;
    data.remove_prefix(head_size);
    if (phase_ == phase::head) return status::done;  // no body
  }
  for (;;) {
    switch (phase_) {
      case phase::head:
        return status::done;
      case phase::length_body: {
        const std::size_t take = static_cast<std::size_t>(
            std::min<uint64_t>(remaining_, data.size()));
        out.body.append(data.data(), take);
        data.remove_prefix(take);
        consumed += take;
        remaining_ -= take;
        if (remaining_ > 0) return status::need_more;
        phase_ = phase::head;
        return status::done;
      }
      case phase::chunk_size: {
        const auto eol = data.find("\r\n");
        if (eol == std::string_view::npos) {
          return data.size() > 1024 ? status::bad_request : status::need_more;
        }
        std::string_view line = data.substr(0, eol);
        if (const auto semi = line.find(';'); semi != std::string_view::npos) {
          line = line.substr(0, semi);  // chunk extensions are ignored
        }
        uint64_t size = 0;
        if (!parse_hex(http::trim_ows(line), size)) return status::bad_request;
        if (out.body.size() + size > max_body_bytes_) return status::body_too_large;
        data.remove_prefix(eol + 2);
        consumed += eol + 2;
        remaining_ = size;
        phase_ = size == 0 ? phase::trailers : phase::chunk_data;
        break;
      }
      case phase::chunk_data: {
        const std::size_t take = static_cast<std::size_t>(
            std::min<uint64_t>(remaining_, data.size()));
        out.body.append(data.data(), take);
        data.remove_prefix(take);
        consumed += take;
        remaining_ -= take;
        if (remaining_ > 0) return status::need_more;
        phase_ = phase::chunk_data_end;
        break;
      }
      case phase::chunk_data_end:
        if (data.size() < 2) return status::need_more;
        if (data[0] != '\r' || data[1] != '\n') return status::bad_request;
        data.remove_prefix(2);
        consumed += 2;
        phase_ = phase::chunk_size;
        break;
      case phase::trailers: {
        const auto eol = data.find("\r\n");
        if (eol == std::string_view::npos) {
          return data.size() > max_header_bytes_ ? status::header_too_large : status::need_more;
        }
        data.remove_prefix(eol + 2);
        consumed += eol + 2;
        if (eol == 0) {  // the empty line that ends the trailer section
          phase_ = phase::head;
          return status::done;
        }
        break;
      }
    }
  }
}

request_parser::status request_parser::parse_head(std::string_view head, request& out) {
  // Request line: METHOD SP target SP HTTP/1.x CRLF
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return status::bad_request;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return status::bad_request;
  out.method = line.substr(0, sp1);
  for (char c : out.method) {
    if (!http::is_token_char(c)) return status::bad_request;
  }
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9') {
    return status::bad_request;
  }
  out.version_minor = version[7] - '0';
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return status::bad_request;
  }
  // Target: origin-form ("/p?q") or absolute-form ("http://h/p?q"); "*" for OPTIONS.
  std::string_view path_part = out.target;
  if (path_part.empty()) return status::bad_request;
  if (path_part.front() != '/' && path_part != "*") {
    const auto scheme = path_part.find("://");
    if (scheme == std::string_view::npos) return status::bad_request;
    const auto slash = path_part.find('/', scheme + 3);
    path_part = slash == std::string_view::npos ? std::string_view("/") : path_part.substr(slash);
  }
  if (const auto hash = path_part.find('#'); hash != std::string_view::npos) {
    path_part = path_part.substr(0, hash);
  }
  if (const auto q = path_part.find('?'); q != std::string_view::npos) {
    out.query_string = path_part.substr(q + 1);
    path_part = path_part.substr(0, q);
    out.query = parse_query(out.query_string);
  }
  out.path = percent_decode(path_part, false);

  // Header fields.
  bool has_length = false;
  bool chunked = false;
  uint64_t length = 0;
  bool conn_close = false;
  bool conn_keep_alive = false;
  std::string_view rest = head.substr(line_end + 2);
  while (true) {
    const auto eol = rest.find("\r\n");
    if (eol == 0 || eol == std::string_view::npos) break;
    const std::string_view field = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (field.front() == ' ' || field.front() == '\t') return status::bad_request;  // obs-fold
    const auto colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return status::bad_request;
    const std::string_view name = field.substr(0, colon);
    for (char c : name) {
      if (!http::is_token_char(c)) return status::bad_request;
    }
    const std::string_view value = http::trim_ows(field.substr(colon + 1));
    out.headers.emplace_back(name, value);
    if (iequals(name, "content-length")) {
      uint64_t v = 0;
      if (!parse_decimal(value, v)) return status::bad_request;
      if (has_length && v != length) return status::bad_request;
      has_length = true;
      length = v;
    } else if (iequals(name, "transfer-encoding")) {
      // Only "chunked" (possibly the last of a list) is understood.
      if (!header_has_token(value, "chunked")) return status::bad_request;
      chunked = true;
    } else if (iequals(name, "connection")) {
      if (header_has_token(value, "close")) conn_close = true;
      if (header_has_token(value, "keep-alive")) conn_keep_alive = true;
    } else if (iequals(name, "expect")) {
      if (iequals(value, "100-continue")) expect_continue_ = true;
    }
  }
  if (out.version_minor == 0) {
    out.keep_alive = conn_keep_alive && !conn_close;
  } else {
    out.keep_alive = !conn_close;
  }
  if (chunked && has_length) return status::bad_request;  // request smuggling shape
  if (chunked) {
    phase_ = phase::chunk_size;
  } else if (has_length && length > 0) {
    if (length > max_body_bytes_) return status::body_too_large;
    out.body.reserve(static_cast<std::size_t>(length));
    remaining_ = length;
    phase_ = phase::length_body;
  } else {
    expect_continue_ = false;
    phase_ = phase::head;
  }
  return status::need_more;
}

}  // namespace endure::server
