#include "app/locustfiles.hpp"

#include "cppfile/cpp_locustfile.hpp"
#include "python/program.hpp"

namespace endure::app {

bool is_python_locustfile(const std::string& spec) {
  auto files = cppfile::expand_locustfile_spec(spec);
  return files && python::is_python_spec(*files);
}

base::result<std::unique_ptr<engine::locustfile>> open_locustfile(const std::string& spec) {
  auto files = cppfile::expand_locustfile_spec(spec);
  if (files && python::is_python_spec(*files)) {
    auto p = python::program::load(*files);
    if (!p) return p.err();
    return std::unique_ptr<engine::locustfile>(std::move(*p));
  }
  return cppfile::open_cpp_locustfile(spec);
}

}  // namespace endure::app
