#include "dist/curve_keys.hpp"

#include <openssl/evp.h>
#include <zmq.h>

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

namespace endure::dist {
namespace {

std::string z85_secret_of(std::string_view label, std::string_view secret) {
  std::string input(label);
  input.push_back('\0');
  input.append(secret);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md.data(), &len, EVP_sha256(), nullptr);
  std::array<char, 41> z85{};
  zmq_z85_encode(z85.data(), md.data(), 32);
  return std::string(z85.data(), 40);
}

std::string z85_public_of(const std::string& z85_secret) {
  std::array<char, 41> pub{};
  if (zmq_curve_public(pub.data(), z85_secret.c_str()) != 0) return {};
  return std::string(pub.data(), 40);
}

}  // namespace

curve_keys derive_curve_keys(std::string_view secret) {
  curve_keys k;
  // Distinct labels: the two pairs share nothing but their origin.
  k.server_secret = z85_secret_of("endure cluster master v1", secret);
  k.client_secret = z85_secret_of("endure cluster worker v1", secret);
  k.server_public = z85_public_of(k.server_secret);
  k.client_public = z85_public_of(k.client_secret);
  return k;
}

base::result<curve_keys> curve_keys_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::make_error("cannot read --cluster-secret-file " + path);
  std::ostringstream all;
  all << in.rdbuf();
  std::string secret = all.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
  if (secret.size() < min_secret_bytes)
    return base::make_error("--cluster-secret-file " + path + " holds " + std::to_string(secret.size()) +
                            " bytes: a secret needs at least " + std::to_string(min_secret_bytes) +
                            " (make one with: head -c 32 /dev/urandom | base64 > " + path + ")");
  if (!has_curve()) return base::make_error("--cluster-secret-file: this libzmq has no CURVE support");
  return derive_curve_keys(secret);
}

bool has_curve() { return zmq_has("curve") != 0; }

}  // namespace endure::dist
