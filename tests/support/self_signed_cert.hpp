// test_support::make_self_signed_cert: a throwaway certificate for 127.0.0.1 and localhost, made
// at run time with OpenSSL so no key material lives in the repository. For tests only.
#pragma once
#include <string>

namespace endure::test_support {

struct self_signed_cert {
  std::string cert_pem;  // X.509 certificate, also the trust anchor clients should load
  std::string key_pem;   // its private key (EC P-256, PKCS#8 PEM)
};

// Valid from one hour ago for 30 days; subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1.
// Throws std::runtime_error if OpenSSL fails.
self_signed_cert make_self_signed_cert();

}  // namespace endure::test_support
