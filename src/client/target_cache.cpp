// client::target_cache: see target_cache.hpp.
#include "client/target_cache.hpp"

#include <cstdint>
#include <string_view>

namespace endure::client {

const target_cache::entry& target_cache::resolve(const std::string& base_url,
                                                 const std::string& ref) {
  bool absolute = ref.find("://") != std::string::npos;
  std::string_view key_base = absolute ? std::string_view() : std::string_view(base_url);
  // A cheap slot hash (FNV-1a over the reference, the base's length and its last bytes, which
  // carry the port): a collision only costs a re-parse, the key is compared in full.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (char c : ref) mix(static_cast<unsigned char>(c));
  mix(static_cast<unsigned char>(key_base.size()));
  for (size_t i = key_base.size() > 6 ? key_base.size() - 6 : 0; i < key_base.size(); ++i)
    mix(static_cast<unsigned char>(key_base[i]));
  entry& e = entries_[(h ^ (h >> 29)) % slots];
  if (e.used && e.ref == ref && e.base_url == key_base) return e;
  e.used = true;
  e.generation = ++next_generation_;
  e.base_url.assign(key_base);
  e.ref = ref;
  e.error.clear();
  base::result<http::url> r = base::make_error(std::string());
  if (absolute) {
    r = http::parse_url(ref);
  } else if (base_url.empty()) {
    e.error = "invalid URL '" + ref +
              "': a relative URL needs a base URL (--host), expected http:// or https://";
    return e;
  } else {
    auto b = http::parse_url(base_url);
    if (!b) {
      e.error = b.err().message;
      return e;
    }
    r = http::resolve_url(*b, ref);
  }
  if (!r) {
    e.error = r.err().message;
    return e;
  }
  e.u = std::move(*r);
  e.host_header = e.u.host_header();
  e.text = e.u.to_string();
  return e;
}

}  // namespace endure::client
