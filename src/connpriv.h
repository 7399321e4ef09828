/*
 * connpriv.h - what the two halves of a client connection share, and no
 * one else: its state (struct wsc_conn) and the calls between conn.c (the
 * connection's lifetime, the open connection's frames both ways) and
 * connhs.c (the opening handshake: the request, the response head and a
 * refusal's body, the verdict). The public interface is conn.h.
 */
#ifndef WSC_CONNPRIV_H
#define WSC_CONNPRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "buf.h"
#include "conn.h"
#include "deflate.h"
#include "frame.h"
#include "h2.h"
#include "handshake.h"
#include "httphead.h"
#include "message.h"

enum conn_phase {
	PH_CONNECTING,          // rawconn_open(): nothing written yet
	PH_RESPONSE,            // the request went: reading the response head
	PH_BODY,                // refused: reading the start of its body
	PH_OPEN,                // 101 accepted: frames both ways
	PH_DONE,                // the end was told (or conn_abort())
};

struct wsc_conn {
	struct lws_context *ctx;
	struct rawconn *rc;     // the transport: a rawconn, or
	struct h2 *h2;          //   over HTTP/2 (--http2) a stream of h2.h
	bool http2;
	struct wsc_conn_cb cb;
	void *user;
	struct wsc_mask *keys;
	struct wsc_trace *trace;
	enum conn_phase phase;
	int in_cb;              // inside a callback of ours: free later
	bool dead;              // conn_abort() or the end told: free at once
	bool rx_over;           // a Close or a fault: the rest is ignored
	bool close_sent;        // our Close is encoded: nothing follows it
	long finish_ms;         // conn_shutdown(): the bound on its steps
	bool finishing;         // handed to rawconn_finish(): await its end
	// the wait for a refusal's body, then conn_shutdown()'s steps
	lws_sorted_usec_list_t sul;

	// the handshake (connhs.c)
	char req[WSC_TRACE_MAX];
	size_t req_len;
	char key[HANDSHAKE_KEY_LEN + 1];
	char offer[HANDSHAKE_EXT_MAX];
	const char *protocols;
	struct wsc_httphead *head;      // the trace's: one reading of it
	long body_want;         // refusal body bytes still awaited
	char protocol[128];
	char extensions[HANDSHAKE_EXT_MAX];

	// receiving
	struct msg_reader rx;
	uint64_t max_size;
	unsigned long long rx_bytes;
	unsigned long long *wire_rx, *wire_tx;  // the caller's totals

	// permessage-deflate: negotiated by connhs.c, used by conn.c
	bool deflate, pmd;
	struct deflate_config dcfg;
	struct deflate_params pmdp;
	struct deflate_tx *def;
	struct wsc_buf z;               // one compressed fragment

	// sending
	struct wsc_buf tx;              // encoded frames, sent up to tx_off
	size_t tx_off;
	bool pong_due;
	unsigned char pong[FRAME_CONTROL_MAX];
	size_t pong_len;
};

/* --- conn.c --- */

/* Tell the end once: failed(why, "" for NULL) before the connection
 * opened, closed(why) after; no callback follows. */
void conn_end(struct wsc_conn *c, const char *why);

/* After a callback: free c if it ended meanwhile. True when it ended. */
bool conn_gone(struct wsc_conn *c);

/* The handshake is accepted: receive messages (c->pmd and c->pmdp say
 * how to inflate), tell open(), then take rest[0..n) as frames. */
void conn_opened(struct wsc_conn *c, unsigned char *rest, size_t n);

/* --- connhs.c --- */

/* Write the Upgrade request (with our permessage-deflate offer when
 * c->deflate) into c->req, its key into c->key and the trace; over
 * HTTP/2 the extended CONNECT's fields, no key. False when it cannot be
 * written. */
bool connhs_request(struct wsc_conn *c,
		const struct wsc_handshake_request *rq);

/* The transport is up (over HTTP/2: the server's SETTINGS allow the
 * extended CONNECT): send the request; PH_RESPONSE follows. */
void connhs_send(struct wsc_conn *c);

/* Over HTTP/2: one field of the response head; the head is complete
 * (end: the stream ended with it). */
void connhs_h2_field(struct wsc_conn *c, const char *name, size_t nlen,
		const char *value, size_t vlen);
void connhs_h2_head(struct wsc_conn *c, bool end);

/* Bytes received before the connection opened (PH_RESPONSE, PH_BODY):
 * the response head, then either conn_opened() or a refusal's body and
 * failed(). */
void connhs_read(struct wsc_conn *c, unsigned char *buf, size_t len);

#endif
