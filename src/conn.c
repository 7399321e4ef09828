/*
 * conn.c - a client WebSocket connection (conn.h): its lifetime over a
 * rawconn, and once the opening handshake (connhs.c) is accepted, frames
 * both ways: out through one transmit buffer (several per write, masked,
 * compressed with permessage-deflate, the Pong owed first), in through
 * message.c; then the close: flush, shutdown, the end told once. The
 * transport is a rawconn, or with --http2 a stream of h2.h: the same
 * bytes either way.
 */
#include "connpriv.h"

#include <stdlib.h>
#include <string.h>

#define TX_CAP (256 * 1024)     // encoded frames waiting for the socket
#define SHUTDOWN_POLL_MS 5      // conn_shutdown(): is everything sent?

/* --- the end --- */

static void conn_free(struct wsc_conn *c)
{
	lws_sul_cancel(&c->sul);
	msg_finish(&c->rx);
	deflate_tx_free(c->def);
	buf_free(&c->z);
	buf_free(&c->tx);
	free(c);
}

bool conn_gone(struct wsc_conn *c)
{
	if (c->dead && !c->in_cb) {
		conn_free(c);
		return true;
	}
	return c->dead;
}

// No more socket, no more timer: the connection is over.
static void detach(struct wsc_conn *c)
{
	c->phase = PH_DONE;
	c->dead = true;
	if (c->rc) {
		rawconn_close(c->rc);
		c->rc = NULL;
	}
	if (c->h2) {
		h2_close(c->h2);
		c->h2 = NULL;
	}
	lws_sul_cancel(&c->sul);
}

/* --- the transport: a rawconn, or a stream of h2.h --- */

static bool link_up(const struct wsc_conn *c)
{
	return c->rc || c->h2;
}

static void link_write(struct wsc_conn *c)
{
	if (c->h2) {
		h2_write_buf(c->h2, &c->tx, &c->tx_off);
	} else {
		rawconn_write_buf(c->rc, &c->tx, &c->tx_off);
	}
}

static void link_set_idle(struct wsc_conn *c, long ms)
{
	if (c->h2) {
		h2_set_idle(c->h2, ms);
	} else if (c->rc) {
		rawconn_set_idle(c->rc, ms);
	}
}

void conn_end(struct wsc_conn *c, const char *why)
{
	enum conn_phase was = c->phase;

	if (c->dead) {
		return;
	}
	detach(c);
	c->in_cb++;
	if (was == PH_OPEN) {
		c->cb.closed(c->user, why);
	} else {
		c->cb.failed(c->user, why ? why : "");
	}
	c->in_cb--;
}

// Once what is encoded went to the transport, it finishes the stream
// (rawconn_finish: the server closes first); its closed() is the end.
static void shutdown_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_conn *c = lws_container_of(sul, struct wsc_conn, sul);

	if (c->dead || c->finishing) {
		return;
	}
	if (link_up(c) && c->tx_off < c->tx.len) {
		conn_flush(c);
		lws_sul_schedule(c->ctx, 0, &c->sul, shutdown_cb,
			(lws_usec_t)SHUTDOWN_POLL_MS * LWS_US_PER_MS);
		return;
	}
	if (c->h2) {
		c->finishing = true;
		h2_finish(c->h2, c->finish_ms);
		return;
	}
	if (c->rc) {
		c->finishing = true;
		rawconn_finish(c->rc, c->finish_ms);
		return;
	}
	c->in_cb++;
	conn_end(c, NULL);
	c->in_cb--;
	conn_gone(c);
}

void conn_shutdown(struct wsc_conn *c, long ms)
{
	if (!c || c->dead) {
		return;
	}
	c->rx_over = true;
	c->finish_ms = ms;
	// sending what is left counts silence too (a server that stopped
	// reading)
	link_set_idle(c, ms);
	lws_sul_schedule(c->ctx, 0, &c->sul, shutdown_cb, 0);
}

void conn_abort(struct wsc_conn *c)
{
	if (!c || c->dead) {
		return;
	}
	detach(c);
	conn_gone(c);
}

/* --- sending --- */

// Room for need more bytes at the end of tx (moving or growing it).
static bool tx_room(struct wsc_conn *c, size_t need)
{
	if (c->tx_off == c->tx.len) {
		c->tx_off = 0;
		buf_clear(&c->tx);
	}
	if (c->tx.cap - c->tx.len >= need) {
		return true;
	}
	buf_consume(&c->tx, c->tx_off);     // what the socket took
	c->tx_off = 0;
	if (c->tx.len && c->tx.cap >= TX_CAP && c->tx.cap - c->tx.len < need) {
		return false;   // full: wait until the socket takes some
	}
	return buf_reserve(&c->tx, need, TX_CAP);
}

static int z_sink(void *arg, const unsigned char *d, size_t len)
{
	struct wsc_conn *c = arg;

	return buf_append(&c->z, d, len, 0) ? 0 : 1;
}

static bool put_frame(struct wsc_conn *c, unsigned b0, const void *p,
		size_t len)
{
	size_t n;

	if (!tx_room(c, FRAME_HEADER_MAX + len)) {
		return false;
	}
	n = frame_write(c->tx.p + c->tx.len, b0, p, len, c->keys);
	c->tx.len += n;
	return n > 0;
}

static void put_pong(struct wsc_conn *c)
{
	if (c->pong_due && !c->close_sent &&
			tx_room(c, FRAME_HEADER_MAX + FRAME_CONTROL_MAX) &&
			put_frame(c, FRAME_FIN | FRAME_PONG, c->pong,
			c->pong_len)) {
		c->pong_due = false;
	}
}

enum conn_tx conn_frame(struct wsc_conn *c, enum wsc_frame kind, bool first,
		bool last, const void *data, size_t len)
{
	unsigned b0;

	if (c->dead || c->close_sent || c->phase != PH_OPEN) {
		return CONN_TX_FAIL;
	}
	put_pong(c);
	switch (kind) {
	case WSC_FRAME_TEXT:
	case WSC_FRAME_BINARY:
		b0 = (first ? (kind == WSC_FRAME_TEXT ? FRAME_TEXT :
			FRAME_BINARY) : FRAME_CONT) | (last ? FRAME_FIN : 0);
		if (!c->def) {
			break;
		}
		// compressed: room for what zlib may make of it first
		if (c->tx.len > c->tx_off && !tx_room(c, FRAME_HEADER_MAX + len +
				len / 8 + 64)) {
			return CONN_TX_FULL;
		}
		buf_clear(&c->z);
		if (deflate_tx_write(c->def, data, len, last, z_sink, c) !=
				DEFLATE_OK) {
			return CONN_TX_FAIL;
		}
		if (!first && !last && !c->z.len) {
			return CONN_TX_OK;      // nothing out yet
		}
		if (first) {
			b0 |= FRAME_RSV1;
		}
		return put_frame(c, b0, c->z.p, c->z.len) ? CONN_TX_OK :
			CONN_TX_FAIL;
	case WSC_FRAME_PING:
		b0 = FRAME_FIN | FRAME_PING;
		break;
	case WSC_FRAME_PONG:
		b0 = FRAME_FIN | FRAME_PONG;
		break;
	default:
		b0 = FRAME_FIN | FRAME_CLOSE;
		break;
	}
	if (len > FRAME_CONTROL_MAX && (b0 & 0x0f) >= FRAME_CLOSE) {
		len = FRAME_CONTROL_MAX;
	}
	if (c->tx.len > c->tx_off && !tx_room(c, FRAME_HEADER_MAX + len)) {
		return CONN_TX_FULL;
	}
	if (!put_frame(c, b0, data, len)) {
		return CONN_TX_FAIL;
	}
	if (kind == WSC_FRAME_CLOSE) {
		c->close_sent = true;
	}
	return CONN_TX_OK;
}

void conn_flush(struct wsc_conn *c)
{
	size_t pending;

	if (c->dead || !link_up(c) || c->phase != PH_OPEN) {
		return;
	}
	put_pong(c);
	pending = c->tx.len - c->tx_off;
	link_write(c);
	if (c->wire_tx) {
		*c->wire_tx += pending - (c->tx.len - c->tx_off);
	}
}

bool conn_tx_empty(const struct wsc_conn *c)
{
	return c->tx_off == c->tx.len && !c->pong_due && (!c->h2 ||
		!h2_pending(c->h2));
}

/* --- receiving messages --- */

// One event of the server's messages (message.h), told to the
// client endpoint.
static bool on_message(void *arg, const struct msg_event *ev)
{
	struct wsc_conn *c = arg;

	switch (ev->type) {
	case MSG_EV_START:
		c->cb.begin(c->user, ev->binary);
		break;
	case MSG_EV_DATA:
		c->cb.data(c->user, ev->data, ev->len);
		break;
	case MSG_EV_END:
		c->cb.end(c->user);
		break;
	case MSG_EV_PING:
		if (!c->close_sent) {
			memcpy(c->pong, ev->data, ev->len);
			c->pong_len = ev->len;
			c->pong_due = true;     // the latest of a burst
		}
		c->cb.ping(c->user, ev->data, ev->len);
		break;
	case MSG_EV_PONG:
		c->cb.pong(c->user, ev->data, ev->len);
		break;
	case MSG_EV_CLOSE:
		c->rx_over = true;
		c->cb.close(c->user, ev);
		break;
	case MSG_EV_ERROR:
		c->rx_over = true;
		c->cb.error(c->user, ev->code, ev->why);
		break;
	}
	return !c->rx_over && !c->dead;
}

static void frames(struct wsc_conn *c, unsigned char *buf, size_t len)
{
	c->rx_bytes += len;
	if (c->wire_rx) {
		*c->wire_rx += len;
	}
	if (!c->rx_over && !c->dead) {
		msg_read(&c->rx, buf, len, on_message, c);
	}
}

void conn_opened(struct wsc_conn *c, unsigned char *rest, size_t n)
{
	msg_init(&c->rx, &(struct msg_params){ .role = FRAME_ROLE_CLIENT,
		.pmd = c->pmd ? &c->pmdp : NULL, .max_size = c->max_size,
		.hold = c->max_size != 0 });
	c->phase = PH_OPEN;
	c->cb.open(c->user);
	if (!c->dead && n) {
		frames(c, rest, n);
	}
}

/* --- the transport (rawconn.h) --- */

static void on_open(void *user, struct rawconn *rc)
{
	struct wsc_conn *c = user;

	c->rc = rc;
	c->in_cb++;
	connhs_send(c);
	c->in_cb--;
	conn_gone(c);
}

static void on_h2_open(void *user)
{
	struct wsc_conn *c = user;

	c->in_cb++;
	connhs_send(c);
	c->in_cb--;
	conn_gone(c);
}

static void on_h2_field(void *user, const char *name, size_t nlen,
		const char *value, size_t vlen)
{
	struct wsc_conn *c = user;

	if (!c->dead && c->phase == PH_RESPONSE) {
		connhs_h2_field(c, name, nlen, value, vlen);
	}
}

static void on_h2_head(void *user, bool end)
{
	struct wsc_conn *c = user;

	if (c->dead || c->phase != PH_RESPONSE) {
		return;
	}
	c->in_cb++;
	connhs_h2_head(c, end);
	c->in_cb--;
	conn_gone(c);
}

static void on_data(void *user, unsigned char *buf, size_t len)
{
	struct wsc_conn *c = user;

	if (c->dead) {
		return;
	}
	c->in_cb++;
	switch (c->phase) {
	case PH_RESPONSE:
	case PH_BODY:
		connhs_read(c, buf, len);
		break;
	case PH_OPEN:
		frames(c, buf, len);
		break;
	default:
		break;
	}
	if (!c->dead) {
		conn_flush(c);      // Pongs, and what the callbacks queued
	}
	c->in_cb--;
	conn_gone(c);
}

static void on_writable(void *user)
{
	struct wsc_conn *c = user;

	if (c->dead || c->phase != PH_OPEN) {
		return;
	}
	c->in_cb++;
	conn_flush(c);
	if (!c->dead && c->tx_off == c->tx.len) {
		c->cb.writable(c->user);
	}
	c->in_cb--;
	conn_gone(c);
}

static void on_closed(void *user, const char *why)
{
	struct wsc_conn *c = user;

	c->rc = NULL;   // rawconn (or h2) frees itself
	c->h2 = NULL;
	if (c->dead) {
		return;
	}
	c->in_cb++;
	if (c->phase == PH_OPEN) {
		conn_end(c, why);
	} else {
		// before open (a refusal's body included): the trace and why
		// tell the cause
		conn_end(c, "");
	}
	c->in_cb--;
	conn_gone(c);
}

static const struct rawconn_cb raw_cb = {
	on_open, on_data, on_writable, on_closed,
};

static const struct h2_cb h2_cb = {
	on_h2_open, on_h2_field, on_h2_head, on_data, on_writable, on_closed,
	NULL,   // the request waits for the server's SETTINGS
};

struct wsc_conn *conn_open(struct lws_context *ctx,
		const struct wsc_conn_params *p, const struct wsc_conn_cb *cb,
		void *user, struct wsc_mask *keys, struct wsc_trace *trace)
{
	struct wsc_conn *c = calloc(1, sizeof(*c));
	struct rawconn_params net = p->net;
	char why[300];

	trace_reset(trace, lws_now_usecs());
	if (!c) {
		cb->failed(user, "out of memory");
		return NULL;
	}
	c->ctx = ctx;
	c->cb = *cb;
	c->user = user;
	c->keys = keys;
	c->trace = trace;
	c->max_size = p->max_size;
	c->wire_rx = p->wire_rx;
	c->wire_tx = p->wire_tx;
	c->deflate = p->deflate;
	c->http2 = trace->http2 = p->http2;
	c->head = &trace->head;
	if (!connhs_request(c, &p->rq)) {
		conn_free(c);
		cb->failed(user, "cannot write the request (headers too long?)");
		return NULL;
	}
	net.trace = trace;
	c->in_cb++;
	if (c->http2) {
		c->h2 = h2_open(ctx, &net, &h2_cb, c, why, sizeof(why));
	} else {
		c->rc = rawconn_open(ctx, &net, &raw_cb, c, why, sizeof(why));
	}
	c->in_cb--;
	if (!link_up(c) && !c->dead) {
		conn_end(c, "");
	}
	if (c->dead) {
		// failed() was told: the caller learns it from there
		conn_gone(c);
		return NULL;
	}
	return c;
}

unsigned long long conn_rx_bytes(const struct wsc_conn *c)
{
	return c->rx_bytes;
}

int conn_fd(const struct wsc_conn *c)
{
	return !c ? -1 : c->h2 ? h2_fd(c->h2) : c->rc ? rawconn_fd(c->rc) : -1;
}

