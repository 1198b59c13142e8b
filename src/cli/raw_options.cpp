#include "cli/raw_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/option_table.hpp"

namespace endure::cli {
namespace {

using setting = raw_options::setting;

const std::string command_line = "command line";
const std::string environment = "environment";

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string dashed(std::string_view long_name) { return "--" + std::string(long_name); }

bool looks_like_option(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

// A short option is '-' and a letter; "-5" and "-" are words (a negative value, stdin).
bool is_short_option(const std::string& word) {
  return word.size() >= 2 && word[0] == '-' && word[1] != '-' &&
         !std::isdigit(static_cast<unsigned char>(word[1]));
}

base::result<std::vector<setting>> read_config(const std::string& path, bool must_exist) {
  std::vector<setting> out;
  std::ifstream in(path);
  if (!in) {
    if (must_exist) return base::make_error("cannot read config file '" + path + "'");
    return out;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';' || t[0] == '[') continue;
    auto eq = t.find('=');
    if (eq == std::string::npos)
      return base::make_error(path + ":" + std::to_string(lineno) + ": expected 'key = value', got '" + t + "'");
    setting s;
    s.name = trim(t.substr(0, eq));
    std::replace(s.name.begin(), s.name.end(), '_', '-');  // run_time and run-time alike
    s.words = {trim(t.substr(eq + 1))};
    s.from = {"config file " + path, s.name};
    s.location = path + ":" + std::to_string(lineno);
    out.push_back(std::move(s));
  }
  return out;
}

// The long name an environment variable sets: Locust's own spelling from the table
// (LOCUST_MODE_MASTER -> master), else the suffix in lower case with '-' for '_'.
std::string env_option_name(const std::string& var, std::string_view suffix) {
  for (const auto& row : option_table())
    if (!row.locust_env.empty() && row.locust_env == var) return std::string(row.name);
  std::string name(suffix);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return name;
}

// Repeatable values: one per config line or command-line occurrence; a variable's are separated
// by ';' (thresholds may hold commas and spaces).
std::vector<std::string> split_repeat(const setting& s) {
  if (s.from.layer != environment) return s.words;
  std::vector<std::string> items;
  std::stringstream ss(s.words.empty() ? std::string() : s.words.back());
  std::string item;
  while (std::getline(ss, item, ';')) {
    item = trim(item);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// List values: words of a config file are separated by spaces, an environment variable's by commas.
std::vector<std::string> split_list(const setting& s) {
  std::vector<std::string> items;
  if (s.from.layer == command_line) return s.words;
  const std::string& text = s.words.empty() ? std::string() : s.words.back();
  if (s.from.layer == environment) {
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = trim(item);
      if (!item.empty()) items.push_back(item);
    }
  } else {
    std::stringstream ss(text);
    std::string item;
    while (ss >> item) items.push_back(item);
  }
  return items;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string where(const origin& from) {
  return from.layer == command_line ? "" : " (from " + from.layer + ")";
}

// A locustfile option's value against its declared type: "" when it fits, else what was expected.
std::string check_typed(const std::string& type, const std::string& v) {
  if (type == "int") {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return !v.empty() && ec == std::errc() && p == v.data() + v.size() ? "" : "an integer";
  }
  if (type == "float") {
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    return !v.empty() && end == v.c_str() + v.size() && std::isfinite(d) ? "" : "a number";
  }
  return "";
}

const extra_option* find_extra(const std::vector<extra_option>& extras, std::string_view name) {
  for (const auto& e : extras)
    if (e.name == name) return &e;
  return nullptr;
}

bool allowed(const option_spec& row, const origin& from) {
  uint8_t mask = from.layer == command_line ? from_command_line
                 : from.layer == environment ? from_environment
                                             : from_files;
  return (row.sources & mask) != 0;
}

}  // namespace

base::result<raw_options> raw_options::read(std::vector<std::string> args, const std::vector<std::string>& env,
                                            std::string cwd) {
  raw_options raw;
  raw.cwd_ = std::move(cwd);

  // 1. The command line, in order. Unknown options may belong to the locustfile: their next
  // word is kept aside, to be their value or a positional once resolve() knows which.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      for (size_t j = i + 1; j < args.size(); ++j) raw.command_line_.push_back({true, args[j], {}});
      break;
    }
    if (!a.starts_with("--") && !is_short_option(a)) {
      raw.command_line_.push_back({true, a, {}});
      continue;
    }
    setting s;
    s.from = {command_line, a};
    std::string inline_value;
    bool has_inline = false;
    const option_spec* row = nullptr;
    if (a.starts_with("--")) {
      std::string name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
        has_inline = true;
      }
      s.from.spelling = "--" + name;
      s.name = name;
      row = find_option(name);
    } else {
      s.is_short = true;
      s.name = a.substr(0, 2);
      s.from.spelling = s.name;
      if (a.size() > 2) {
        inline_value = a.substr(2);
        has_inline = true;
      }
      row = find_short_option(a[1]);
    }
    if (!row) {
      if (has_inline) s.words = {inline_value};
      s.bare = !has_inline;
      if (!has_inline && !s.is_short && i + 1 < args.size() && !looks_like_option(args[i + 1])) {
        s.has_next = true;
        s.next_word = args[++i];
      }
      raw.command_line_.push_back({false, {}, std::move(s)});
      continue;
    }
    s.name = std::string(row->name);
    s.is_short = false;  // known: found by its long name from here on
    if (row->kind == arity::flag) {
      s.words = {has_inline ? inline_value : "true"};
      s.bare = !has_inline;
    } else if (row->kind == arity::list) {
      if (has_inline) s.words.push_back(inline_value);
      while (i + 1 < args.size() && !looks_like_option(args[i + 1])) s.words.push_back(args[++i]);
      if (s.words.empty())
        return base::make_error(dashed(row->name) + " needs at least one " + std::string(row->metavar));
    } else if (has_inline) {
      s.words = {inline_value};
    } else if (i + 1 < args.size()) {
      s.words = {args[++i]};
    } else {
      return base::make_error(dashed(row->name) + " needs a value (" + std::string(row->metavar) + ")");
    }
    raw.command_line_.push_back({false, {}, std::move(s)});
  }

  // 2. LOCUST_* and ENDURE_* variables; which of them are options is decided by resolve().
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string var = kv.substr(0, eq);
    std::vector<setting>* layer = var.starts_with("LOCUST_")   ? &raw.locust_env_
                                  : var.starts_with("ENDURE_") ? &raw.endure_env_
                                                               : nullptr;
    if (!layer) continue;
    setting s;
    s.name = env_option_name(var, std::string_view(var).substr(7));
    s.words = {kv.substr(eq + 1)};
    s.from = {environment, var};
    layer->push_back(std::move(s));
  }

  // 3. Config files: locust.conf and endure.conf here if present, then --config (which must exist).
  for (const char* f : {"locust.conf", "endure.conf"}) {
    auto l = read_config(raw.cwd_ + "/" + f, false);
    if (!l) return l.err();
    raw.files_.push_back(std::move(*l));
  }
  if (const setting* c = raw.last_known("config"); c && !c->words.empty() && !c->words.back().empty()) {
    auto l = read_config(c->words.back(), true);
    if (!l) return l.err();
    raw.files_.push_back(std::move(*l));
  }
  return raw;
}

// The highest-precedence setting of a table option (by long name), from any source it may come from.
const setting* raw_options::last_known(std::string_view name) const {
  const option_spec* row = find_option(name);
  if (!row) return nullptr;
  for (auto it = command_line_.rbegin(); it != command_line_.rend(); ++it)
    if (!it->positional && !it->option.is_short && it->option.name == name && allowed(*row, it->option.from))
      return &it->option;
  for (const auto* layer : {&endure_env_, &locust_env_})
    for (auto it = layer->rbegin(); it != layer->rend(); ++it)
      if (it->name == name && allowed(*row, it->from)) return &*it;
  for (auto f = files_.rbegin(); f != files_.rend(); ++f)
    for (auto it = f->rbegin(); it != f->rend(); ++it)
      if (it->name == name && allowed(*row, it->from)) return &*it;
  return nullptr;
}

bool raw_options::flag(std::string_view name) const {
  const setting* s = last_known(name);
  if (!s || s->words.empty()) return false;
  return parse_flag(s->words.back()).value_or(false);
}

std::string raw_options::default_locustfile_error() const {
  std::error_code ec;
  auto dir = std::filesystem::absolute(cwd_, ec).lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "no locustfile: neither locustfile.py nor locustfile.cpp is in " + dir +
         "; name one with -f FILE (a .py or .cpp file, a directory of them, or a comma-separated list)";
}

base::result<std::string> raw_options::locustfile() const {
  if (const setting* s = last_known("locustfile"); s && !s->words.empty()) return s->words.back();
  // Locust looks for ./locustfile.py; endure also runs C++ locustfiles, so .py first, then .cpp.
  for (const char* name : {"locustfile.py", "locustfile.cpp"}) {
    std::string path = cwd_ == "." ? name : cwd_ + "/" + name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return base::make_error(default_locustfile_error());
}

raw_options raw_options::with_locustfile(const std::string& path) const {
  raw_options copy = *this;
  cli_item item;
  item.option.name = "locustfile";
  item.option.words = {path};
  item.option.from = origin{"command line", "-f"};
  copy.command_line_.push_back(std::move(item));
  return copy;
}

base::result<options> raw_options::resolve(const std::vector<extra_option>& extras) const {
  return resolve_with(extras, false);
}

base::result<options> raw_options::resolve_known() const { return resolve_with({}, true); }

base::result<options> raw_options::resolve_with(const std::vector<extra_option>& extras,
                                                bool ignore_unknown) const {
  struct chosen {
    std::vector<std::string> words;
    origin from;
  };
  std::map<std::string, chosen> builtin, extra;  // by long name; a later source overwrites
  std::vector<std::string> positional;
  // A later source replaces an option's value; a repeatable option's items add up within one
  // source (one config file, one variable, the command line).
  auto assign = [&builtin](const option_spec& row, const setting& s) {
    auto& slot = builtin[std::string(row.name)];
    if (row.kind == arity::repeat) {
      auto items = split_repeat(s);
      if (!slot.words.empty() && slot.from.layer == s.from.layer && s.from.layer != environment) {
        slot.words.insert(slot.words.end(), items.begin(), items.end());
        slot.from = s.from;
      } else {
        slot = {std::move(items), s.from};
      }
      return;
    }
    slot = {row.kind == arity::list ? split_list(s) : s.words, s.from};
  };

  // Config files, then the environment: lowest precedence first.
  for (const auto& file : files_) {
    for (const auto& s : file) {
      const option_spec* row = find_option(s.name);
      if (row && allowed(*row, s.from)) {
        assign(*row, s);
      } else if (find_extra(extras, s.name)) {
        extra[s.name] = {s.words, s.from};
      } else if (!ignore_unknown) {
        return base::make_error(s.location + ": unknown option '" + s.name +
                                "' (keys are long option names, e.g. users = 10)");
      }
    }
  }
  for (const auto* layer : {&locust_env_, &endure_env_}) {
    for (const auto& s : *layer) {
      const option_spec* row = find_option(s.name);
      if (row && allowed(*row, s.from))
        assign(*row, s);
      else if (find_extra(extras, s.name))
        extra[s.name] = {s.words, s.from};
      // Other variables (ENDURE_CXX, LOCUST_VERSION in a Docker image, ...) are not options.
    }
  }
  // The command line: now the locustfile's options are known, an unknown option's next word is
  // either its value or a positional.
  for (const auto& item : command_line_) {
    if (item.positional) {
      positional.push_back(item.word);
      continue;
    }
    const setting& s = item.option;
    if (const option_spec* row = s.is_short ? nullptr : find_option(s.name)) {
      assign(*row, s);
      continue;
    }
    const extra_option* e = s.is_short ? nullptr : find_extra(extras, s.name);
    if (!e && ignore_unknown) continue;  // and its next word, which may be its value
    if (!e) return base::make_error("unknown option '" + s.from.spelling + "' (see endure --help)");
    if (e->is_flag) {
      extra[s.name] = {s.bare ? std::vector<std::string>{"true"} : s.words, s.from};
      if (s.has_next) positional.push_back(s.next_word);
    } else if (!s.bare) {
      extra[s.name] = {s.words, s.from};
    } else if (s.has_next) {
      extra[s.name] = {{s.next_word}, s.from};
    } else {
      return base::make_error(dashed(s.name) + " needs a value");
    }
  }

  // Convert, in table order so that the first error reported does not depend on the sources.
  options o;
  for (const auto& row : option_table()) {
    auto it = builtin.find(std::string(row.name));
    if (it == builtin.end()) continue;
    const auto& [words, from] = it->second;
    if (row.kind == arity::repeat) {
      // Each item alone first, so that the error names the item that is wrong.
      for (const auto& item : words) {
        options scratch;
        if (auto r = row.bind(scratch, {item}); !r)
          return base::make_error("invalid value '" + item + "' for " + dashed(row.name) + where(from) +
                                  ": expected " + r.err().message);
      }
    }
    if (auto r = row.bind(o, words); !r) {
      std::string shown = row.secret ? "" : " '" + (row.kind == arity::list ? join(words) : words.back()) + "'";
      return base::make_error("invalid value" + shown + " for " + dashed(row.name) + where(from) +
                              ": expected " + r.err().message);
    }
    o.source[std::string(row.name)] = from;
  }
  for (const auto& e : extras) o.extra[e.name] = e.is_flag && e.default_value.empty() ? "false" : e.default_value;
  for (const auto& [name, value] : extra) {
    const extra_option& e = *find_extra(extras, name);
    std::string v = value.words.empty() ? "" : value.words.back();
    if (e.is_flag) {
      auto b = parse_flag(v);
      if (!b)
        return base::make_error("invalid value '" + v + "' for " + dashed(name) + where(value.from) +
                                ": expected true or false");
      v = *b ? "true" : "false";
    } else if (auto bad = check_typed(e.type, v); !bad.empty()) {
      return base::make_error("invalid value '" + v + "' for " + dashed(name) + where(value.from) +
                              ": expected " + bad);
    } else if (!e.choices.empty() && std::find(e.choices.begin(), e.choices.end(), v) == e.choices.end()) {
      std::string list;
      for (const auto& c : e.choices) list += (list.empty() ? "" : ", ") + c;
      return base::make_error("invalid value '" + v + "' for " + dashed(name) + where(value.from) +
                              ": expected one of " + list);
    }
    o.extra[name] = v;
    o.source[name] = value.from;
  }
  o.user_classes = std::move(positional);

  if (o.locustfile.empty()) {
    auto found = locustfile();
    if (!found) return found.err();
    o.locustfile = *found;
  }

  // Options that contradict each other (Locust refuses the same pairs).
  if (o.json && o.json_file == "-")
    return base::make_error("--json and --json-file - both write to stdout: use one");
  if (o.list + o.show_task_ratio + o.show_task_ratio_json > 1)
    return base::make_error("--list, --show-task-ratio and --show-task-ratio-json exclude each other: use one");
  if (o.master && o.worker) return base::make_error("--master and --worker exclude each other: use one");
  if (o.resume && !o.master)
    return base::make_error("--resume carries on a distributed run on its restarted master: use it with --master "
                            "(a standalone run's users end with its process)");
  if (o.resume && o.no_store)
    return base::make_error("--resume carries on the run recorded in the run store: it cannot go with --no-store");
  if (o.autoquit && !o.autostart)
    return base::make_error("--autoquit needs --autostart: it quits that long after an autostarted test ends");
  if (o.tls_cert.empty() != o.tls_key.empty())
    return base::make_error("--tls-cert and --tls-key go together: give both for HTTPS, or neither");
  return o;
}

}  // namespace endure::cli
