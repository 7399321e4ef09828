/*
 * conn.h - one client WebSocket connection, spoken by wsc itself over a
 * rawconn (rawconn.h): the Upgrade request (handshake.h), the response
 * head (httphead.h) and its verdict, frames both ways (frame.h, masked
 * with pooled keys), permessage-deflate (deflate.h), Pongs for the
 * server's Pings, and the trace of the handshake (trace.h).
 *
 * With http2 the same connection runs in one HTTP/2 stream (h2.h, RFC
 * 8441): the extended CONNECT instead of the Upgrade, a 200 instead of the
 * 101; the frames are the same.
 *
 * Why: libwebsockets 4.1.6's WebSocket client role parses one byte per
 * call, sends three system calls per frame and hides what crossed the
 * wire; here lws is only the transport.
 *
 * What it does not do: decide when to close, reconnect, follow redirects
 * or print. The client endpoint (client.h) owns those: it queues frames
 * through conn_frame(), is told of each message span, control frame and
 * fault, and answers a fault with its own Close (conn never closes on its
 * own, except for the Pong it owes).
 *
 * Messages (message.h): streamed span by span to begin/data/end, unless
 * max_size is set: then each message is held (at most max_size bytes,
 * inflated) and handed on whole at its end, so a message that turns out
 * too big prints nothing.
 *
 * Lifetime: conn_open() returns the connection; exactly one of failed()
 * (before open()) or closed() (after) ends it, after which it is freed.
 * conn_abort() ends it from the caller's side with no callback.
 */
#ifndef WSC_CONN_H
#define WSC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "handshake.h"
#include "mask.h"
#include "message.h"
#include "rawconn.h"
#include "sendq.h"
#include "trace.h"

struct wsc_conn;

struct wsc_conn_params {
	struct rawconn_params net;      // where (its trace is set by conn)
	struct wsc_handshake_request rq;  // the request (extensions: ours)
	bool deflate;           // offer permessage-deflate
	bool http2;             // over HTTP/2 (RFC 8441, h2.h)
	uint64_t max_size;      // largest message taken (0: any)
	// the frames' bytes after the handshake, each way, added here as
	// they are read and handed to the transport (NULL: not counted)
	unsigned long long *wire_rx, *wire_tx;
};

struct wsc_conn_cb {
	void (*open)(void *u);
	// could not be made: cause is "" (see the trace: resolve, connect,
	// TLS, a non-101 status) or a line for "handshake failed: ..."
	void (*failed)(void *u, const char *cause);
	void (*begin)(void *u, bool binary);
	void (*data)(void *u, const void *p, size_t n);
	void (*end)(void *u);
	void (*ping)(void *u, const void *p, size_t n);     // answered here
	void (*pong)(void *u, const void *p, size_t n);
	// the server's Close and its verdict (message.h: code, reason, and
	// the fault of a payload that breaks RFC 6455)
	void (*close)(void *u, const struct msg_event *ev);
	// the server broke RFC 6455 or RFC 7692: why, and the code to close
	// with (1002, 1007, 1009); nothing more is received
	void (*error)(void *u, unsigned code, const char *why);
	void (*writable)(void *u);      // conn_frame() has room again
	void (*closed)(void *u, const char *why);   // NULL: the peer closed
};

enum conn_tx {
	CONN_TX_OK,             // the frame is queued for the socket
	CONN_TX_FULL,           // no room now: writable() will say
	CONN_TX_FAIL,           // never (a Close went, out of memory)
};

/* Start connecting; trace (kept by the caller) is reset and filled. NULL
 * only when out of memory. failed() may come before this returns. */
struct wsc_conn *conn_open(struct lws_context *ctx,
		const struct wsc_conn_params *p, const struct wsc_conn_cb *cb,
		void *user, struct wsc_mask *keys, struct wsc_trace *trace);

/* Encode one frame (a message fragment or a control frame) after those
 * queued; a Close is the last frame taken. */
enum conn_tx conn_frame(struct wsc_conn *c, enum wsc_frame kind, bool first,
		bool last, const void *data, size_t len);

/* Hand the encoded frames to the socket (several per write). */
void conn_flush(struct wsc_conn *c);

/* Whether every encoded frame went to the socket's buffer. */
bool conn_tx_empty(const struct wsc_conn *c);

/* The negotiated subprotocol and extensions ("" when none). */
const char *conn_protocol(const struct wsc_conn *c);
const char *conn_extensions(const struct wsc_conn *c);

/* Bytes received since open (any frame, even a partial one). */
unsigned long long conn_rx_bytes(const struct wsc_conn *c);

/* The socket (ioctl FIONREAD and SIOCOUTQ), -1 when there is none. */
int conn_fd(const struct wsc_conn *c);

/* The close handshake is over (or the server broke the protocol): nothing
 * more is received. Once every encoded frame has left, the sending side is
 * shut down and what still comes is discarded until the server closes
 * (rawconn_finish), so no TCP reset loses our Close; then closed() (NULL,
 * or why sending failed). ms bounds each step as silence (nothing sent,
 * nothing read). */
void conn_shutdown(struct wsc_conn *c, long ms);

/* End it now: no callback follows; c is freed. */
void conn_abort(struct wsc_conn *c);

#endif
