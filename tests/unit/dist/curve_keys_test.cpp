// dist::curve_keys: the cluster's CURVE pairs derived from a secret: deterministic, distinct per
// secret and per role, each public key the one ZeroMQ computes from its secret key; secret files
// read with trailing white space cut, short or missing ones refused.
#include "dist/curve_keys.hpp"

#include <zmq.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace endure::dist {
namespace {

std::string public_of(const std::string& z85_secret) {
  char out[41] = {};
  EXPECT_EQ(zmq_curve_public(out, z85_secret.c_str()), 0);
  return std::string(out, 40);
}

TEST(curve_keys, the_same_secret_gives_the_same_keys_and_another_gives_others) {
  ASSERT_TRUE(has_curve());
  const auto a = derive_curve_keys("0123456789abcdef-one");
  const auto again = derive_curve_keys("0123456789abcdef-one");
  const auto b = derive_curve_keys("0123456789abcdef-two");
  EXPECT_EQ(a.server_secret, again.server_secret);
  EXPECT_EQ(a.client_secret, again.client_secret);
  EXPECT_NE(a.server_secret, b.server_secret);
  EXPECT_NE(a.client_public, b.client_public);
  EXPECT_NE(a.server_secret, a.client_secret);  // the roles' pairs differ
  for (const auto* k : {&a.server_public, &a.server_secret, &a.client_public, &a.client_secret})
    EXPECT_EQ(k->size(), 40u);
  EXPECT_EQ(a.server_public, public_of(a.server_secret));
  EXPECT_EQ(a.client_public, public_of(a.client_secret));
}

class secret_file : public ::testing::Test {
 protected:
  std::string path = (std::filesystem::temp_directory_path() / ("endure_secret_" + std::to_string(::getpid()))).string();
  void write(const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  void TearDown() override { std::remove(path.c_str()); }
};

TEST_F(secret_file, trailing_white_space_does_not_change_the_keys) {
  write("0123456789abcdef-one\r\n \t\n");
  auto k = curve_keys_from_file(path);
  ASSERT_TRUE(k) << k.err().message;
  EXPECT_EQ(k->server_secret, derive_curve_keys("0123456789abcdef-one").server_secret);
}

TEST_F(secret_file, a_short_secret_is_refused_with_how_to_make_one) {
  write("fifteen-bytes!!\n");
  auto k = curve_keys_from_file(path);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.err().code, 2);
  EXPECT_NE(k.err().message.find("holds 15 bytes: a secret needs at least 16"), std::string::npos) << k.err().message;
  EXPECT_NE(k.err().message.find("head -c 32 /dev/urandom | base64"), std::string::npos);
  write("sixteen-bytes!!!");
  EXPECT_TRUE(curve_keys_from_file(path));
}

TEST_F(secret_file, a_missing_file_is_refused) {
  auto k = curve_keys_from_file(path + ".none");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.err().message, "cannot read --cluster-secret-file " + path + ".none");
}

}  // namespace
}  // namespace endure::dist
