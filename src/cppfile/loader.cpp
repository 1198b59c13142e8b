#include "cppfile/loader.hpp"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "endure/shape.hpp"
#include "endure/user.hpp"

#ifndef ENDURE_SOURCE_INCLUDE_DIR
#define ENDURE_SOURCE_INCLUDE_DIR ""
#endif
#ifndef ENDURE_VERSION_STRING
#define ENDURE_VERSION_STRING "0"
#endif

namespace fs = std::filesystem;

namespace endure::cppfile {
namespace {

std::string read_file(const fs::path& p, bool& ok) {
  std::ifstream in(p, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

bool on_path(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return access(exe.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && access((dir + "/" + exe).c_str(), X_OK) == 0) return true;
  return false;
}

// The compiler, and a warning to give when one is about to be used that cannot build the seed
// examples as written.
struct compiler_choice {
  std::string exe;
  std::string caveat;  // non-empty: log it (once) before compiling
};

base::result<compiler_choice> find_compiler(const load_options& o) {
  if (!o.compiler.empty()) return compiler_choice{o.compiler, {}};
  if (const char* e = std::getenv("ENDURE_CXX"); e && *e) return compiler_choice{e, {}};
  // clang++ first: g++ 12 rejects braced initializer lists inside co_await expressions
  // ("array used as initializer"), which the natural request syntax uses.
  if (on_path("clang++")) return compiler_choice{"clang++", {}};
  if (on_path("g++"))
    return compiler_choice{
        "g++",
        "clang++ is not installed: compiling with g++, which rejects request options written "
        "inside co_await (`co_await client.get(url, {.catch_response = true})` fails with "
        "\"array used as initializer\"); install clang (bash scripts/install-deps.sh does) or set "
        "ENDURE_CXX"};
  return base::make_error(
      "no C++ compiler to build the locustfile: install clang (apt-get install clang; "
      "bash scripts/install-deps.sh does) or set ENDURE_CXX to a C++20 compiler");
}

// A compile error that endure can explain in one line: the mistakes the API makes easy.
// Returns "" when the compiler's messages hold none of them.
std::string explain_compile_error(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const bool is_error = line.find(": error: ") != std::string::npos;
    if (!is_error) continue;
    // "file:line:col: error: ...": keep "file:line".
    std::string where = line.substr(0, line.find(": error: "));
    if (auto c = where.rfind(':'); c != std::string::npos && where.find(':') != c)
      where = where.substr(0, c);
    if (line.find("return-type") != std::string::npos)
      return where +
             ": this function returns nothing; a task (or on_start, on_stop, a helper returning "
             "Task or Async) that never uses co_await is not a coroutine and would crash the run: "
             "end it with `co_return;`";
    // The public headers' [[nodiscard]] reasons say this (include/endure/http.hpp, task.hpp).
    if (line.find("does nothing until it is awaited") != std::string::npos)
      return where +
             ": a request (or a Task, Async or sleep) that is not awaited does nothing: write "
             "`co_await client.get(...)` (or `auto r = co_await client.get(...)`)";
  }
  return {};
}

std::string find_include_dir(const load_options& o) {
  if (!o.include_dir.empty()) return o.include_dir;
  if (const char* e = std::getenv("ENDURE_INCLUDE_DIR"); e && *e) return e;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path cand : {exe.parent_path().parent_path() / "include",
                          exe.parent_path().parent_path().parent_path() / "include"}) {
      if (fs::exists(cand / "endure" / "endure.hpp", ec)) return cand.string();
    }
  }
  return ENDURE_SOURCE_INCLUDE_DIR;
}

std::string find_cache_dir(const load_options& o) {
  if (!o.cache_dir.empty()) return o.cache_dir;
  if (const char* e = std::getenv("ENDURE_CACHE_DIR"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/endure";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/endure";
  return "/tmp/endure-cache";
}

std::string headers_fingerprint(const std::string& include_dir) {
  std::string all;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(include_dir) / "endure", ec))
    if (e.path().extension() == ".hpp") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    bool ok = false;
    all += f.filename().string() + '\0' + read_file(f, ok);
  }
  return all;
}

base::result<std::vector<const detail::class_spec*>> load_one(const std::string& file,
                                                              const load_options& o,
                                                              bool& compiled, loaded& out) {
  std::shared_ptr<LoadTestShape>& shape = out.shape;
  bool ok = false;
  std::string source = read_file(file, ok);
  if (!ok) return base::make_error("cannot read locustfile '" + file + "'");
  auto choice = find_compiler(o);
  if (!choice) return choice.err();
  const std::string& compiler = choice->exe;
  std::string include_dir = find_include_dir(o);
  if (include_dir.empty() || !fs::exists(fs::path(include_dir) / "endure" / "endure.hpp"))
    return base::make_error("cannot find endure's headers (include/endure/endure.hpp); set "
                            "ENDURE_INCLUDE_DIR");
  // Two warnings are errors: both are silent footguns of coroutine code (a task without co_await
  // is not a coroutine and flows off its end; a request without co_await is never sent).
  const std::string flags =
      "-std=c++20 -O2 -fPIC -shared -fvisibility=hidden -Werror=return-type -Werror=unused-result";
  std::string key = sha256_hex(std::string(ENDURE_VERSION_STRING) + '\0' + compiler + '\0' + flags +
                               '\0' + headers_fingerprint(include_dir) + '\0' + source);
  fs::path cache = find_cache_dir(o);
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return base::make_error("cannot create the locustfile cache '" + cache.string() + "': " + ec.message());
  fs::path so = cache / (key.substr(0, 32) + ".so");
  // The compiler's warnings are kept beside the object and shown on every run, not only on the
  // run that compiled: a warning is as true the tenth time.
  fs::path warnings = cache / (key.substr(0, 32) + ".warnings");
  if (!fs::exists(so, ec)) {
    if (!choice->caveat.empty()) base::log_warning("cppfile", choice->caveat);
    fs::path tmp = cache / (key.substr(0, 32) + "." + std::to_string(getpid()) + ".tmp.so");
    std::string cmd = shell_quote(compiler) + " " + flags + " -I" + shell_quote(include_dir) +
                      " -o " + shell_quote(tmp.string()) + " " + shell_quote(file) + " 2>&1";
    base::log_info("cppfile", "compiling " + file + " (cached for the next run)");
    if (o.verbose) base::log_debug("cppfile", cmd);
    std::FILE* p = popen(cmd.c_str(), "r");
    if (!p) return base::make_error("cannot run the compiler '" + compiler + "'");
    std::string output;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    int status = pclose(p);
    if (status != 0 || !fs::exists(tmp, ec)) {
      fs::remove(tmp, ec);
      std::fwrite(output.data(), 1, output.size(), stderr);
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      if (code == 127) return base::make_error("cannot run the compiler '" + compiler + "' (not installed?)");
      if (auto why = explain_compile_error(output); !why.empty()) return base::make_error(why);
      return base::make_error(file + ": compilation failed (the compiler's messages are above)");
    }
    // Written before the object, so an object in the cache always has its warnings beside it.
    {
      std::ofstream w(warnings, std::ios::binary | std::ios::trunc);
      w << output;
    }
    fs::rename(tmp, so, ec);
    if (ec) return base::make_error("cannot write '" + so.string() + "': " + ec.message());
    compiled = true;
    if (!output.empty()) std::fwrite(output.data(), 1, output.size(), stderr);
  } else {
    bool read_ok = false;
    std::string cached = read_file(warnings, read_ok);
    if (read_ok && !cached.empty()) {
      std::fwrite(cached.data(), 1, cached.size(), stderr);
      base::log_warning("cppfile", file + ": the compiler's warnings above are from its cached build");
    }
  }
  void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return base::make_error(file + ": cannot load the compiled locustfile: " + dlerror());
  using reg_fn = void (*)(detail::registry&);
  using shape_fn = LoadTestShape* (*)();
  auto fn = reinterpret_cast<reg_fn>(dlsym(h, "endure_register_users_v1"));
  auto make_shape = reinterpret_cast<shape_fn>(dlsym(h, "endure_make_shape_v1"));
  using events_fn = void (*)(events&);
  if (auto ev = reinterpret_cast<events_fn>(dlsym(h, "endure_register_events_v1")))
    out.event_registrars.push_back(ev);
  if (make_shape) {
    if (shape)
      return base::make_error(file + ": a second load shape (ENDURE_SHAPE): use one per test");
    try {
      shape.reset(make_shape());
    } catch (const std::exception& e) {
      return base::make_error(file + ": constructing the load shape threw: " + e.what());
    }
  }
  if (!fn) {
    // A file may hold only a shape or only listeners, beside the files with the users.
    if (make_shape || dlsym(h, "endure_register_events_v1")) return std::vector<const detail::class_spec*>{};
    return base::make_error(file + ": no user classes: add ENDURE_USERS(YourUser, ...) at the end");
  }
  detail::registry reg;
  try {
    fn(reg);
  } catch (const std::exception& e) {
    return base::make_error(file + ": defining the user classes threw: " + e.what());
  }
  return reg.users;
}

}  // namespace

base::result<std::vector<std::string>> expand_locustfile_spec(const std::string& spec) {
  std::vector<std::string> files;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) continue;
    std::error_code ec;
    if (fs::is_directory(part, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(part, ec)) {
        auto ext = e.path().extension().string();
        auto name = e.path().filename().string();
        if ((ext == ".cpp" || ext == ".py") && !name.starts_with("_")) found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty())
        return base::make_error("locustfile directory '" + part + "' holds no .cpp or .py files");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(part, ec)) {
      files.push_back(part);
    } else {
      return base::make_error("locustfile '" + part + "' does not exist");
    }
  }
  if (files.empty()) return base::make_error("no locustfile given: use -f FILE");
  return files;
}

base::result<loaded> load(const std::string& spec, const load_options& opts) {
  auto files = expand_locustfile_spec(spec);
  if (!files) return files.err();
  loaded out;
  for (const auto& f : *files) {
    if (f.ends_with(".py")) {
      // Only a mixed list comes here: Python-only specs go to the Python front-end (app/).
      std::string cpp;
      for (const auto& g : *files)
        if (!g.ends_with(".py")) cpp = g;
      return base::make_error(spec + " mixes languages (" + f + " is Python, " + cpp +
                              " is C++): one run uses one language; name the .py or the .cpp "
                              "files with -f");
    }
    if (!f.ends_with(".cpp") && !f.ends_with(".cc") && !f.ends_with(".cxx"))
      return base::make_error(f + ": unknown locustfile type: expected .cpp (or .py)");
    bool compiled = false;
    auto classes = load_one(f, opts, compiled, out);
    if (!classes) return classes.err();
    out.compiled |= compiled;
    out.files.push_back(f);
    for (auto* c : *classes) out.classes.push_back(c);
  }
  if (out.classes.empty()) return base::make_error(spec + ": no user classes found");
  return out;
}

}  // namespace endure::cppfile
