// Fuzz target: server::request_parser, the bytes of one keep-alive connection in arbitrary pieces
// (pipelined requests, chunked bodies, limits), driven the way http_server drives it.
#include <string>

#include "fuzz/fuzz_util.hpp"
#include "server/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const uint8_t flags = endure::fuzz::take_byte(data);
  using status = endure::server::request_parser::status;
  endure::server::request_parser p((flags & 1) ? 128 : 8192, (flags & 2) ? 16 : 65536);
  endure::server::request req;
  std::string pending;
  for (size_t i = 0; !data.empty(); ++i) {
    size_t n = std::min(data.size(), endure::fuzz::piece_size(i, flags >> 2));
    pending.append(data.substr(0, n));
    data.remove_prefix(n);
    while (true) {
      size_t consumed = 0;
      status s = p.parse(pending, consumed, req);
      ENDURE_FUZZ_CHECK(consumed <= pending.size());
      pending.erase(0, consumed);
      if (s == status::done) {
        ENDURE_FUZZ_CHECK(!req.method.empty());
        p.reset();
        req.clear();
        continue;
      }
      if (s != status::need_more) return 0;  // the server answers 400/413 and closes
      break;
    }
  }
  return 0;
}
