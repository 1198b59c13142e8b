#include "support/self_signed_cert.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace endure::test_support {

namespace {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct bio_free {
  void operator()(BIO* p) const { BIO_free(p); }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("make_self_signed_cert: ") + what + " failed");
}

void add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(rc == 1, "X509_add_ext");
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  check(n > 0 && data != nullptr, "BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

self_signed_cert make_self_signed_cert() {
  std::unique_ptr<EVP_PKEY, pkey_free> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  std::unique_ptr<X509, x509_free> cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, 2) == 1, "X509_set_version");  // v3
  unsigned char serial_bytes[8];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "RAND_bytes");
  long serial = 1;
  for (unsigned char b : serial_bytes) serial = (serial << 7) ^ b;
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial < 0 ? -serial : serial) == 1,
        "ASN1_INTEGER_set");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(x, key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  static const unsigned char cn[] = "localhost";
  static const unsigned char org[] = "endure tests";
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, org, -1, -1, 0) == 1, "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1, "CN");
  check(X509_set_issuer_name(x, name) == 1, "X509_set_issuer_name");
  add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_ext(x, NID_ext_key_usage, "serverAuth");
  add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  add_ext(x, NID_subject_key_identifier, "hash");
  check(X509_sign(x, key.get(), EVP_sha256()) > 0, "X509_sign");

  self_signed_cert out;
  {
    std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
    check(bio && PEM_write_bio_X509(bio.get(), x) == 1, "PEM_write_bio_X509");
    out.cert_pem = bio_string(bio.get());
  }
  {
    std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
    check(bio && PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                          nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    out.key_pem = bio_string(bio.get());
  }
  return out;
}

}  // namespace endure::test_support
