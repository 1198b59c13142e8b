// web assets: the UI's files (web/ in the source tree), embedded into the binary at build time by
// cmake/embed_assets.cmake. Looked up by exact name only (no file system, no path traversal).
#pragma once
#include <span>
#include <string_view>

namespace endure::web {

struct asset {
  std::string_view name;          // "index.html", "app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

std::span<const asset> assets();
const asset* find_asset(std::string_view name);

}  // namespace endure::web
