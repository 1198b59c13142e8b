#include "monitor/prom_text.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace endure::monitor {
namespace {

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool name_char(char c) {
  return name_start(c) || std::isdigit(static_cast<unsigned char>(c));
}
bool label_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool label_char(char c) {
  return label_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

void skip_blanks(std::string_view s, size_t &i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

// Parses one sample line; "" on success, else what is wrong.
std::string parse_line(std::string_view line, const prom_limits &limits,
                       prom_sample &out) {
  size_t i = 0;
  skip_blanks(line, i);
  if (i >= line.size() || !name_start(line[i]))
    return "a metric name expected";
  const size_t name_begin = i;
  while (i < line.size() && name_char(line[i]))
    ++i;
  out.name = std::string(line.substr(name_begin, i - name_begin));
  out.labels.clear();
  skip_blanks(line, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      skip_blanks(line, i);
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      if (i >= line.size() || !label_start(line[i]))
        return "a label name expected";
      const size_t lb = i;
      while (i < line.size() && label_char(line[i]))
        ++i;
      std::string key(line.substr(lb, i - lb));
      skip_blanks(line, i);
      if (i >= line.size() || line[i] != '=')
        return "'=' expected after label " + key;
      ++i;
      skip_blanks(line, i);
      if (i >= line.size() || line[i] != '"')
        return "a quoted value expected for label " + key;
      ++i;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= line.size())
            break;
          const char e = line[i++];
          value += e == 'n' ? '\n' : e; // \\ and \" stand for themselves
        } else {
          value += c;
        }
      }
      if (!closed)
        return "unterminated value of label " + key;
      if (out.labels.size() >= limits.max_labels)
        return "too many labels";
      out.labels.emplace_back(std::move(key), std::move(value));
      skip_blanks(line, i);
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return "',' or '}' expected in the labels";
    }
  }
  skip_blanks(line, i);
  const size_t vb = i;
  while (i < line.size() && line[i] != ' ' && line[i] != '\t')
    ++i;
  if (vb == i)
    return "a value expected";
  if (!parse_prom_value(line.substr(vb, i - vb), out.value))
    return "'" + std::string(line.substr(vb, std::min<size_t>(i - vb, 40))) +
           "' is not a number";
  skip_blanks(line, i);
  if (i < line.size()) {
    // An optional timestamp (milliseconds since the epoch, an integer):
    // checked, not kept.
    const size_t tb = i;
    if (i < line.size() && (line[i] == '-' || line[i] == '+'))
      ++i;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
      ++i;
    if (i == tb || !std::isdigit(static_cast<unsigned char>(line[i - 1])))
      return "a timestamp expected after the value";
    skip_blanks(line, i);
    if (i < line.size())
      return "unexpected text after the timestamp";
  }
  return "";
}

} // namespace

const std::string &prom_sample::label(std::string_view key) const {
  static const std::string none;
  for (const auto &[k, v] : labels)
    if (k == key)
      return v;
  return none;
}

bool parse_prom_value(std::string_view t, double &out) {
  if (t.empty() || t.size() > 64)
    return false;
  if (t == "NaN" || t == "nan") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (t == "+Inf" || t == "Inf" || t == "+inf" || t == "inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (t == "-Inf" || t == "-inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  // Digits, sign, point and exponent only: strtod would also take hex floats
  // and "infinity".
  for (char c : t)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' ||
          c == 'E' || c == '+' || c == '-'))
      return false;
  const std::string copy(t);
  char *end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

base::result<std::vector<prom_sample>> parse_prom_text(std::string_view text,
                                                       prom_limits limits) {
  std::vector<prom_sample> out;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    size_t i = 0;
    skip_blanks(line, i);
    if (i == line.size() || line[i] == '#')
      continue; // blank, HELP, TYPE, comment
    if (out.size() >= limits.max_samples)
      return base::make_error("more than " +
                              std::to_string(limits.max_samples) + " samples");
    prom_sample s;
    if (auto why = parse_line(line, limits, s); !why.empty())
      return base::make_error("line " + std::to_string(line_no) + ": " + why);
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace endure::monitor
