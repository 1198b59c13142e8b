// client::tls: see tls.hpp.
#include "client/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <arpa/inet.h>

#include <cerrno>

#include "client/error.hpp"
#include "client/socket_io.hpp"

namespace endure::client {

namespace {

// The BIO: OpenSSL's reads and writes go straight to socket_io, so the readiness it remembers
// is the same for TLS as for plain TCP, and a drained socket costs no syscall at all.
int bio_read(BIO* b, char* out, int len) {
  BIO_clear_retry_flags(b);
  auto* io = static_cast<socket_io*>(BIO_get_data(b));
  ssize_t n = io->recv(out, static_cast<size_t>(len));
  if (n >= 0) return static_cast<int>(n);  // 0: EOF (OpenSSL tells a close_notify apart)
  if (n == socket_io::would_block) BIO_set_retry_read(b);
  return -1;
}

int bio_write(BIO* b, const char* in, int len) {
  BIO_clear_retry_flags(b);
  auto* io = static_cast<socket_io*>(BIO_get_data(b));
  ssize_t n = io->send(in, static_cast<size_t>(len));
  if (n >= 0) return static_cast<int>(n);
  if (n == socket_io::would_block) BIO_set_retry_write(b);
  return -1;
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:  // writes are never buffered here
      return 1;
    case BIO_CTRL_EOF:
      return static_cast<socket_io*>(BIO_get_data(b))->eof ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socket_io_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "endure socket_io");
    if (m == nullptr) return m;
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

ssl_ctx_st* make_context(bool verify) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return nullptr;
  if (verify) {
    SSL_CTX_set_default_verify_paths(ctx);  // a missing CA store shows as a verify failure
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  // Partial writes: a request goes out record by record as the socket takes it, like a plain
  // one. Read-ahead: one recv takes whatever the socket holds (a response is usually one
  // record) instead of a 5-byte header and then the rest. Buffers are kept between requests
  // (no SSL_MODE_RELEASE_BUFFERS): a warm connection allocates nothing per request.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  ERR_clear_error();  // a missing CA store leaves errors that SSL_get_error would misread
  return ctx;
}

std::string reason_of(unsigned long e) {
  const char* reason = ERR_reason_error_string(e);
  if (reason != nullptr) return reason;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

tls_contexts::~tls_contexts() {
  SSL_CTX_free(verify_);
  SSL_CTX_free(no_verify_);
}

ssl_ctx_st* tls_contexts::get(bool verify) {
  ssl_ctx_st*& ctx = verify ? verify_ : no_verify_;
  if (ctx == nullptr) ctx = make_context(verify);
  return ctx;
}

ssl_st* make_client_ssl(ssl_ctx_st* ctx, socket_io& io, const std::string& host, bool verify) {
  const BIO_METHOD* method = socket_io_method();
  if (ctx == nullptr || method == nullptr) return nullptr;
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, &io);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO (one reference for both directions)
  unsigned char ip[16];
  const bool literal = ::inet_pton(AF_INET, host.c_str(), ip) == 1 ||
                       ::inet_pton(AF_INET6, host.c_str(), ip) == 1;
  if (!literal)  // SNI takes names only (SSL_set_tlsext_host_name's macro casts old-style)
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  if (verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (literal)
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  SSL_set_connect_state(ssl);
  ERR_clear_error();
  return ssl;
}

std::string handshake_failure(ssl_st* ssl, const socket_io& io, bool verify) {
  std::string reason;
  const long v = verify ? SSL_get_verify_result(ssl) : X509_V_OK;
  const unsigned long e = ERR_peek_error();
  if (v != X509_V_OK)
    reason = std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  else if (io.eof)  // OpenSSL 3 reports it as an SSL error ("unexpected eof while reading")
    reason = "unexpected EOF during handshake";
  else if (io.error == ECONNRESET)
    reason = "connection reset during handshake";
  else if (e != 0)
    reason = reason_of(e);
  else if (io.error != 0)
    reason = errno_detail(io.error);
  else
    reason = "handshake failed";
  ERR_clear_error();
  return reason;
}

std::string tls_failure() {
  const unsigned long e = ERR_peek_error();
  std::string reason = e != 0 ? reason_of(e) : std::string("TLS failure");
  ERR_clear_error();
  return reason;
}

}  // namespace endure::client
