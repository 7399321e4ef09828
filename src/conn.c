/*
 * conn.c - a client WebSocket connection over a rawconn: handshake,
 * frames both ways, permessage-deflate, Pongs (see conn.h).
 */
#define _GNU_SOURCE  // memmem
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "deflate.h"
#include "frame.h"
#include "httphead.h"
#include "message.h"

#define TX_CAP (256 * 1024)     // encoded frames waiting for the socket
#define BODY_WANTED 1025        // of a refusal: what -D shows, and one more
#define BODY_WAIT_MS 200        // silence that ends waiting for the body
#define SHUTDOWN_POLL_MS 5      // conn_shutdown(): is everything sent?

enum phase { PH_CONNECTING, PH_RESPONSE, PH_BODY, PH_OPEN, PH_DONE };

struct wsc_conn {
	struct lws_context *ctx;
	struct rawconn *rc;
	struct wsc_conn_cb cb;
	void *user;
	struct wsc_mask *keys;
	struct wsc_trace *trace;
	enum phase phase;
	int in_cb;              // inside a callback of ours: free later
	bool dead;              // conn_abort() or the end told: free at once
	bool rx_over;           // a Close or a fault: the rest is ignored
	bool close_sent;        // our Close is encoded: nothing follows it
	long finish_ms;         // conn_shutdown(): the bound on its steps
	bool finishing;         // handed to rawconn_finish(): await its end

	// the handshake
	char req[WSC_TRACE_MAX];
	size_t req_len;
	char key[HANDSHAKE_KEY_LEN + 1];
	char offer[HANDSHAKE_EXT_MAX];
	const char *protocols;
	struct wsc_httphead *head;      // the trace's: one reading of it
	long body_want;         // refusal body bytes still awaited
	lws_sorted_usec_list_t sul_body;
	char protocol[128];
	char extensions[HANDSHAKE_EXT_MAX];
	unsigned long long rx_bytes;

	// receiving
	struct msg_reader rx;
	uint64_t max_size;

	// permessage-deflate
	bool deflate, pmd;
	struct deflate_config dcfg;
	struct deflate_params pmdp;
	struct deflate_tx *def;
	unsigned char *zbuf;            // one compressed fragment
	size_t zlen, zcap;
	bool z_failed;

	// sending
	struct wsc_buf tx;              // encoded frames, sent up to tx_off
	size_t tx_off;
	bool pong_due;
	unsigned char pong[FRAME_CONTROL_MAX];
	size_t pong_len;
};

static void conn_free(struct wsc_conn *c)
{
	lws_sul_cancel(&c->sul_body);
	msg_finish(&c->rx);
	deflate_tx_free(c->def);
	free(c->zbuf);
	buf_free(&c->tx);
	free(c);
}

// After a callback: free the connection if it ended meanwhile.
static bool gone(struct wsc_conn *c)
{
	if (c->dead && !c->in_cb) {
		conn_free(c);
		return true;
	}
	return c->dead;
}

/* --- the end --- */

// No more socket, no more timer: the connection is over.
static void detach(struct wsc_conn *c)
{
	c->phase = PH_DONE;
	c->dead = true;
	if (c->rc) {
		rawconn_close(c->rc);
		c->rc = NULL;
	}
	lws_sul_cancel(&c->sul_body);
}

// Tell the end once (failed before open, closed after); no more callbacks.
static void end(struct wsc_conn *c, const char *why)
{
	enum phase was = c->phase;

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
	struct wsc_conn *c = lws_container_of(sul, struct wsc_conn, sul_body);

	if (c->dead || c->finishing) {
		return;
	}
	if (c->rc && c->tx_off < c->tx.len) {
		conn_flush(c);
		lws_sul_schedule(c->ctx, 0, &c->sul_body, shutdown_cb,
			(lws_usec_t)SHUTDOWN_POLL_MS * LWS_US_PER_MS);
		return;
	}
	if (c->rc) {
		c->finishing = true;
		rawconn_finish(c->rc, c->finish_ms);
		return;
	}
	c->in_cb++;
	end(c, NULL);
	c->in_cb--;
	gone(c);
}

void conn_shutdown(struct wsc_conn *c, long ms)
{
	if (!c || c->dead) {
		return;
	}
	c->rx_over = true;
	c->finish_ms = ms;
	if (c->rc) {
		// sending what is left counts silence too (a server that
		// stopped reading)
		rawconn_set_idle(c->rc, ms);
	}
	lws_sul_schedule(c->ctx, 0, &c->sul_body, shutdown_cb, 0);
}

void conn_abort(struct wsc_conn *c)
{
	if (!c || c->dead) {
		return;
	}
	detach(c);
	gone(c);
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

/*
 * Append p[0..n) to a buffer that grows by doubling, never past limit
 * (0: none) when the bytes fit under it. false when out of memory.
 */
static bool append(unsigned char **buf, size_t *len, size_t *cap,
		const void *p, size_t n, uint64_t limit)
{
	if (n > *cap - *len) {
		size_t want = (*len + n) * 2;
		unsigned char *b;

		if (limit && want > limit) {
			want = limit > *len + n ? (size_t)limit : *len + n;
		}
		b = realloc(*buf, want);
		if (!b) {
			return false;
		}
		*buf = b;
		*cap = want;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return true;
}

static int z_sink(void *arg, const unsigned char *d, size_t len)
{
	struct wsc_conn *c = arg;

	return append(&c->zbuf, &c->zlen, &c->zcap, d, len, 0) ? 0 : 1;
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
		c->zlen = 0;
		if (deflate_tx_write(c->def, data, len, last, z_sink, c) !=
				DEFLATE_OK) {
			return CONN_TX_FAIL;
		}
		if (!first && !last && !c->zlen) {
			return CONN_TX_OK;      // nothing out yet
		}
		if (first) {
			b0 |= FRAME_RSV1;
		}
		return put_frame(c, b0, c->zbuf, c->zlen) ? CONN_TX_OK :
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
	if (c->dead || !c->rc || c->phase != PH_OPEN) {
		return;
	}
	put_pong(c);
	while (c->tx_off < c->tx.len) {
		size_t n = rawconn_write(c->rc, c->tx.p + c->tx_off,
			c->tx.len - c->tx_off);

		if (!n) {
			break;
		}
		c->tx_off += n;
	}
	if (c->tx_off == c->tx.len) {
		c->tx_off = 0;
		buf_clear(&c->tx);
	}
}

bool conn_tx_empty(const struct wsc_conn *c)
{
	return c->tx_off == c->tx.len && !c->pong_due;
}

/* --- receiving messages --- */

// One event of the server's messages (message.h), told to the session.
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
	if (!c->rx_over && !c->dead) {
		msg_read(&c->rx, buf, len, on_message, c);
	}
}

/* --- the handshake --- */

static void refused_done(struct wsc_conn *c)
{
	end(c, "");
}

static void body_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_conn *c = lws_container_of(sul, struct wsc_conn, sul_body);

	c->in_cb++;
	refused_done(c);
	c->in_cb--;
	gone(c);
}

static void body_bytes(struct wsc_conn *c, const unsigned char *p, size_t n)
{
	size_t take = n < (size_t)c->body_want ? n : (size_t)c->body_want;

	if (take) {
		trace_add(c->trace->resp, &c->trace->resp_len, p, take);
	}
	c->body_want -= (long)take;
	if (c->body_want <= 0) {
		refused_done(c);
		return;
	}
	lws_sul_schedule(c->ctx, 0, &c->sul_body, body_cb,
		(lws_usec_t)BODY_WAIT_MS * LWS_US_PER_MS);
}

static bool setup_deflate(struct wsc_conn *c, char *why, size_t size)
{
	const char *v;
	char joined[HANDSHAKE_EXT_MAX * 2] = "";
	size_t n = 0;
	int r;

	// several fields: their values joined with ","
	for (size_t i = 0; i < c->head->nfields; i++) {
		if (strcasecmp(c->head->field[i].name,
				"Sec-WebSocket-Extensions")) {
			continue;
		}
		v = c->head->field[i].value;
		n += (size_t)snprintf(joined + n, sizeof(joined) - n, "%s%s",
			n ? "," : "", v);
		if (n >= sizeof(joined)) {
			snprintf(why, size, "Sec-WebSocket-Extensions too long");
			return false;
		}
	}
	if (!n) {
		return true;
	}
	r = deflate_client_accept(joined, n, &c->dcfg, &c->pmdp, why, size);
	if (r < 0) {
		// say which header: "'server_max_window_bits=16' is not 8..15"
		static const char hdr[] = "Sec-WebSocket-Extensions: ";
		size_t h = sizeof(hdr) - 1, len = strlen(why);

		if (size > h) {
			len = len < size - h - 1 ? len : size - h - 1;
			memmove(why + h, why, len);
			memcpy(why, hdr, h);
			why[h + len] = '\0';
		}
		return false;
	}
	if (r == 0) {
		return true;
	}
	c->pmd = true;
	c->def = deflate_tx_new(&c->pmdp, DEFLATE_CLIENT, -1);
	if (!c->def) {
		snprintf(why, size, "out of memory");
		return false;
	}
	return true;
}

static void head_done(struct wsc_conn *c, unsigned char *rest, size_t n)
{
	struct wsc_handshake_result res;
	char why[600], cause[700];
	const char *cl;

	c->trace->t_response = lws_now_usecs();
	c->trace->resp_head = c->trace->resp_len;
	if (c->head->status != 101) {
		// a refusal: -D shows the start of its body, so wait for it
		cl = httphead_get(c->head, "Content-Length");
		c->body_want = BODY_WANTED;
		if (cl && atol(cl) >= 0 && atol(cl) < c->body_want) {
			c->body_want = atol(cl);
		}
		c->phase = PH_BODY;
		if (!c->body_want) {
			refused_done(c);
			return;
		}
		body_bytes(c, rest, n);
		return;
	}
	if (!handshake_check_response(c->head, c->key, c->protocols,
			c->deflate ? c->offer : NULL, &res, why, sizeof(why)) ||
			(c->deflate && !setup_deflate(c, why, sizeof(why)))) {
		snprintf(cause, sizeof(cause), "handshake failed: %s", why);
		end(c, cause);
		return;
	}
	snprintf(c->protocol, sizeof(c->protocol), "%s", res.protocol ?
		res.protocol : "");
	snprintf(c->extensions, sizeof(c->extensions), "%s", res.extensions);
	msg_init(&c->rx, &(struct msg_params){ .role = FRAME_ROLE_CLIENT,
		.pmd = c->pmd ? &c->pmdp : NULL, .max_size = c->max_size,
		.hold = c->max_size != 0 });
	c->phase = PH_OPEN;
	c->cb.open(c->user);
	if (!c->dead && n) {
		c->rx_bytes += n;
		frames(c, rest, n);
	}
}

// A refusal's head that httphead.c rejected: kept raw, its body after it.
static void refusal(struct wsc_conn *c, const unsigned char *p, size_t n)
{
	struct wsc_trace *t = c->trace;
	const char *e;

	trace_add(t->resp, &t->resp_len, p, n);
	t->t_response = lws_now_usecs();
	e = memmem(t->resp, t->resp_len, "\r\n\r\n", 4);
	t->resp_head = e ? (size_t)(e + 4 - t->resp) : t->resp_len;
	c->phase = PH_BODY;
	c->body_want = BODY_WANTED - (long)(t->resp_len - t->resp_head);
	body_bytes(c, NULL, 0);
}

static void on_data(void *user, unsigned char *buf, size_t len)
{
	struct wsc_conn *c = user;
	size_t used = 0;
	enum wsc_httphead_status st;

	if (c->dead) {
		return;
	}
	c->in_cb++;
	switch (c->phase) {
	case PH_RESPONSE:
		st = httphead_feed(c->head, (const char *)buf, len, &used);
		trace_add(c->trace->resp, &c->trace->resp_len, buf, used);
		if (st == HTTPHEAD_ERROR && c->head->status > 101) {
			// a refusal with a head wsc would not take (a control
			// character, say): its status is the cause, -D shows it
			refusal(c, buf + used, len - used);
		} else if (st == HTTPHEAD_ERROR) {
			char cause[200];

			snprintf(cause, sizeof(cause), "handshake failed: not an "
				"HTTP response (%s)", c->head->why);
			end(c, cause);
		} else if (st == HTTPHEAD_DONE) {
			head_done(c, buf + used, len - used);
		}
		break;
	case PH_BODY:
		body_bytes(c, buf, len);
		break;
	case PH_OPEN:
		c->rx_bytes += len;
		frames(c, buf, len);
		break;
	default:
		break;
	}
	if (!c->dead) {
		conn_flush(c);      // Pongs, and what the callbacks queued
	}
	c->in_cb--;
	gone(c);
}

static void on_open(void *user, struct rawconn *rc)
{
	struct wsc_conn *c = user;

	c->rc = rc;
	c->phase = PH_RESPONSE;
	c->trace->t_request = lws_now_usecs();
	trace_add(c->trace->req, &c->trace->req_len, c->req, c->req_len);
	if (rawconn_write(rc, c->req, c->req_len) < c->req_len) {
		end(c, "the request did not fit");
	}
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
	gone(c);
}

static void on_closed(void *user, const char *why)
{
	struct wsc_conn *c = user;

	c->rc = NULL;   // rawconn frees itself
	if (c->dead) {
		return;
	}
	c->in_cb++;
	if (c->phase == PH_BODY) {
		refused_done(c);
	} else if (c->phase == PH_OPEN) {
		end(c, why);
	} else {
		end(c, "");     // the trace and why tell the cause
	}
	c->in_cb--;
	gone(c);
}

static const struct rawconn_cb raw_cb = {
	on_open, on_data, on_writable, on_closed,
};

struct wsc_conn *conn_open(struct lws_context *ctx,
		const struct wsc_conn_params *p, const struct wsc_conn_cb *cb,
		void *user, struct wsc_mask *keys, struct wsc_trace *trace)
{
	struct wsc_conn *c = calloc(1, sizeof(*c));
	struct wsc_handshake_request rq = p->rq;
	struct rawconn_params net = p->net;
	unsigned char nonce[16];
	char why[300];
	ssize_t n;

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
	c->protocols = rq.protocols;
	c->deflate = p->deflate;
	c->head = &trace->head;
	if (p->deflate) {
		c->dcfg.client_max_window_bits = DEFLATE_BITS_BARE;
		deflate_offer_format(&c->dcfg, c->offer, sizeof(c->offer));
		rq.extensions = c->offer;
	}
	if (!mask_bytes(keys, nonce, sizeof(nonce)) || (n =
			handshake_write_request(c->req, sizeof(c->req), &rq,
			nonce, c->key)) < 0) {
		conn_free(c);
		cb->failed(user, "cannot write the request (headers too long?)");
		return NULL;
	}
	c->req_len = (size_t)n;
	memcpy(trace->key, c->key, sizeof(trace->key));
	net.trace = trace;
	c->in_cb++;
	c->rc = rawconn_open(ctx, &net, &raw_cb, c, why, sizeof(why));
	c->in_cb--;
	if (!c->rc && !c->dead) {
		end(c, "");
	}
	if (c->dead) {
		// failed() was told: the caller learns it from there
		gone(c);
		return NULL;
	}
	return c;
}

const char *conn_protocol(const struct wsc_conn *c)
{
	return c->protocol;
}

const char *conn_extensions(const struct wsc_conn *c)
{
	return c->extensions;
}

unsigned long long conn_rx_bytes(const struct wsc_conn *c)
{
	return c->rx_bytes;
}

int conn_fd(const struct wsc_conn *c)
{
	return c && c->rc ? rawconn_fd(c->rc) : -1;
}

