/*
 * tls.h - wsc's TLS engine: OpenSSL over memory, no socket of its own.
 *
 * Design. libwebsockets 4.1.6 cannot run TLS on a raw client socket, so wsc
 * does TLS itself over lws's raw transport. The engine never touches a file
 * descriptor: ciphertext goes in with tls_feed() (what RAW_RX delivered)
 * and comes out through tls_out()/tls_out_done() (the caller send()s it).
 * Between the two sits an OpenSSL BIO pair with a fixed size each way, so
 * memory is bounded by construction: tls_feed() takes only what fits,
 * tls_write() takes only as much plaintext as its ciphertext can fit in the
 * out-buffer (0 when full: send first), and the caller keeps the rest -
 * that is the back-pressure. tls_read() decrypts record after record into
 * the caller's buffer (up to its whole size, 64 KiB and more per call).
 * A tls_ctx holds the session's settings; the OpenSSL context (store, CA,
 * client certificate: ~20 ms, ~4 MiB) is built by the first tls_conn_new(),
 * so a session that never dials wss:// never pays for it. Verification: the
 * system store (or --ca), the chain, then the host through tlsconf's check
 * (IP literals against IP SANs, names against DNS SANs); SNI is sent for
 * names only (RFC 6066: never for literals); -k verifies nothing. Every
 * failure leaves one cause in tls_error(), worded as wsc words it after
 * "TLS handshake failed: " (OpenSSL's verify strings: "self-signed
 * certificate", "certificate has expired", "hostname mismatch", ...; a
 * host mismatch also lists the names the certificate holds), and its kind
 * in tls_fault().
 * A server mode (certificate, key, optional client CA) lets the unit
 * tests run both ends of a TLS handshake in memory; --listen serves plain
 * ws:// and does not use it.
 *
 * Driving it (one connection, non-blocking socket fd):
 *   on RAW_RX (buf, len): while len: n = tls_feed(c, buf, len); buf += n,
 *       len -= n; then tls_read(c, plain, 64 KiB+) until it returns 0 and
 *       hand the plaintext on (if it cannot be handed on, stop feeding:
 *       keep the rest of buf and stop reading the socket);
 *   until tls_handshake(c) == 1, after each feed: call it again;
 *   to send: tls_write(c, data, len) takes what fits, keep the rest;
 *   after any call: while (p = tls_out(c, &n)) send(fd, p, n) and
 *       tls_out_done(c, sent); if send() would block, wait for POLLOUT
 *       (lws_callback_on_writable) and do it again there;
 *   on the socket's end: tls_feed_eof(c); tls_read then gives TLS_EOF.
 */
#ifndef WSC_TLS_H
#define WSC_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_opts {
	const char *ca;		// --ca FILE, or NULL for the system store
	const char *cert, *key;	// client certificate (server: its own)
	bool insecure;		// -k: no verification at all
	bool server;		// server side: cert and key required
	const char *client_ca;	// server side: require a client cert from it
	size_t in_cap, out_cap;	// ciphertext buffers (0: TLS_BUF_DEFAULT)
};

#define TLS_BUF_DEFAULT (128 * 1024)
#define TLS_BUF_MIN (20 * 1024)	// one full record and its overhead

struct tls_ctx;
struct tls_conn;

/* Cheap: copies opts, touches no OpenSSL. NULL only when out of memory. */
struct tls_ctx *tls_ctx_new(const struct tls_opts *opts);
void tls_ctx_free(struct tls_ctx *ctx);
/* Whether the OpenSSL context has been built (by a first tls_conn_new). */
bool tls_ctx_loaded(const struct tls_ctx *ctx);

/* A connection. Client: host as in the URL or Host header ("name",
 * "1.2.3.4", "::1", "[::1]", with or without ":port"). Server: host NULL.
 * NULL on failure with the cause in why (a file that cannot be loaded:
 * "--ca FILE: reason"). */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, const char *host,
	char *why, size_t size);
void tls_conn_free(struct tls_conn *conn);

/* Ciphertext in: takes up to len bytes (what fits), returns how many. */
size_t tls_feed(struct tls_conn *conn, const void *buf, size_t len);
/* The transport ended (after the last tls_feed). */
void tls_feed_eof(struct tls_conn *conn);

/* Ciphertext out: *len bytes at the returned pointer (NULL, 0 when none),
 * which the caller sends, then reports with tls_out_done(n) (n <= *len).
 * tls_out_pending() is the total (it may take two tls_out() calls). */
const void *tls_out(struct tls_conn *conn, size_t *len);
void tls_out_done(struct tls_conn *conn, size_t n);
size_t tls_out_pending(const struct tls_conn *conn);

enum {
	TLS_ERROR = -1,	// failed: the cause is in tls_error()
	TLS_EOF = -2,	// peer sent close_notify, or the transport ended
};

/* 1 done, 0 in progress (send tls_out, feed more), TLS_ERROR. */
int tls_handshake(struct tls_conn *conn);
/* Plaintext out into buf: > 0 bytes, 0 none for now (feed more), TLS_EOF,
 * TLS_ERROR. Runs the handshake first if it is not done. */
ssize_t tls_read(struct tls_conn *conn, void *buf, size_t size);
/* Plaintext in: bytes taken (0 when the out-buffer is full or the
 * handshake is not done), TLS_ERROR. Never takes more than can be sent. */
ssize_t tls_write(struct tls_conn *conn, const void *buf, size_t len);
/* Queues a close_notify (once). 0, or TLS_ERROR. */
int tls_close(struct tls_conn *conn);

/* The cause of the last failure ("" if none). */
const char *tls_error(const struct tls_conn *conn);

/* What kind of failure that cause is, for the advice that goes with it. */
enum tls_fault {
	TLS_FAULT_OTHER,	// none, or one no option of wsc's changes
	TLS_FAULT_TRUST,	// the chain is not trusted (--ca, -k)
	TLS_FAULT_HOST,		// the certificate is for other names
	TLS_FAULT_NOT_TLS,	// the peer answered with something else
	TLS_FAULT_PLAIN_HTTP,	// the peer answered in plain HTTP
};
enum tls_fault tls_fault(const struct tls_conn *conn);
/* Whether the peer's close_notify came (TLS_EOF clean, not truncated). */
bool tls_close_notify_seen(const struct tls_conn *conn);
/* Server side: the SNI host name the client sent, NULL if none. */
const char *tls_servername(const struct tls_conn *conn);
/* The negotiated protocol ("TLSv1.3"). */
const char *tls_version(const struct tls_conn *conn);
/* Client: offer ALPN protocols, a comma list ("h2,http/1.1"), before the
 * handshake. False when the list cannot be encoded. */
bool tls_conn_set_alpn(struct tls_conn *conn, const char *list);
/* Client, after the handshake: the protocol the server chose by ALPN, ""
 * when it chose none. */
const char *tls_alpn(struct tls_conn *conn);
/* The OpenSSL SSL object, for tests and diagnostics. */
void *tls_conn_ssl(struct tls_conn *conn);

#endif
