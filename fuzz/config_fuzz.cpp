// Fuzz target: the config file parser (cli::parse reading endure.conf from a directory). The
// input is written to a private temporary directory's endure.conf; errors are fine, crashes not.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/options.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/endure-config-fuzz-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    if (d == nullptr) std::abort();
    return std::string(d);
  }();
  const std::string path = dir + "/endure.conf";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes, 1, size, f);
    std::fclose(f);
  }
  auto o = endure::cli::parse({}, {}, dir);
  if (o) ENDURE_FUZZ_CHECK(o->threads >= 0);
  return 0;
}
