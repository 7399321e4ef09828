/*
 * checkrun.c - the runner of wsc --check (checkrun.h): one case's
 * connection, its request, the frames sent, what comes back as
 * observations for the case's judge, and its verdict.
 */
#include "checkrun.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "frame.h"
#include "h2.h"
#include "httphead.h"
#include "rawconn.h"
#include "trace.h"

#define MSG_STORE_MAX (2 * 1024 * 1024)

/* --- the verdict --- */

void verdict(struct run *r, enum check_verdict v, const char *fmt, ...)
{
	va_list ap;

	if (r->done) {
		return;
	}
	r->done = true;
	r->v = v;
	va_start(ap, fmt);
	vsnprintf(r->observed, sizeof(r->observed), fmt, ap);
	va_end(ap);
	if (r->rc) {
		rawconn_close(r->rc);
		r->rc = NULL;
	}
	if (r->h2) {
		h2_close(r->h2);
		r->h2 = NULL;
	}
	// lws runs timers before its poll() in lws_service(): wake the loop
	// so that a verdict given in a timer is acted on now
	lws_cancel_service(r->k->ctx);
}

const char *op_name(unsigned op)
{
	return op == FRAME_TEXT ? "text" : op == FRAME_BINARY ? "binary" :
		"?";
}

bool common(struct run *r, const struct obs *o, const char *waiting)
{
	switch (o->type) {
	case O_ERROR:
		verdict(r, CHECK_FAIL, "an invalid frame from the server "
			"(%s)", o->why);
		return true;
	case O_END:
		verdict(r, CHECK_FAIL, "the connection ended (%s) %s",
			o->why ? o->why : "closed by the server", waiting);
		return true;
	case O_TIMEOUT:
		verdict(r, CHECK_FAIL, "nothing for %d s %s",
			CHECK_CASE_LIMIT_MS / 1000, waiting);
		return true;
	default:
		return false;
	}
}

/* --- bytes to send --- */

static bool tx_room(struct run *r, size_t n)
{
	if (r->tx_off && n > r->tx.cap - r->tx.len) {
		buf_consume(&r->tx, r->tx_off);     // what the socket took
		r->tx_off = 0;
	}
	return buf_reserve(&r->tx, n, 0);
}

void put_frame(struct run *r, unsigned b0, const void *data,
		size_t len, bool masked)
{
	unsigned char key[4];
	size_t h;

	if (!tx_room(r, FRAME_HEADER_MAX + len)) {
		return;
	}
	h = frame_write_header(r->tx.p + r->tx.len, b0, len,
		masked ? &r->k->mask : NULL, key);
	if (!h) {
		return;
	}
	if (masked) {
		frame_mask(r->tx.p + r->tx.len + h, data, len, key, 0);
	} else if (len) {
		memcpy(r->tx.p + r->tx.len + h, data, len);
	}
	r->tx.len += h + len;
}

void put_close(struct run *r, unsigned code, const char *reason,
		size_t rlen)
{
	unsigned char p[FRAME_CONTROL_MAX + 8];

	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	if (rlen) {
		memcpy(p + 2, reason, rlen);
	}
	put_frame(r, FRAME_FIN | FRAME_CLOSE, p, rlen + 2, true);
}

void pump(struct run *r)
{
	if (r->rc) {
		rawconn_write_buf(r->rc, &r->tx, &r->tx_off);
	} else if (r->h2) {
		h2_write_buf(r->h2, &r->tx, &r->tx_off);
	}
}

int open_status(const struct run *r)
{
	return trace_open_status(r->k->trace);
}

const char *offered_protocols(const struct wsc_opts *o)
{
	return *o->protocols ? o->protocols : "wsc-check-a, wsc-check-b";
}

size_t tx_pending(const struct run *r)
{
	return r->tx.len - r->tx_off;
}

unsigned char *payload(unsigned op, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++) {
		p[i] = op == FRAME_TEXT ? (unsigned char)('a' + (i * 7) % 26) :
			(unsigned char)(i * 31 + 7);
	}
	return p;
}

void expect_msg(struct run *r, unsigned op, unsigned char *data,
		size_t len)
{
	r->exp[r->nexp].op = op;
	r->exp[r->nexp].data = data;
	r->exp[r->nexp].len = len;
	r->nexp++;
}

void put_message(struct run *r, unsigned op, const unsigned char *p,
		size_t len, size_t frag)
{
	size_t off = 0;

	if (!frag || frag >= len) {
		put_frame(r, FRAME_FIN | op, p, len, true);
		return;
	}
	while (off < len) {
		size_t n = len - off < frag ? len - off : frag;

		put_frame(r, (off + n == len ? FRAME_FIN : 0) |
			(off ? FRAME_CONT : op), p + off, n, true);
		off += n;
	}
}

static int tx_sink(void *arg, const unsigned char *data, size_t len)
{
	struct run *r = arg;

	return buf_append(&r->tx, data, len, 0) ? 0 : 1;
}

bool put_deflated(struct run *r, unsigned op, const unsigned char *p,
		size_t len)
{
	size_t at = r->tx.len, clen;
	unsigned char *c;

	if (deflate_tx_write(r->def, p, len, true, tx_sink, r) != DEFLATE_OK) {
		return false;
	}
	clen = r->tx.len - at;
	c = malloc(clen ? clen : 1);
	if (!c) {
		return false;
	}
	memcpy(c, r->tx.p + at, clen);
	r->tx.len = at;
	put_frame(r, FRAME_FIN | FRAME_RSV1 | op, c, clen, true);
	free(c);
	return true;
}

/* --- receiving --- */

static void msg_append(struct run *r, const unsigned char *p, size_t n)
{
	r->msg_total += n;
	if (r->nostore) {
		return;
	}
	if (r->msg.len + n > MSG_STORE_MAX) {
		n = MSG_STORE_MAX - r->msg.len;
	}
	(void)buf_append(&r->msg, p, n, MSG_STORE_MAX);  // kept: what fits
}

static void observe(struct run *r, const struct obs *o)
{
	if (!r->done) {
		r->cs->kind->judge(r, o);
	}
}

/* One event of the server's messages (message.h), observed. */
static bool on_message(void *arg, const struct msg_event *ev)
{
	struct run *r = arg;
	struct obs o = { 0 };

	switch (ev->type) {
	case MSG_EV_START:
		r->msg_op = ev->binary ? FRAME_BINARY : FRAME_TEXT;
		r->msg_rsv1 = ev->compressed;
		buf_clear(&r->msg);
		r->msg_total = 0;
		return true;
	case MSG_EV_DATA:
		msg_append(r, ev->data, ev->len);
		return true;
	case MSG_EV_END:
		r->messages++;
		o.type = O_MSG;
		o.opcode = r->msg_op;
		o.data = r->msg.p;
		o.len = r->msg.len;
		o.code = r->msg_rsv1;
		break;
	case MSG_EV_PING:
		put_frame(r, FRAME_FIN | FRAME_PONG, ev->data, ev->len, true);
		pump(r);
		// fall through
	case MSG_EV_PONG:
		o.type = ev->type == MSG_EV_PING ? O_PING : O_PONG;
		o.data = ev->data;
		o.len = ev->len;
		break;
	case MSG_EV_CLOSE:
		o.type = ev->fault ? O_ERROR : O_CLOSE;
		o.code = ev->fault ? ev->fault : ev->code;
		o.why = ev->why;
		o.data = ev->reason ? (const unsigned char *)ev->reason :
			ev->data;
		o.len = ev->rlen;
		break;
	case MSG_EV_ERROR:
		o.type = O_ERROR;
		o.code = ev->code;
		o.why = ev->why;
		break;
	}
	observe(r, &o);
	return !r->done;
}

static void feed_frames(struct run *r, unsigned char *p, size_t n)
{
	if (!r->done) {
		msg_read(&r->in, p, n, on_message, r);
	}
}

/* The response head is complete: judge it or go on to frames. */
static bool head_done(struct run *r)
{
	const struct wsc_httphead *h = r->k->head;
	struct obs o = { .type = O_HEAD };
	char why[300], q[200];

	if (r->cs->kind->head == HEAD_JUDGE) {
		observe(r, &o);
		return false;
	}
	if (h->status != open_status(r)) {
		report_quote(q, sizeof(q), h->reason, strlen(h->reason), 60);
		verdict(r, CHECK_FAIL, "the handshake was refused: HTTP %d %s",
			h->status, q);
		return false;
	}
	if (r->cs->offer != OFFER_NONE) {
		const char *ext = httphead_get(h, "Sec-WebSocket-Extensions");
		int a = ext ? deflate_client_accept(ext, strlen(ext), &r->dcfg,
			&r->dp, why, sizeof(why)) : 0;

		if (a < 0) {
			report_quote(q, sizeof(q), ext, strlen(ext), 120);
			o.type = O_ERROR;
			o.why = why;
			if (r->cs->kind->head == HEAD_EXT) {
				// a negotiation case judges the answer itself
				observe(r, &o);
				return false;
			}
			verdict(r, CHECK_FAIL, "an invalid extension response "
				"%s: %s", q, why);
			return false;
		}
		r->deflated = a == 1;
		if (r->deflated) {
			r->def = deflate_tx_new(&r->dp, DEFLATE_CLIENT, -1);
			if (!r->def) {
				verdict(r, CHECK_FAIL, "out of memory");
				return false;
			}
		}
	}
	msg_init(&r->in, &(struct msg_params){ .role = FRAME_ROLE_CLIENT,
		.pmd = r->deflated ? &r->dp : NULL });
	r->tx_off = 0;
	buf_clear(&r->tx);
	if (r->cs->kind->prep) {
		r->cs->kind->prep(r);
	}
	if (!r->done) {
		pump(r);
	}
	return !r->done;
}

static void on_data(void *user, unsigned char *buf, size_t len)
{
	struct run *r = user;

	if (r->done) {
		return;
	}
	r->heard = true;
	if (!r->head_done) {
		size_t used = 0;
		enum wsc_httphead_status st = httphead_feed(r->k->head,
			(const char *)buf, len, &used);

		if (r->first) {         // the head, for the cause of a refusal
			trace_add(r->k->trace->resp, &r->k->trace->resp_len, buf,
				used);
		}

		if (st == HTTPHEAD_MORE) {
			return;
		}
		if (st == HTTPHEAD_ERROR) {
			verdict(r, CHECK_FAIL, "not an HTTP response (%s)",
				r->k->head->why);
			return;
		}
		r->head_done = true;
		buf += used;
		len -= used;
		if (!head_done(r)) {
			return;
		}
	}
	feed_frames(r, buf, len);
}

static void on_open(void *user, struct rawconn *c)
{
	struct run *r = user;

	r->rc = c;
	r->opened = true;
	r->k->conn_failures = 0;
	rawconn_set_idle(r->rc, CHECK_CASE_LIMIT_MS);
	if (!buf_append(&r->tx, r->req, r->req_len, 0)) {
		verdict(r, CHECK_FAIL, "out of memory");
		return;
	}
	pump(r);
}

static void on_writable(void *user)
{
	struct run *r = user;

	pump(r);
	if (r->cs->kind->room && !r->done) {
		r->cs->kind->room(r);
	}
}

static void on_closed(void *user, const char *why)
{
	struct run *r = user;
	struct obs o = { .type = O_END, .why = why };

	r->rc = NULL;
	if (r->h2) {
		r->ends = h2_ends(r->h2);       // (it is freed after this)
		r->h2 = NULL;
	}
	if (r->done) {
		return;
	}
	if (!r->opened) {
		r->k->conn_failures++;
		snprintf(r->k->last_fail, sizeof(r->k->last_fail), "%s",
			why ? why : "connection failed");
		verdict(r, CHECK_FAIL, "no connection: %s", r->k->last_fail);
		return;
	}
	if (why && !strncmp(why, "timeout", 7)) {
		o.type = O_TIMEOUT;
		r->silence = true;
		if (!r->heard) {
			r->k->mute_cases++;
		}
	}
	observe(r, &o);
	if (!r->done) {
		verdict(r, CHECK_FAIL, "the connection ended (%s)",
			why ? why : "closed by the server");
	}
}

static const struct rawconn_cb run_cb = {
	on_open, on_data, on_writable, on_closed,
};

/* --- over HTTP/2 (h2.h): the extended CONNECT's stream --- */

static void send_h2_request(struct run *r)
{
	if (r->sent || r->done || !r->h2) {
		return;
	}
	r->sent = true;
	if (!h2_request(r->h2, r->req, r->req_len)) {
		verdict(r, CHECK_FAIL, "the request could not be sent");
	}
}

// The server's SETTINGS came (the case that sends before them has sent)
static void on_h2_open(void *user)
{
	struct run *r = user;

	r->opened = true;
	r->k->conn_failures = 0;
	h2_set_idle(r->h2, CHECK_CASE_LIMIT_MS);
	send_h2_request(r);
}

static void on_h2_started(void *user)
{
	struct run *r = user;

	if (r->cs->edit == REQ_H2_EARLY) {
		r->early = true;
		send_h2_request(r);     // (unless h2_open() has not returned)
	}
}

static void on_h2_field(void *user, const char *name, size_t nlen,
		const char *value, size_t vlen)
{
	struct run *r = user;
	char line[HTTPHEAD_MAX];
	size_t n = httphead_feed_h2(r->k->head, name, nlen, value, vlen, line,
		sizeof(line));

	r->heard = true;
	if (r->first) {         // the head, for the cause of a refusal
		trace_add(r->k->trace->resp, &r->k->trace->resp_len, line, n);
	}
}

static void on_h2_head(void *user, bool end)
{
	struct run *r = user;
	size_t used;

	if (r->done) {
		return;
	}
	if (httphead_feed(r->k->head, "\r\n", 2, &used) != HTTPHEAD_DONE) {
		verdict(r, CHECK_FAIL, "not an HTTP response (%s)",
			*r->k->head->why ? r->k->head->why : "no :status");
		return;
	}
	r->head_done = true;
	head_done(r);
}

static const struct h2_cb run_h2_cb = {
	on_h2_open, on_h2_field, on_h2_head, on_data, on_writable, on_closed,
	on_h2_started,
};

/* --- the request --- */

// The line the case's request leaves out, if any.
static char *drop_from(struct run *r, enum req_edit edit)
{
	const char *name = edit == REQ_NO_KEY ? "Sec-WebSocket-Key: " :
		edit == REQ_H2_NO_PROTOCOL ? ":protocol: " :
		edit == REQ_H2_NO_PATH ? ":path: " : NULL;

	return name ? strstr(r->req, name) : NULL;
}

/* The client's request (cp->rq), edited as the case says. */
static bool build_request(struct run *r, const struct wsc_conn_params *cp)
{
	const struct ccase *cs = r->cs;
	struct wsc_handshake_request rq = cp->rq;
	bool h2 = r->k->trace->http2;
	unsigned char nonce[16];
	char *p;
	ssize_t n;

	if (cs->edit == REQ_NO_PROTOCOL) {
		rq.protocols = NULL;
	} else if (cs->edit == REQ_PROTOCOLS) {
		rq.protocols = offered_protocols(r->k->opts);
	}
	if (cs->offer != OFFER_NONE) {
		if (cs->offer == OFFER_NO_CONTEXT) {
			r->dcfg.server_no_context_takeover = true;
			r->dcfg.client_no_context_takeover = true;
		} else if (cs->offer == OFFER_WINDOW10) {
			r->dcfg.server_max_window_bits = 10;
		}
		if (!deflate_offer_format(&r->dcfg, r->offer,
				sizeof(r->offer))) {
			return false;
		}
		rq.extensions = r->offer;
	}
	if (!mask_bytes(&r->k->mask, nonce, sizeof(nonce))) {
		return false;
	}
	n = h2 ? handshake_write_request_h2(r->req, sizeof(r->req), &rq) :
		handshake_write_request(r->req, sizeof(r->req), &rq, nonce,
		r->key);
	if (n < 0) {
		return false;
	}
	r->req_len = (size_t)n;
	if (cs->edit == REQ_VERSION12 && (p = strstr(r->req, h2 ?
			"sec-websocket-version: 13" : "Sec-WebSocket-Version: 13"))) {
		p[sizeof("Sec-WebSocket-Version: 1") - 1] = '2';
	} else if ((p = drop_from(r, cs->edit))) {
		char *e = strstr(p, "\r\n") + 2;     // the line dropped

		memmove(p, e, strlen(e) + 1);
		r->req_len = strlen(r->req);
	}
	return true;
}

/* --- a case --- */

/* The case is not run: the server went away (its verdict says so). */
static bool skipped(struct run *r)
{
	const struct checker *k = r->k;

	if (k->conn_failures >= 2) {
		verdict(r, CHECK_FAIL, "not run: the server stopped accepting "
			"connections (%s)", k->last_fail);
	} else if (k->mute_cases >= 2) {
		verdict(r, CHECK_FAIL, "not run: the server stopped answering "
			"(two connections in a row without a byte in %d s)",
			CHECK_CASE_LIMIT_MS / 1000);
	} else if (k->no_echo && r->cs->kind->echo) {
		verdict(r, CHECK_FAIL, "not run: the server does not echo");
	}
	return r->done;
}

static void connect_case(struct run *r, bool first)
{
	struct checker *k = r->k;
	struct wsc_conn_params cp;
	struct rawconn *c;
	char why[300];

	clientreq_params(&k->rq, k->tls, &cp);
	if (!build_request(r, &cp)) {
		verdict(r, CHECK_FAIL, "cannot build the request");
		return;
	}
	cp.net.connect_ms = k->opts->connect_timeout_ms;
	if (first) {
		r->first = true;
		trace_reset(k->trace, lws_now_usecs());
		cp.net.trace = k->trace;
	}
	if (k->trace->http2) {
		struct h2 *h = h2_open(k->ctx, &cp.net, &run_h2_cb, r, why,
			sizeof(why));

		if (h && r->done) {
			h2_close(h);
		} else if (h) {
			r->h2 = h;
			if (r->early) {
				send_h2_request(r);
			}
		}
		if (h || r->done) {
			return;
		}
	} else if ((c = rawconn_open(k->ctx, &cp.net, &run_cb, r, why,
			sizeof(why)))) {
		if (!r->done) {
			r->rc = c;      // (on_open may have set it already)
		}
		return;
	}
	k->conn_failures++;
	snprintf(k->last_fail, sizeof(k->last_fail), "%s", why);
	verdict(r, CHECK_FAIL, "no connection: %s", why);
}

struct run *run_case(struct checker *k, const struct ccase *cs, bool first)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r) {
		return NULL;
	}
	r->k = k;
	r->cs = cs;
	r->t0 = lws_now_usecs();
	r->dcfg.client_max_window_bits = DEFLATE_BITS_BARE;
	httphead_init(k->head, false);
	if (!skipped(r)) {
		connect_case(r, first);
	}
	while (!r->done) {
		if (lws_service(k->ctx, 0) < 0) {
			verdict(r, CHECK_FAIL, "the event loop failed");
		}
	}
	if (r->heard) {
		k->mute_cases = 0;
	}
	return r;
}

void run_free(struct run *r)
{
	if (!r) {
		return;
	}
	for (size_t i = 0; i < r->nexp; i++) {
		if (i == 0 || r->exp[i].data != r->exp[i - 1].data) {
			free(r->exp[i].data);
		}
	}
	msg_finish(&r->in);
	deflate_tx_free(r->def);
	free(r->pong);
	free(r->block);
	buf_free(&r->tx);
	buf_free(&r->msg);
	free(r);
}
