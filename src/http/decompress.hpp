// http::body_decoder: gzip and deflate (zlib-wrapped or raw) Content-Encoding decoding via zlib,
// streaming or one-shot, with a cap on the bytes kept. Pure: no I/O.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace endure::http {

enum class content_coding { identity, gzip, deflate, unsupported };

// Maps a Content-Encoding value ("gzip", "x-gzip", "deflate", "identity", "" ...) to a coding.
content_coding parse_content_coding(std::string_view value);

// Streaming decoder for one body. Output beyond the cap is counted in total_out() but not kept.
class body_decoder {
 public:
  body_decoder();
  ~body_decoder();
  body_decoder(const body_decoder&) = delete;
  body_decoder& operator=(const body_decoder&) = delete;

  // Starts a new body; coding must be gzip or deflate.
  void reset(content_coding coding);
  // Decodes one piece of the encoded body, appending to out while out.size() < cap.
  // Returns false on corrupt input (error() says "invalid gzip body" / "invalid deflate body").
  bool feed(std::string_view in, std::string& out, uint64_t cap);
  // Call at the end of the body: false when the compressed stream was truncated.
  bool finish(std::string& out, uint64_t cap);
  uint64_t total_out() const { return total_out_; }
  const char* error() const;

 private:
  bool inflate_some(std::string_view in, std::string& out, uint64_t cap);
  bool fail();
  struct zstate;
  std::unique_ptr<zstate> z_;
  content_coding coding_ = content_coding::identity;
  std::string pending_;  // first byte(s) of a deflate body until zlib vs raw is known
  bool started_ = false, ended_ = false, failed_ = false;
  uint64_t total_out_ = 0;
};

struct decoded_body {
  std::string data;        // at most cap bytes
  uint64_t total_out = 0;  // full decoded length
};

// One-shot decode of a complete body.
base::result<decoded_body> decompress(std::string_view body, content_coding coding,
                                      uint64_t cap = UINT64_MAX);

}  // namespace endure::http
