/*
 * rawconn.h - one client byte stream over libwebsockets' raw transport:
 * TCP (every address of the name raced, dial.h) or a Unix socket,
 * optionally an HTTP CONNECT tunnel (written here),
 * optionally TLS by wsc's own engine (tls.h), a bounded write buffer sent
 * with send() on the socket (never lws_write, which in lws 4.1.6 takes any
 * size, sends one chunk and copies the rest into a list of its own,
 * unbounded), and a time limit that counts silence.
 *
 * Why: lws 4.1.6 cannot run TLS on a raw client and stops reading while
 * its own output list holds data; wsc frames its own bytes.
 * Callers: the client connection (conn.c) and --check (check.c).
 *
 * The context must list rawconn_protocol. Callbacks run from lws_service();
 * after closed() the connection is gone (freed here); rawconn_close() ends
 * it from the caller's side with no callback at all; rawconn_finish() ends
 * it politely: the peer closes first, and no reset reaches it.
 */
#ifndef WSC_RAWCONN_H
#define WSC_RAWCONN_H

#include <stdbool.h>
#include <stddef.h>

#include <libwebsockets.h>

struct tls_ctx;
struct rawconn;
struct wsc_trace;

struct rawconn_params {
	const char *host;       // name or address (IPv6 without brackets)
	int port;
	const char *unix_socket;        // a path: connect there instead
	const char *proxy;      // "host:port" of an HTTP CONNECT proxy, or NULL
	struct tls_ctx *tls;    // TLS over the stream, or NULL
	const char *tls_host;   // the host to verify and send as SNI
	const char *alpn;       // TLS: offer these protocols (a comma list)
	long connect_ms;        // limit on silence until open() (0: none)
	// or NULL: gets the CONNECT exchange, TCP and TLS times, and the
	// cause of a failure to resolve, connect or do TLS (trace.h)
	struct wsc_trace *trace;
};

struct rawconn_cb {
	// ready: TCP, tunnel and TLS done (it may come before rawconn_open()
	// returns: a Unix socket connects at once)
	void (*open)(void *user, struct rawconn *c);
	// bytes received (plaintext); buf may be changed in place
	void (*data)(void *user, unsigned char *buf, size_t len);
	void (*writable)(void *user);   // the write buffer has room again
	// the end: why NULL when the peer closed, else what went wrong
	// ("connection refused", "timeout: 5 s without data", TLS cause...)
	void (*closed)(void *user, const char *why);
};

extern const struct lws_protocols rawconn_protocol;

/* Start connecting. NULL with why when it failed at once. */
struct rawconn *rawconn_open(struct lws_context *ctx,
		const struct rawconn_params *p, const struct rawconn_cb *cb,
		void *user, char *why, size_t size);

/* Queue bytes: returns how many were taken (0 when the buffer is full:
 * wait for writable()). */
size_t rawconn_write(struct rawconn *c, const void *buf, size_t len);

/* Queue what b holds past *off, as much as is taken (*off moves on); b
 * is emptied once all of it was taken. True then. */
struct wsc_buf;
bool rawconn_write_buf(struct rawconn *c, struct wsc_buf *b, size_t *off);

/* Bytes queued and not yet handed to the kernel. */
size_t rawconn_pending(const struct rawconn *c);

/* After open(): closed("timeout: ...") when ms pass with nothing read and
 * nothing sent; 0 turns it off. */
void rawconn_set_idle(struct rawconn *c, long ms);

/* The protocol the TLS server chose by ALPN ("" when none or no TLS). */
const char *rawconn_alpn(struct rawconn *c);

/* The socket, for ioctl(FIONREAD, SIOCOUTQ) (-1 before it exists). */
int rawconn_fd(const struct rawconn *c);

/*
 * The last byte is written: once what is queued has gone to the kernel
 * (over TLS after a close_notify), shut down the sending side, then read
 * and discard until the peer closes, ms pass with nothing read (0: no
 * limit), or RAWCONN_DISCARD_MAX bytes were discarded; then closed(NULL)
 * (closed(why) if sending failed). No data() or writable() follows.
 * Why: a socket closed with unread bytes makes the kernel send a reset,
 * and a reset loses what the peer had not read yet, the last bytes sent
 * included.
 */
#define RAWCONN_DISCARD_MAX (16 * 1024 * 1024)
void rawconn_finish(struct rawconn *c, long ms);

/* Drop the connection now; no callback follows. */
void rawconn_close(struct rawconn *c);

#endif
