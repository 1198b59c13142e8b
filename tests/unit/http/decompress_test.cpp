#include "http/decompress.hpp"

#include <gtest/gtest.h>

#include "test_zlib.hpp"

namespace endure::http {
namespace {

std::string sample() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += static_cast<char>('a' + (i * 7) % 26);
  return s;
}

TEST(decompress, round_trips_gzip_zlib_and_raw_deflate) {
  const std::string text = sample();
  auto gz = decompress(testing::compress(text, 15 + 16), content_coding::gzip);
  ASSERT_TRUE(gz.ok()) << gz.err().message;
  EXPECT_EQ(gz->data, text);
  EXPECT_EQ(gz->total_out, text.size());
  auto z = decompress(testing::compress(text, 15), content_coding::deflate);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->data, text);
  auto raw = decompress(testing::compress(text, -15), content_coding::deflate);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->data, text);
}

TEST(decompress, caps_output_but_counts_it) {
  const std::string text = sample();
  auto gz = decompress(testing::compress(text, 15 + 16), content_coding::gzip, 100);
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(gz->data, text.substr(0, 100));
  EXPECT_EQ(gz->total_out, text.size());
}

TEST(decompress, streaming_feed_in_small_pieces) {
  const std::string text = sample();
  for (int bits : {15 + 16, 15, -15}) {
    std::string packed = testing::compress(text, bits);
    body_decoder d;
    d.reset(bits == 15 + 16 ? content_coding::gzip : content_coding::deflate);
    std::string out;
    for (size_t i = 0; i < packed.size(); i += 3)
      ASSERT_TRUE(d.feed(std::string_view(packed).substr(i, 3), out, UINT64_MAX));
    ASSERT_TRUE(d.finish(out, UINT64_MAX));
    EXPECT_EQ(out, text) << bits;
  }
}

TEST(decompress, errors) {
  auto bad = decompress("definitely not gzip", content_coding::gzip);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().message, "invalid gzip body");
  std::string packed = testing::compress(sample(), 15 + 16);
  auto truncated = decompress(std::string_view(packed).substr(0, packed.size() / 2),
                              content_coding::gzip);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.err().message, "invalid gzip body");
  EXPECT_EQ(decompress("\xff\xff\xff", content_coding::deflate).err().message,
            "invalid deflate body");
}

TEST(decompress, coding_names) {
  EXPECT_EQ(parse_content_coding("GZIP"), content_coding::gzip);
  EXPECT_EQ(parse_content_coding("x-gzip"), content_coding::gzip);
  EXPECT_EQ(parse_content_coding(" deflate "), content_coding::deflate);
  EXPECT_EQ(parse_content_coding(""), content_coding::identity);
  EXPECT_EQ(parse_content_coding("br"), content_coding::unsupported);
}

}  // namespace
}  // namespace endure::http
