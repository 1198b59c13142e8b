// client::tls: OpenSSL for the client's connections: a transport's client contexts (verifying
// and not, made on first use), a BIO through which TLS reads and writes the connection's own
// socket (client::socket_io), so TLS takes the same edge-triggered path as plain TCP, and the
// reason text of a TLS failure. OpenSSL stays in the .cpp.
#pragma once
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace endure::client {

struct socket_io;

class tls_contexts {
 public:
  tls_contexts() = default;
  ~tls_contexts();
  tls_contexts(const tls_contexts&) = delete;
  tls_contexts& operator=(const tls_contexts&) = delete;

  // Loading the system's CA store costs tens of milliseconds of CPU, which a plain-HTTP run
  // never needs: each context is made by the first connection that uses it. nullptr when
  // OpenSSL cannot make one (out of memory).
  ssl_ctx_st* get(bool verify);

 private:
  ssl_ctx_st* verify_ = nullptr;
  ssl_ctx_st* no_verify_ = nullptr;
};

// A client SSL that reads and writes io's socket, with SNI for a host name and, when the context
// verifies, the certificate checked against host (a name or an IP literal). nullptr on failure.
ssl_st* make_client_ssl(ssl_ctx_st* ctx, socket_io& io, const std::string& host, bool verify);

// Why a handshake failed, after SSL_do_handshake returned ret: the certificate check first,
// then what the socket saw (EOF, reset), then OpenSSL's reason. Empties the error queue.
std::string handshake_failure(ssl_st* ssl, const socket_io& io, bool verify);

// Why a read or write failed with SSL_ERROR_SSL (OpenSSL's reason). Empties the error queue.
std::string tls_failure();

}  // namespace endure::client
