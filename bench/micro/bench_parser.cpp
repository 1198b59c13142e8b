// Microbenchmarks for http::response_parser on typical responses (Content-Length and chunked),
// fed whole and in small segments. Reports bytes/s; asserts only that parsing succeeded.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/response_parser.hpp"

namespace {

std::string json_body(size_t approx_bytes) {
  std::string body = "{\"products\":[";
  for (int i = 0; body.size() + 64 < approx_bytes; ++i) {
    if (i > 0) body += ',';
    body += "{\"id\":" + std::to_string(i) + ",\"name\":\"product " + std::to_string(i) +
            "\",\"price\":19.99}";
  }
  body += "]}";
  return body;
}

std::string content_length_response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.22.1\r\n"
         "Date: Thu, 27 Nov 2025 21:00:00 GMT\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) +
         "\r\n"
         "Connection: keep-alive\r\n"
         "Cache-Control: no-cache\r\n"
         "\r\n" +
         body;
}

std::string chunked_response(const std::string& body, size_t chunk_bytes) {
  std::string out =
      "HTTP/1.1 200 OK\r\n"
      "Server: demo\r\n"
      "Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n";
  char size_hex[32];
  for (size_t pos = 0; pos < body.size(); pos += chunk_bytes) {
    const std::string_view piece = std::string_view(body).substr(pos, chunk_bytes);
    std::snprintf(size_hex, sizeof(size_hex), "%zx\r\n", piece.size());
    out += size_hex;
    out += piece;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

// Parses `wire` repeatedly, feeding `segment_bytes` at a time (0: all at once).
void parse_loop(benchmark::State& state, const std::string& wire, size_t segment_bytes) {
  endure::http::response_parser parser;
  const endure::http::parser_options options{};
  for (auto _ : state) {
    parser.reset(options);
    std::string_view rest(wire);
    while (!rest.empty() && !parser.done() && !parser.failed()) {
      const std::string_view piece = segment_bytes == 0 ? rest : rest.substr(0, segment_bytes);
      const size_t used = parser.feed(piece);
      rest.remove_prefix(used);
      if (used == 0 && !parser.done()) break;
    }
    if (!parser.done()) {
      state.SkipWithError("response did not parse");
      return;
    }
    benchmark::DoNotOptimize(parser.body().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void bm_parse_content_length_small(benchmark::State& state) {
  static const std::string wire = content_length_response("Hello, world!");
  parse_loop(state, wire, 0);
}
BENCHMARK(bm_parse_content_length_small);

void bm_parse_content_length_1k(benchmark::State& state) {
  static const std::string wire = content_length_response(json_body(1024));
  parse_loop(state, wire, static_cast<size_t>(state.range(0)));
}
BENCHMARK(bm_parse_content_length_1k)->Arg(0)->Arg(512);

void bm_parse_content_length_64k(benchmark::State& state) {
  static const std::string wire = content_length_response(json_body(64 * 1024));
  parse_loop(state, wire, 16 * 1024);
}
BENCHMARK(bm_parse_content_length_64k);

void bm_parse_chunked_1k(benchmark::State& state) {
  static const std::string wire = chunked_response(json_body(1024), 256);
  parse_loop(state, wire, static_cast<size_t>(state.range(0)));
}
BENCHMARK(bm_parse_chunked_1k)->Arg(0)->Arg(512);

void bm_parse_chunked_64k(benchmark::State& state) {
  static const std::string wire = chunked_response(json_body(64 * 1024), 4096);
  parse_loop(state, wire, 16 * 1024);
}
BENCHMARK(bm_parse_chunked_64k);

}  // namespace

BENCHMARK_MAIN();
