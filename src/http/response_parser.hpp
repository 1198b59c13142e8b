// http::response_parser: incremental HTTP/1.0 and 1.1 response parser fed arbitrary splits of the
// byte stream (status line, headers, 1xx skipping, Content-Length / chunked / close-delimited
// framing, gzip/deflate decoding, keep-alive decision). Pure: it never reads a socket itself.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "http/decompress.hpp"
#include "http/fields.hpp"

namespace endure::http {

struct parser_options {
  bool head_request = false;              // response to HEAD: never a body
  uint64_t max_body_bytes = 64ull << 20;  // body bytes kept; the rest are counted only
  size_t max_header_bytes = 64 << 10;     // status line + headers (and trailers), per response
  bool decode_content = true;             // decode gzip/deflate Content-Encoding into body()
};

class response_parser {
 public:
  // Error messages (error()) are stable strings:
  static constexpr std::string_view err_status_line = "invalid status line";
  static constexpr std::string_view err_header = "invalid header";
  static constexpr std::string_view err_headers_too_large = "headers too large";
  static constexpr std::string_view err_chunked = "invalid chunked encoding";
  static constexpr std::string_view err_content_length = "invalid content-length";
  static constexpr std::string_view err_premature_eof =
      "connection closed before the response was complete";

  response_parser() = default;
  // Prepares for a new response; keeps buffer capacity.
  void reset(const parser_options& options);

  // Consumes bytes and returns how many were used. Stops at the end of the response (extra
  // bytes are left unconsumed) or at an error. Call until done() or failed().
  size_t feed(std::string_view data);
  // The peer closed the connection: completes a close-delimited body, else fails.
  void on_eof();

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }
  bool headers_complete() const { return state_ > state::headers; }
  // At least one byte of this response (including skipped 1xx responses) was fed.
  bool received_any() const { return received_any_; }
  std::string_view error() const { return error_; }

  int status() const { return status_; }
  int version_minor() const { return version_minor_; }  // 0 or 1 (HTTP/1.x)
  const std::string& reason() const { return reason_; }
  // The head's fields as received (names and values are views into one copy of the head).
  const raw_fields& headers() const { return headers_; }
  raw_fields& headers() { return headers_; }
  // Whether the head had a Set-Cookie field; the index of its first Location field, or npos.
  bool has_set_cookie() const { return set_cookie_; }
  size_t location_index() const { return location_; }
  // Body as kept (decoded when decode_content and the coding is gzip/deflate).
  std::string& body() { return body_; }
  // Full (decoded) body length, also counting bytes beyond max_body_bytes.
  uint64_t body_bytes() const { return body_bytes_; }
  // Encoded bytes received on the wire for the body.
  uint64_t wire_body_bytes() const { return wire_body_bytes_; }
  // Whether the connection can carry another request after this response.
  bool keep_alive() const { return keep_alive_; }

 private:
  enum class state { headers, body_length, body_chunked, body_close, done, failed };
  enum class chunk_state { size_line, data, data_crlf, trailers };

  size_t fail(std::string_view message);
  size_t feed_headers(std::string_view data);
  struct framing_fields;
  // Parses the head at the start of block (whose last byte must be '\n'); a final response
  // also gets its framing, a 1xx one is skipped (state stays headers). Returns the head's
  // length, or npos when block ends before the head does (nothing decided); on an error the
  // state is failed.
  size_t parse_head(std::string_view block);
  bool parse_status_line(std::string_view line);
  void choose_framing(const framing_fields& ff);
  void on_body_bytes(std::string_view bytes);
  void finish();
  size_t feed_chunked(std::string_view data);
  bool parse_chunk_size(std::string_view line);

  parser_options options_;
  state state_ = state::headers;
  std::string error_;
  bool received_any_ = false;

  std::string head_buf_;     // bytes of the head being accumulated
  size_t head_scan_ = 0;     // where to resume looking for the end of the head
  size_t head_total_ = 0;    // head bytes of this response, including skipped 1xx heads

  int status_ = 0;
  int version_minor_ = 1;
  std::string reason_;
  raw_fields headers_;
  bool set_cookie_ = false;
  size_t location_ = std::string::npos;
  bool keep_alive_ = true;

  uint64_t remaining_ = 0;   // Content-Length left, or chunk data left
  chunk_state chunk_ = chunk_state::size_line;
  std::string line_;         // chunk-size or trailer line being accumulated
  size_t trailer_bytes_ = 0;

  std::string body_;
  uint64_t body_bytes_ = 0;
  uint64_t wire_body_bytes_ = 0;
  content_coding coding_ = content_coding::identity;
  body_decoder decoder_;
};

}  // namespace endure::http
