// cppfile::cpp_locustfile: a loaded C++ locustfile as an engine::locustfile: its classes, its load
// shape, its task ratio and its shards (cpp_shard). Compiling and loading are in loader.hpp.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "cppfile/loader.hpp"
#include "engine/locustfile.hpp"

namespace endure::cppfile {

// Compiles (or takes from the cache) and loads the files of -f, as loader::load does.
base::result<std::unique_ptr<engine::locustfile>> open_cpp_locustfile(const std::string& spec,
                                                                      const load_options& opts = {});

// Locust's task ratio of C++ classes: {"per_class": {...}, "total": {...}}, class shares by the
// users that -u would spawn (Locust's rule; without -u, by weight), task shares relative to their
// parent in per_class and to all tasks in total.
nlohmann::ordered_json task_ratio_of(const std::vector<engine::user_class>& classes,
                                     std::optional<uint64_t> num_users);

}  // namespace endure::cppfile
