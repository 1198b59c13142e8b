#include "http/request_writer.hpp"

#include <charconv>

namespace endure::http {
namespace {

bool overridden(std::span<const field_list* const> layers, size_t from, std::string_view name) {
  for (size_t i = from; i < layers.size(); ++i)
    if (layers[i] != nullptr && has_field(*layers[i], name)) return true;
  return false;
}

void put_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

}  // namespace

void write_request(std::string& out, const request_head& head) {
  const auto layers = head.layers;
  out.append(head.method);
  out += ' ';
  out.append(head.target.empty() ? std::string_view("/") : head.target);
  out.append(" HTTP/1.1\r\n", 11);
  if (!overridden(layers, 0, "Host")) put_field(out, "Host", head.host);

  static constexpr std::pair<std::string_view, std::string_view> builtin[] = {
      {"User-Agent", default_user_agent},
      {"Accept-Encoding", "gzip, deflate"},
      {"Accept", "*/*"},
      {"Connection", "keep-alive"},
  };
  for (const auto& [name, value] : builtin)
    if (!overridden(layers, 0, name)) put_field(out, name, value);

  bool has_auth = !head.authorization.empty();
  bool user_content_length = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] == nullptr) continue;
    for (const auto& [name, value] : *layers[i]) {
      if (overridden(layers, i + 1, name)) continue;
      if (has_auth && iequals(name, "Authorization")) continue;
      if (iequals(name, "Content-Length")) user_content_length = true;
      put_field(out, name, value);
    }
  }
  if (!head.cookie.empty() && !overridden(layers, 0, "Cookie")) put_field(out, "Cookie", head.cookie);
  if (has_auth) put_field(out, "Authorization", head.authorization);
  if (!user_content_length) {
    bool wants_length = !head.body.empty() || head.method == "POST" || head.method == "PUT" ||
                        head.method == "PATCH";
    if (wants_length) {
      char digits[24];
      auto [p, ec] = std::to_chars(digits, digits + sizeof digits, head.body.size());
      (void)ec;
      put_field(out, "Content-Length", std::string_view(digits, static_cast<size_t>(p - digits)));
    }
  }
  out.append("\r\n", 2);
  out.append(head.body);
}

std::string base64_encode(std::string_view data) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    unsigned v = byte(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string basic_auth_value(std::string_view user, std::string_view password) {
  std::string plain(user);
  plain += ':';
  plain.append(password);
  return "Basic " + base64_encode(plain);
}

}  // namespace endure::http
