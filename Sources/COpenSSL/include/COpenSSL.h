// OpenSSL 3 for Swift: the headers, plus functions for what OpenSSL exposes only as macros.
#ifndef COPENSSL_H
#define COPENSSL_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

int copenssl_ctx_set_min_version(SSL_CTX *ctx, int version);
int copenssl_ctx_set_max_version(SSL_CTX *ctx, int version);
long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode);
long copenssl_ctx_set_options(SSL_CTX *ctx, long options);
int copenssl_ctx_set_groups_list(SSL_CTX *ctx, const char *list);
int copenssl_set_tlsext_host_name(SSL *ssl, const char *name);
long copenssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode);
void copenssl_ctx_set_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *), void *arg);
int copenssl_ctx_set_chain_cert(SSL_CTX *ctx, X509 *x509);
int copenssl_bio_get_mem(BIO *bio, const char **data);

static const int COPENSSL_TLS1_VERSION = TLS1_VERSION;
static const int COPENSSL_TLS1_1_VERSION = TLS1_1_VERSION;
static const int COPENSSL_TLS1_2_VERSION = TLS1_2_VERSION;
static const int COPENSSL_TLS1_3_VERSION = TLS1_3_VERSION;
static const long COPENSSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long COPENSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long COPENSSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
static const long COPENSSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const long COPENSSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const long COPENSSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const long COPENSSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const int COPENSSL_TLSEXT_ERR_OK = SSL_TLSEXT_ERR_OK;
static const int COPENSSL_TLSEXT_ERR_NOACK = SSL_TLSEXT_ERR_NOACK;
static const int COPENSSL_TLSEXT_ERR_ALERT_FATAL = SSL_TLSEXT_ERR_ALERT_FATAL;
static const int COPENSSL_TLSEXT_NAMETYPE_host_name = TLSEXT_NAMETYPE_host_name;
// Appended for EventLoop/TLS.
long copenssl_ctx_set_dh_auto(SSL_CTX *ctx, int onoff);
// Appended for JWT (Gateway/Auth): EVP_PKEY_fromdata's selection is a macro expression Swift cannot import.
static const int COPENSSL_EVP_PKEY_PUBLIC_KEY = EVP_PKEY_PUBLIC_KEY;
#endif
