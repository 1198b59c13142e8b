// client::target_cache: request URLs resolved once per shard. A session's requests name their
// target as (base URL, reference); parsing and resolving that costs more than the rest of a
// warm request, so the result (URL, Host header, URL text) is kept, direct-mapped and bounded:
// unique URLs cost a re-parse, never memory. Lives on the shard's thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/url.hpp"

namespace endure::client {

class target_cache {
 public:
  static constexpr size_t slots = 64;

  struct entry {
    std::string base_url, ref;  // the key (base_url is empty for absolute references)
    bool used = false;
    http::url u;
    std::string host_header, text;
    std::string error;  // "invalid URL '...': ..." (InvalidURL's detail) when it does not resolve
    // Changes whenever the entry is refilled (never 0): a copy of u, host_header and text taken
    // at a generation is still right while the entry's generation is the same.
    uint64_t generation = 0;
  };

  // The resolved reference; valid until the next call. resolve_url is pure, so an entry stays
  // right for as long as it is kept.
  const entry& resolve(const std::string& base_url, const std::string& ref);

 private:
  std::unique_ptr<entry[]> entries_{new entry[slots]};
  uint64_t next_generation_ = 0;
};

}  // namespace endure::client
