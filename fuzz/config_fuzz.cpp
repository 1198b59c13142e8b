// Fuzz target: the config file parser (cli::read of endure.conf in a directory, then resolve). The
// input is written to a private temporary directory's endure.conf; errors are fine, crashes not.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/raw_options.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  // A scratch dir for the config file, removed when the fuzzer (or the replay) exits.
  struct scratch_dir {
    std::string path;
    scratch_dir() {
      char tmpl[] = "/tmp/endure-config-fuzz-XXXXXX";
      const char* d = ::mkdtemp(tmpl);
      if (d == nullptr) std::abort();
      path = d;
    }
    ~scratch_dir() {
      std::remove((path + "/endure.conf").c_str());
      ::rmdir(path.c_str());
    }
  };
  static const scratch_dir scratch;
  const std::string& dir = scratch.path;
  const std::string path = dir + "/endure.conf";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes, 1, size, f);
    std::fclose(f);
  }
  auto raw = endure::cli::read({"-f", "x.py"}, {}, dir);
  if (!raw) return 0;
  auto o = raw->resolve();
  if (o) ENDURE_FUZZ_CHECK(o->threads >= 0 && o->locustfile == "x.py");
  return 0;
}
