// server::request_parser: incremental HTTP/1.1 request parsing (request line, headers,
// Content-Length and chunked bodies, size limits). Pure: no sockets, no clocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/message.hpp"

namespace endure::server {

class request_parser {
 public:
  enum class status {
    need_more,         // feed more bytes
    done,              // `out` holds a complete request
    bad_request,       // malformed: answer 400 and close
    header_too_large,  // header block beyond max_header_bytes: 400 and close
    body_too_large,    // body beyond max_body_bytes: 413 and close
  };

  request_parser(std::size_t max_header_bytes, std::size_t max_body_bytes)
      : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {}

  // Parses from `data` (the unconsumed bytes received so far, starting where the previous call's
  // `consumed` ended). Sets `consumed` to how many bytes of `data` it used; the caller drops them.
  // Bytes of the header block are not consumed until the whole block is there.
  status parse(std::string_view data, std::size_t& consumed, request& out);

  // After `done` (or to start over): ready for the next request.
  void reset();

  // True after the header block was parsed and the client sent "Expect: 100-continue".
  bool expects_continue() const { return expect_continue_; }
  bool in_body() const { return phase_ != phase::head; }

 private:
  enum class phase { head, length_body, chunk_size, chunk_data, chunk_data_end, trailers };

  status parse_head(std::string_view head, request& out);

  std::size_t max_header_bytes_;
  std::size_t max_body_bytes_;
  phase phase_ = phase::head;
  std::size_t scanned_ = 0;     // bytes of the header block already searched for CRLFCRLF
  uint64_t remaining_ = 0;      // body or chunk bytes still expected
  bool expect_continue_ = false;
};

}  // namespace endure::server
