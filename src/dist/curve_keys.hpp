// dist::curve_keys: the CURVE key pairs of a cluster, derived from one shared secret (the
// --cluster-secret-file), so that a master and its workers need nothing else. Pure: no sockets.
#pragma once
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace endure::dist {

// Z85 texts of 40 characters (ZeroMQ's curve options). The master is the CURVE server; every
// worker uses the one client pair, which the master's ZAP handler requires.
struct curve_keys {
  std::string server_public, server_secret;
  std::string client_public, client_secret;
};

// The shortest secret accepted, in bytes (after trailing white space is cut).
inline constexpr size_t min_secret_bytes = 16;

// SHA-256 of a label and the secret, one per role, as Curve25519 secret keys.
curve_keys derive_curve_keys(std::string_view secret);
// The file's contents (trailing white space cut, so `echo` and editors do not matter) -> keys.
// Errors (exit code 2): unreadable, empty or shorter than min_secret_bytes.
base::result<curve_keys> curve_keys_from_file(const std::string& path);
// libzmq was built with CURVE (Debian's is).
bool has_curve();

}  // namespace endure::dist
