/*
 * h2.h - one HTTP/2 stream as a byte stream, for WebSocket over HTTP/2
 * (RFC 8441): the session over a rawconn (rawconn.h; over TLS it offers
 * ALPN "h2", over plain TCP it speaks with prior knowledge), the server's
 * SETTINGS awaited and SETTINGS_ENABLE_CONNECT_PROTOCOL required, the
 * extended CONNECT sent on stream 1, the response's fields handed on one
 * by one, then the stream's DATA both ways.
 *
 * Why: libwebsockets 4.1.6 has no RFC 8441 client; nghttp2 does the
 * framing, HPACK and the session's rules, and this shim gives the client
 * connection (conn.c) the same shape rawconn gives it: open, data,
 * writable, closed; write, finish, close.
 *
 * Flow control: the stream's received bytes are acknowledged (WINDOW_UPDATE)
 * only once data() has taken them, so a reader that does not keep up
 * stops the server. Sending: a bounded buffer (h2_write_buf takes what
 * fits; writable() says when there is room again).
 *
 * The trace (rawconn_params.trace) gets each side's SETTINGS as one line
 * ("SETTINGS NAME=value ...") and, when HTTP/2 cannot be had, the cause
 * in its h2_error (the ALPN choice, the SETTINGS that lack the extended
 * CONNECT, a GOAWAY).
 *
 * Lifetime as rawconn's: exactly one closed() ends it (NULL: the server
 * ended the stream and the connection ended cleanly), after which it is
 * freed; h2_close() drops it with no callback.
 *
 * Built only with nghttp2 (meson: WSC_HAVE_NGHTTP2); without it h2none.c
 * stands in and the options refuse --http2.
 */
#ifndef WSC_H2_H
#define WSC_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "rawconn.h"

struct h2;
struct wsc_buf;

struct h2_cb {
	// the server's SETTINGS allow the extended CONNECT: h2_request()
	void (*open)(void *user);
	// one field of the response head, pseudo-fields (":status") first
	void (*field)(void *user, const char *name, size_t nlen,
		const char *value, size_t vlen);
	// the response head is complete; end: the stream ended with it
	void (*head)(void *user, bool end);
	void (*data)(void *user, unsigned char *buf, size_t len);
	void (*writable)(void *user);
	void (*closed)(void *user, const char *why);
	// (optional) the session is up and the server's SETTINGS have not
	// come: h2_request() may go now, which RFC 8441 3 says a client
	// must not do (wsc --check does it deliberately, to see the reply)
	void (*started)(void *user);
};

/* Connect (p as for rawconn_open; its alpn is set here). NULL with why
 * when it failed at once. */
struct h2 *h2_open(struct lws_context *ctx, const struct rawconn_params *p,
		const struct h2_cb *cb, void *user, char *why, size_t size);

/* Send the request on stream 1: text as handshake_write_request_h2()
 * writes it ("name: value" lines, a blank line last). False when it
 * cannot be sent. */
bool h2_request(struct h2 *h, const char *text, size_t len);

/* Queue the stream's bytes past *off in b, as much as fits (*off moves
 * on; b is emptied once all was taken: true then). */
bool h2_write_buf(struct h2 *h, struct wsc_buf *b, size_t *off);

/* Bytes queued and not yet in a DATA frame. */
size_t h2_pending(const struct h2 *h);

/* The server's SETTINGS value id (RFC 9113 6.5.2), or its default. */
uint32_t h2_peer_setting(const struct h2 *h, int32_t id);

/* How the stream ended so far (in closed() too): END_STREAM sent, or
 * received, RST_STREAM received. */
#define H2_END_OURS 1u
#define H2_END_THEIRS 2u
#define H2_END_RST 4u
unsigned h2_ends(const struct h2 *h);

/* As rawconn_set_idle() and rawconn_fd(). */
void h2_set_idle(struct h2 *h, long ms);
int h2_fd(const struct h2 *h);

/* The last byte is queued: once it is sent, END_STREAM and GOAWAY go,
 * then rawconn_finish(ms); closed() is the end. */
void h2_finish(struct h2 *h, long ms);

/* Drop it now; no callback follows. */
void h2_close(struct h2 *h);

#endif
