/*
 * check.c - wsc --check URL: the case battery and its judges (check.h).
 *
 * Each case opens its own connection (rawconn.h), writes the Upgrade
 * request (handshake.h; edited for the handshake cases), then the frames
 * the case needs, valid or deliberately broken (frame.h), and feeds what
 * comes back to a client-role message reader (message.h). The case's
 * judge sees each observation (the response head, a message, a Ping, Pong
 * or Close, an invalid frame, the end of the connection, the time limit:
 * CASE_LIMIT_MS of silence) and gives the verdict. Cases after two connections that
 * could not be made in a row are not run (the server went away); when the
 * first case's cannot be made or is refused, no case is reported, only the
 * client's line for that failure (diagnose.h).
 */
#include "check.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libwebsockets.h>

#include "buf.h"
#include "deflate.h"
#include "diagnose.h"
#include "frame.h"
#include "handshake.h"
#include "headers.h"
#include "httphead.h"
#include "log.h"
#include "mask.h"
#include "message.h"
#include "rawconn.h"
#include "report.h"
#include "state.h"
#include "tls.h"
#include "trace.h"

#define CASE_LIMIT_MS 5000
#define MSG_STORE_MAX (2 * 1024 * 1024)
#define RTT_N 100
#define TPUT_N 1000
#define TPUT_SIZE 65536
#define TPUT_WINDOW 8
#define PROBE "wsc-check-probe"

enum obs_type { O_HEAD, O_MSG, O_PING, O_PONG, O_CLOSE, O_ERROR, O_END,
	O_TIMEOUT };

struct obs {
	enum obs_type type;
	unsigned opcode, code;
	const unsigned char *data;
	size_t len;
	const char *why;
};

struct run;
typedef void (*judge_fn)(struct run *r, const struct obs *o);
typedef void (*prep_fn)(struct run *r);

enum req_edit { REQ_NORMAL, REQ_NO_PROTOCOL, REQ_VERSION12, REQ_NO_KEY,
	REQ_PROTOCOLS };

struct ccase {
	char id[16];
	const char *group;
	char sent[160], expected[160];
	prep_fn prep;
	judge_fn judge;
	enum req_edit edit;
	bool deflate;                   // offer permessage-deflate
	size_t len;                     // payload length
	unsigned op, code, b0;
	size_t frag;                    // fragment size (0: one frame)
	int param;
};

struct expect {
	unsigned op;
	unsigned char *data;
	size_t len;
};

struct checker {
	const struct wsc_opts *opts;
	struct lws_context *ctx;
	struct tls_ctx *tls;
	struct wsc_mask mask;
	struct check_report rep;
	struct wsc_httphead *head;      // each case's response: the trace's
	char host_hdr[300];
	char authorization[600];
	const char *host;               // Host header value
	int conn_failures;              // in a row
	int mute_cases;                 // in a row: timed out, no byte read
	char last_fail[300];
	// the first case's connection: the causes of a failure to make it
	struct wsc_trace *trace;
	struct wsc_buf case_mem;        // holds cases
	struct ccase *cases;            // ncases of them, in case_mem
	size_t ncases;
};

struct run {
	struct checker *k;
	const struct ccase *cs;
	struct rawconn *rc;
	bool opened, head_done, done;
	bool heard;                     // a byte came from the server
	bool first;                     // the first case: k->trace records it
	int64_t t0;
	char key[HANDSHAKE_KEY_LEN + 1];
	char req[8192];
	size_t req_len;
	char offer[HANDSHAKE_EXT_MAX];
	struct msg_reader in;           // what comes back, as messages
	// bytes to send
	struct wsc_buf tx;              // frames to send, sent up to tx_off
	size_t tx_off;
	// the message being received
	unsigned char *msg;
	size_t msg_len, msg_cap;
	uint64_t msg_total;
	unsigned msg_op;
	bool msg_rsv1, nostore;
	// what the judge waits for
	struct expect exp[4];
	size_t nexp, got;
	bool need_pong, got_pong;
	unsigned char *pong;
	size_t pong_len;
	// permessage-deflate
	struct deflate_config dcfg;
	bool deflated;
	struct deflate_params dp;
	struct deflate_tx *def;
	// info cases
	int iter, sent_n;
	int64_t t_sent;
	double samples[RTT_N];
	// the verdict
	enum check_verdict v;
	char observed[700];
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- the verdict --- */

static void verdict(struct run *r, enum check_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void verdict(struct run *r, enum check_verdict v, const char *fmt, ...)
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
	// a timer's verdict comes before lws' poll(): wake it (LWS-NOTES)
	lws_cancel_service(r->k->ctx);
}

static const char *op_name(unsigned op)
{
	return op == FRAME_TEXT ? "text" : op == FRAME_BINARY ? "binary" :
		"?";
}

/* A Close as observed: "Close 1002 'reason'". */
static void close_text(char *out, size_t size, const struct obs *o)
{
	char q[120];

	if (o->code == 1005) {
		snprintf(out, size, "Close without a code");
		return;
	}
	if (o->len) {
		report_quote(q, sizeof(q), o->data, o->len, 60);
		snprintf(out, size, "Close %u %s", o->code, q);
	} else {
		snprintf(out, size, "Close %u", o->code);
	}
}

/* Observations every judge treats alike: invalid frames, the end. */
static bool common(struct run *r, const struct obs *o, const char *waiting)
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
			CASE_LIMIT_MS / 1000, waiting);
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

/* One frame, b0 as given (FIN, RSV bits, opcode), masked unless !masked;
 * any length, control or not. */
static void put_frame(struct run *r, unsigned b0, const void *data,
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

static void put_close(struct run *r, unsigned code, const char *reason,
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

static void pump(struct run *r)
{
	while (r->rc && r->tx_off < r->tx.len) {
		size_t n = rawconn_write(r->rc, r->tx.p + r->tx_off,
			r->tx.len - r->tx_off);

		if (!n) {
			return;
		}
		r->tx_off += n;
	}
	if (r->tx_off == r->tx.len) {
		r->tx_off = 0;
		buf_clear(&r->tx);
	}
}

static unsigned char *payload(unsigned op, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++) {
		p[i] = op == FRAME_TEXT ? (unsigned char)('a' + (i * 7) % 26) :
			(unsigned char)(i * 31 + 7);
	}
	return p;
}

static void expect_msg(struct run *r, unsigned op, unsigned char *data,
		size_t len)
{
	r->exp[r->nexp].op = op;
	r->exp[r->nexp].data = data;
	r->exp[r->nexp].len = len;
	r->nexp++;
}

/* A message in frames of frag bytes (0: one frame). */
static void put_message(struct run *r, unsigned op, const unsigned char *p,
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

/* A compressed message, one frame with RSV1. */
static bool put_deflated(struct run *r, unsigned op, const unsigned char *p,
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
	if (r->msg_len + n > MSG_STORE_MAX) {
		n = MSG_STORE_MAX - r->msg_len;
	}
	if (r->msg_len + n > r->msg_cap) {
		size_t cap = r->msg_cap ? r->msg_cap : 4096;
		unsigned char *m;

		while (cap < r->msg_len + n) {
			cap *= 2;
		}
		m = realloc(r->msg, cap);
		if (!m) {
			return;
		}
		r->msg = m;
		r->msg_cap = cap;
	}
	memcpy(r->msg + r->msg_len, p, n);
	r->msg_len += n;
}

static void observe(struct run *r, const struct obs *o)
{
	if (!r->done) {
		r->cs->judge(r, o);
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
		r->msg_len = 0;
		r->msg_total = 0;
		return true;
	case MSG_EV_DATA:
		msg_append(r, ev->data, ev->len);
		return true;
	case MSG_EV_END:
		o.type = O_MSG;
		o.opcode = r->msg_op;
		o.data = r->msg;
		o.len = r->msg_len;
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

	if (!strcmp(r->cs->group, "handshake")) {
		observe(r, &o);
		return false;
	}
	if (h->status != 101) {
		report_quote(q, sizeof(q), h->reason, strlen(h->reason), 60);
		verdict(r, CHECK_FAIL, "the handshake was refused: HTTP %d %s",
			h->status, q);
		return false;
	}
	if (r->cs->deflate) {
		const char *ext = httphead_get(h, "Sec-WebSocket-Extensions");
		int a = ext ? deflate_client_accept(ext, strlen(ext), &r->dcfg,
			&r->dp, why, sizeof(why)) : 0;

		if (a < 0) {
			report_quote(q, sizeof(q), ext, strlen(ext), 120);
			o.type = O_ERROR;
			o.why = why;
			if (!strcmp(r->cs->group, "deflate") && r->cs->param) {
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
	if (r->cs->prep) {
		r->cs->prep(r);
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
	rawconn_set_idle(r->rc, CASE_LIMIT_MS);
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
	if (r->cs->param == -1 && !r->done) {
		r->cs->judge(r, &(struct obs){ .type = O_PING + 100 });
	}
}

static void on_closed(void *user, const char *why)
{
	struct run *r = user;
	struct obs o = { .type = O_END, .why = why };

	r->rc = NULL;
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

/* --- the request --- */

static bool build_request(struct run *r)
{
	const struct ccase *cs = r->cs;
	const struct wsc_opts *op = r->k->opts;
	struct wsc_handshake_request rq = { 0 };
	unsigned char nonce[16];
	char *p;
	ssize_t n;

	rq.host = r->k->host;
	rq.port = 0;
	rq.tls = op->url.tls;
	rq.path = op->url.path;
	rq.origin = op->origin;
	rq.protocols = *op->protocols ? op->protocols : NULL;
	if (cs->edit == REQ_NO_PROTOCOL) {
		rq.protocols = NULL;
	} else if (cs->edit == REQ_PROTOCOLS && !rq.protocols) {
		rq.protocols = "wsc-check-a, wsc-check-b";
	}
	if (cs->deflate) {
		if (cs->param == 4) {
			r->dcfg.server_no_context_takeover = true;
			r->dcfg.client_no_context_takeover = true;
		} else if (cs->param == 5) {
			r->dcfg.server_max_window_bits = 10;
		}
		if (!deflate_offer_format(&r->dcfg, r->offer,
				sizeof(r->offer))) {
			return false;
		}
		rq.extensions = r->offer;
	}
	rq.authorization = *r->k->authorization ? r->k->authorization : NULL;
	rq.headers = op->headers;
	rq.n_headers = op->n_headers;
	if (!mask_bytes(&r->k->mask, nonce, sizeof(nonce))) {
		return false;
	}
	n = handshake_write_request(r->req, sizeof(r->req), &rq, nonce,
		r->key);
	if (n < 0) {
		return false;
	}
	r->req_len = (size_t)n;
	if (cs->edit == REQ_VERSION12 && (p = strstr(r->req,
			"Sec-WebSocket-Version: 13"))) {
		p[sizeof("Sec-WebSocket-Version: 1") - 1] = '2';
	} else if (cs->edit == REQ_NO_KEY && (p = strstr(r->req,
			"Sec-WebSocket-Key: "))) {
		char *e = strstr(p, "\r\n") + 2;

		memmove(p, e, strlen(e) + 1);
		r->req_len = strlen(r->req);
	}
	return true;
}

/* --- judges --- */

static void j_accept(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	char want[HANDSHAKE_ACCEPT_LEN + 1], q[200];
	const char *got;

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != 101) {
		report_quote(q, sizeof(q), h->reason, strlen(h->reason), 60);
		verdict(r, CHECK_FAIL, "HTTP %d %s", h->status, q);
		return;
	}
	handshake_accept(r->key, want);
	got = httphead_get(h, "Sec-WebSocket-Accept");
	if (!got) {
		verdict(r, CHECK_FAIL, "101 without Sec-WebSocket-Accept");
	} else if (strcmp(got, want)) {
		report_quote(q, sizeof(q), got, strlen(got), 60);
		verdict(r, CHECK_FAIL, "Sec-WebSocket-Accept %s, not '%s'", q,
			want);
	} else if (httphead_count(h, "Sec-WebSocket-Accept") > 1) {
		verdict(r, CHECK_FAIL, "Sec-WebSocket-Accept repeated");
	} else {
		verdict(r, CHECK_PASS, "101 with the right Sec-WebSocket-Accept");
	}
}

static void j_upgrade(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	bool up = httphead_has_token(h, "Upgrade", "websocket");
	bool conn = httphead_has_token(h, "Connection", "upgrade");

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != 101) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (!up || !conn) {
		verdict(r, CHECK_FAIL, "101 without %s%s%s",
			up ? "" : "Upgrade: websocket", !up && !conn ? " and " :
			"", conn ? "" : "Connection: Upgrade");
	} else {
		verdict(r, CHECK_PASS, "101 with Upgrade: websocket and "
			"Connection: Upgrade");
	}
}

// whether name is in the comma list offered
static bool offered(const char *list, const char *name)
{
	const char *p = list, *s;
	size_t n;

	while (list && httphead_list_next(&p, &s, &n)) {
		if (n == strlen(name) && !strncmp(s, name, n)) {
			return true;
		}
	}
	return false;
}

static void j_protocol(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	const char *got = httphead_get(h, "Sec-WebSocket-Protocol");
	const char *list = *r->k->opts->protocols ? r->k->opts->protocols :
		"wsc-check-a, wsc-check-b";
	char q[200];

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != 101) {
		verdict(r, r->cs->edit == REQ_NO_PROTOCOL ? CHECK_INFO :
			CHECK_FAIL, "HTTP %d (refused)", h->status);
		return;
	}
	if (got) {
		report_quote(q, sizeof(q), got, strlen(got), 60);
	}
	if (r->cs->edit == REQ_NO_PROTOCOL) {
		if (got) {
			verdict(r, CHECK_FAIL, "Sec-WebSocket-Protocol %s chosen",
				q);
		} else {
			verdict(r, CHECK_PASS, "none chosen");
		}
	} else if (!got) {
		verdict(r, CHECK_PASS, "none chosen");
	} else if (httphead_count(h, "Sec-WebSocket-Protocol") > 1) {
		verdict(r, CHECK_FAIL, "Sec-WebSocket-Protocol repeated");
	} else if (!offered(list, got)) {
		verdict(r, CHECK_FAIL, "Sec-WebSocket-Protocol %s, never "
			"offered", q);
	} else {
		verdict(r, CHECK_PASS, "%s chosen", q);
	}
}

static void j_refusal(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	int want = r->cs->edit == REQ_VERSION12 ? 426 : 400;
	const char *ver = httphead_get(h, "Sec-WebSocket-Version");
	char q[200] = "";

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (ver) {
		report_quote(q, sizeof(q), ver, strlen(ver), 60);
	}
	if (h->status == 101) {
		verdict(r, CHECK_FAIL, "101: the handshake was accepted");
	} else if (h->status < 400 || h->status > 499) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (want == 426 && !ver) {
		verdict(r, CHECK_NONSTRICT, "HTTP %d without "
			"Sec-WebSocket-Version", h->status);
	} else if (h->status != want) {
		verdict(r, CHECK_NONSTRICT, "HTTP %d%s%s", h->status,
			ver ? ", Sec-WebSocket-Version " : "", q);
	} else {
		verdict(r, CHECK_PASS, "HTTP %d%s%s", h->status,
			ver ? ", Sec-WebSocket-Version " : "", q);
	}
}

static void j_no_ext(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	const char *ext = httphead_get(h, "Sec-WebSocket-Extensions");
	char q[200];

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != 101) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (ext && *ext) {
		report_quote(q, sizeof(q), ext, strlen(ext), 80);
		verdict(r, CHECK_FAIL, "Sec-WebSocket-Extensions %s accepted",
			q);
	} else {
		verdict(r, CHECK_PASS, "no extension");
	}
}

/* Where a message differs from what was sent. */
static size_t first_diff(const unsigned char *a, const unsigned char *b,
		size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i]) {
		i++;
	}
	return i;
}

static void j_echo(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_MSG: {
		const struct expect *e;

		if (r->got >= r->nexp) {
			verdict(r, CHECK_FAIL, "an unexpected %s message of %zu "
				"bytes", op_name(o->opcode), o->len);
			return;
		}
		e = &r->exp[r->got];
		if (o->opcode != e->op) {
			verdict(r, CHECK_FAIL, "a %s message, not %s",
				op_name(o->opcode), op_name(e->op));
			return;
		}
		if (o->len != e->len || (e->len && memcmp(o->data, e->data,
				e->len))) {
			size_t d = first_diff(o->data, e->data, o->len < e->len ?
				o->len : e->len);

			verdict(r, CHECK_FAIL, "%s of %zu bytes, not %zu; first "
				"difference at byte %zu", op_name(o->opcode),
				o->len, e->len, d);
			return;
		}
		r->got++;
		break;
	}
	case O_PONG:
		if (!r->need_pong) {
			return;         // unsolicited Pongs may come
		}
		if (o->len != r->pong_len || memcmp(o->data, r->pong,
				o->len)) {
			report_quote(t, sizeof(t), o->data, o->len, 40);
			verdict(r, CHECK_FAIL, "a Pong with %zu bytes %s, not the "
				"Ping's %zu", o->len, t, r->pong_len);
			return;
		}
		r->got_pong = true;
		break;
	case O_PING:
		return;
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		verdict(r, CHECK_FAIL, "%s after %zu of %zu echoes%s", t,
			r->got, r->nexp, r->need_pong && !r->got_pong ?
			", no Pong" : "");
		return;
	default:
		if (r->nexp) {
			snprintf(t, sizeof(t), "(%zu of %zu echoes%s)", r->got,
				r->nexp, r->need_pong && !r->got_pong ?
				", no Pong" : "");
		} else {
			snprintf(t, sizeof(t), "(no Pong)");
		}
		common(r, o, t);
		return;
	}
	if (r->got == r->nexp && (!r->need_pong || r->got_pong)) {
		if (r->need_pong && r->nexp) {
			verdict(r, CHECK_PASS, "the Pong and the echo");
		} else if (r->need_pong) {
			verdict(r, CHECK_PASS, "a Pong with the same %zu bytes",
				r->pong_len);
		} else if (r->cs->deflate) {
			verdict(r, CHECK_PASS, "echoed unchanged%s",
				o->code ? " (compressed)" : " (not compressed)");
		} else {
			verdict(r, CHECK_PASS, "echoed unchanged");
		}
	}
}

/* The server must fail the connection: Close with cs->code (pass), with
 * another code or a dropped connection (non-strict). */
static void j_fail(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		verdict(r, o->code == r->cs->code ? CHECK_PASS :
			CHECK_NONSTRICT, "%s", t);
		return;
	case O_END:
		verdict(r, CHECK_NONSTRICT, "the connection dropped without a "
			"Close%s%s", o->why ? ": " : "", o->why ? o->why : "");
		return;
	case O_PONG:
		if (o->len == sizeof(PROBE) - 1 && !memcmp(o->data, PROBE,
				o->len)) {
			verdict(r, CHECK_FAIL, "went on: answered the next Ping");
		}
		return;
	case O_MSG:
		verdict(r, CHECK_FAIL, "went on: sent a %s message of %zu "
			"bytes", op_name(o->opcode), o->len);
		return;
	case O_PING:
		return;
	default:
		common(r, o, "(no Close)");
		return;
	}
}

/* A valid Close: the answer should echo the code. */
static void j_close_ok(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		if (o->code == r->cs->code || (!r->cs->code &&
				(o->code == 1005 || o->code == 1000))) {
			verdict(r, CHECK_PASS, "%s", t);
		} else if (o->code == 1002 || o->code == 1007) {
			verdict(r, CHECK_FAIL, "%s: a valid Close taken for an "
				"error", t);
		} else {
			verdict(r, CHECK_NONSTRICT, "%s, not the code echoed", t);
		}
		return;
	case O_MSG:
	case O_PING:
	case O_PONG:
		return;
	default:
		common(r, o, "(no Close in answer)");
		return;
	}
}

/* An invalid close code: 1002 expected. */
static void j_close_bad(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		verdict(r, o->code == 1002 ? CHECK_PASS : CHECK_NONSTRICT, "%s%s",
			t, o->code == 1002 ? "" : ": the invalid code accepted");
		return;
	case O_END:
		verdict(r, CHECK_NONSTRICT, "the connection dropped without a "
			"Close");
		return;
	case O_ERROR:
		verdict(r, CHECK_FAIL, "answered with an invalid Close (%s)",
			o->why);
		return;
	case O_MSG:
	case O_PING:
	case O_PONG:
		return;
	default:
		common(r, o, "(no Close in answer)");
		return;
	}
}

/* 1012-1014: registered after RFC 6455; what the server does is shown. */
static void j_close_info(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		verdict(r, CHECK_INFO, "%s", t);
		return;
	case O_END:
		verdict(r, CHECK_INFO, "dropped without a Close");
		return;
	case O_ERROR:
		verdict(r, CHECK_INFO, "an invalid frame (%s)", o->why);
		return;
	case O_TIMEOUT:
		verdict(r, CHECK_INFO, "no answer in %d s", CASE_LIMIT_MS / 1000);
		return;
	default:
		return;
	}
}

/* --- preparations --- */

static void p_echo(struct run *r)
{
	const struct ccase *cs = r->cs;
	unsigned char *p = payload(cs->op, cs->len);

	if (!p) {
		verdict(r, CHECK_FAIL, "out of memory");
		return;
	}
	expect_msg(r, cs->op, p, cs->len);
	if (cs->deflate && !r->deflated) {
		verdict(r, CHECK_FAIL, "permessage-deflate was declined");
		return;
	}
	if (r->deflated && cs->param != 2) {
		for (int i = 0; i < (cs->param == 3 ? 3 : 1); i++) {
			if (i) {
				expect_msg(r, cs->op, p, cs->len);
			}
			if (!put_deflated(r, cs->op, p, cs->len)) {
				verdict(r, CHECK_FAIL, "compression failed");
				return;
			}
		}
		return;
	}
	put_message(r, cs->op, p, cs->len, cs->frag);
}

// valid UTF-8 split inside a character: "κόσμε" in 1-byte frames
static const char KOSME[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

static void p_utf8_split(struct run *r)
{
	unsigned char *p = malloc(sizeof(KOSME));

	if (!p) {
		return;
	}
	memcpy(p, KOSME, sizeof(KOSME) - 1);
	expect_msg(r, FRAME_TEXT, p, sizeof(KOSME) - 1);
	put_frame(r, FRAME_TEXT, p, 1, true);
	put_frame(r, FRAME_CONT, p + 1, 3, true);
	put_frame(r, FRAME_FIN | FRAME_CONT, p + 4, sizeof(KOSME) - 5, true);
}

static void p_ping(struct run *r)
{
	r->pong = payload(FRAME_BINARY, r->cs->len);
	r->pong_len = r->cs->len;
	r->need_pong = true;
	put_frame(r, FRAME_FIN | FRAME_PING, r->pong, r->pong_len, true);
}

static void p_ping_between(struct run *r)
{
	unsigned char *p = payload(FRAME_TEXT, 20);

	r->pong = (unsigned char *)strdup("between");
	r->pong_len = 7;
	r->need_pong = true;
	expect_msg(r, FRAME_TEXT, p, 20);
	put_frame(r, FRAME_TEXT, p, 10, true);
	put_frame(r, FRAME_FIN | FRAME_PING, r->pong, r->pong_len, true);
	put_frame(r, FRAME_FIN | FRAME_CONT, p + 10, 10, true);
}

static void p_unsolicited_pong(struct run *r)
{
	unsigned char *p = payload(FRAME_TEXT, 16);

	expect_msg(r, FRAME_TEXT, p, 16);
	put_frame(r, FRAME_FIN | FRAME_PONG, "unsolicited", 11, true);
	put_message(r, FRAME_TEXT, p, 16, 0);
}

static void probe(struct run *r)
{
	put_frame(r, FRAME_FIN | FRAME_PING, PROBE, sizeof(PROBE) - 1, true);
}

/* A broken frame (b0, len, masked per param) then the probe Ping. */
static void p_bad(struct run *r)
{
	const struct ccase *cs = r->cs;
	unsigned char *p = payload(FRAME_TEXT, cs->len);

	if (cs->param == 1) {            // a fragmented Ping
		put_frame(r, FRAME_PING, p, 2, true);
		put_frame(r, FRAME_FIN | FRAME_CONT, p + 2, 2, true);
	} else if (cs->param == 2) {     // data frame inside a message
		put_frame(r, FRAME_TEXT, p, 4, true);
		put_frame(r, FRAME_FIN | FRAME_TEXT, p, 4, true);
	} else {
		put_frame(r, cs->b0, p, cs->len, cs->param != 3);
	}
	free(p);
	probe(r);
}

// "κόσμε" then an encoded surrogate, U+D800
static const char BAD_UTF8[] =
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited";

static void p_bad_utf8(struct run *r)
{
	size_t n = sizeof(BAD_UTF8) - 1;

	if (r->cs->param == 0) {
		put_frame(r, FRAME_FIN | FRAME_TEXT, BAD_UTF8, n, true);
	} else if (r->cs->param == 1) {
		put_frame(r, FRAME_TEXT, BAD_UTF8, 12, true);
		put_frame(r, FRAME_FIN | FRAME_CONT, BAD_UTF8 + 12, n - 12,
			true);
	} else {
		put_close(r, 1000, BAD_UTF8, n);
		return;
	}
	probe(r);
}

/* Compressed text that is not UTF-8 once inflated: failed as plain text
 * is (RFC 7692 6: the payload is checked after it is inflated). */
static void p_deflate_bad_utf8(struct run *r)
{
	if (!r->deflated) {
		verdict(r, CHECK_FAIL, "permessage-deflate was declined");
		return;
	}
	if (!put_deflated(r, FRAME_TEXT, (const unsigned char *)BAD_UTF8,
			sizeof(BAD_UTF8) - 1)) {
		verdict(r, CHECK_FAIL, "compression failed");
		return;
	}
	probe(r);
}

static void p_close(struct run *r)
{
	const struct ccase *cs = r->cs;

	if (cs->param == 1) {            // no payload
		put_frame(r, FRAME_FIN | FRAME_CLOSE, NULL, 0, true);
	} else if (cs->len) {
		char reason[FRAME_CONTROL_MAX];

		memset(reason, 'r', cs->len);
		put_close(r, cs->code, reason, cs->len);
	} else {
		put_close(r, cs->code, NULL, 0);
	}
}

/* --- info: round trips and throughput --- */

static void rtt_next(struct run *r)
{
	put_frame(r, FRAME_FIN | FRAME_TEXT, "wsc-check-rtt-16", 16, true);
	r->t_sent = now_us();
	pump(r);
}

static void p_rtt(struct run *r)
{
	rtt_next(r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void j_rtt(struct run *r, const struct obs *o)
{
	char t[80];

	if (o->type == O_MSG) {
		r->samples[r->iter++] = (double)(now_us() - r->t_sent) / 1000;
		if (r->iter < RTT_N) {
			rtt_next(r);
			return;
		}
		qsort(r->samples, RTT_N, sizeof(double), cmp_double);
		verdict(r, CHECK_INFO, "median %.3f ms (min %.3f, max %.3f)",
			(r->samples[RTT_N / 2 - 1] + r->samples[RTT_N / 2]) / 2,
			r->samples[0], r->samples[RTT_N - 1]);
		return;
	}
	if (o->type == O_PING || o->type == O_PONG) {
		return;
	}
	if (o->type == O_CLOSE) {
		verdict(r, CHECK_FAIL, "Close %u after %d echoes", o->code,
			r->iter);
		return;
	}
	snprintf(t, sizeof(t), "(after %d echoes)", r->iter);
	common(r, o, t);
}

static unsigned char tput_data[TPUT_SIZE];

static void tput_fill(struct run *r)
{
	while (r->sent_n < TPUT_N && r->sent_n - r->iter < TPUT_WINDOW &&
			r->tx.len - r->tx_off < 2 * TPUT_SIZE) {
		put_frame(r, FRAME_FIN | FRAME_BINARY, tput_data, TPUT_SIZE, true);
		r->sent_n++;
	}
	pump(r);
}

static void p_tput(struct run *r)
{
	for (size_t i = 0; i < TPUT_SIZE; i++) {
		tput_data[i] = (unsigned char)(i * 31 + 7);
	}
	r->nostore = true;
	r->t_sent = now_us();
	tput_fill(r);
}

static void j_tput(struct run *r, const struct obs *o)
{
	char t[80];

	if (o->type == O_PING + 100) {  // room to write
		tput_fill(r);
		return;
	}
	if (o->type == O_MSG) {
		if (r->msg_total != TPUT_SIZE || o->opcode != FRAME_BINARY) {
			verdict(r, CHECK_FAIL, "echo %d: %s of %llu bytes", r->iter,
				op_name(o->opcode),
				(unsigned long long)r->msg_total);
			return;
		}
		if (++r->iter == TPUT_N) {
			double s = (double)(now_us() - r->t_sent) / 1e6;

			verdict(r, CHECK_INFO, "%d echoes of 64 KiB in %.2f s: "
				"%.1f MiB/s each way", TPUT_N, s,
				TPUT_N * (TPUT_SIZE / 1048576.0) / s);
			return;
		}
		tput_fill(r);
		return;
	}
	if (o->type == O_PING || o->type == O_PONG) {
		return;
	}
	if (o->type == O_CLOSE) {
		verdict(r, CHECK_FAIL, "Close %u after %d echoes", o->code,
			r->iter);
		return;
	}
	snprintf(t, sizeof(t), "(after %d echoes)", r->iter);
	common(r, o, t);
}

/* --- deflate negotiation --- */

static void j_negotiate(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	const char *ext = httphead_get(h, "Sec-WebSocket-Extensions");
	char q[300] = "";

	if (ext) {
		report_quote(q, sizeof(q), ext, strlen(ext), 150);
	}
	if (o->type == O_ERROR) {
		verdict(r, CHECK_FAIL, "%s: %s", q, o->why);
		return;
	}
	if (o->type != O_HEAD) {
		common(r, o, "");
		return;
	}
	if (h->status != 101) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (!r->deflated) {
		verdict(r, r->cs->param == 1 ? CHECK_FAIL : CHECK_INFO,
			"declined (no permessage-deflate in the answer)");
	} else {
		verdict(r, CHECK_PASS, "accepted: %s", q);
	}
}

static void p_negotiate(struct run *r)
{
	j_negotiate(r, &(struct obs){ .type = O_HEAD });
}

/* --- the battery --- */

static struct ccase *add(struct checker *k, const char *group,
		judge_fn judge, prep_fn prep, const char *expected,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static struct ccase *add(struct checker *k, const char *group,
		judge_fn judge, prep_fn prep, const char *expected,
		const char *fmt, ...)
{
	struct ccase *c;
	va_list ap;
	size_t in_group = 1;
	unsigned gno = 1;

	if (!buf_reserve(&k->case_mem, sizeof(*c), 0)) {
		return NULL;
	}
	k->case_mem.len += sizeof(*c);
	k->cases = (struct ccase *)(void *)k->case_mem.p;
	for (size_t i = 0; i < k->ncases; i++) {
		if (!strcmp(k->cases[i].group, group)) {
			in_group++;
		}
	}
	{
		static const char *const order[] = { "handshake", "echo",
			"control", "protocol", "utf8", "close", "deflate",
			"info" };

		for (unsigned i = 0; i < 8; i++) {
			if (!strcmp(order[i], group)) {
				gno = i + 1;
			}
		}
	}
	c = &k->cases[k->ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%u.%zu", gno, in_group);
	c->group = group;
	c->judge = judge;
	c->prep = prep;
	snprintf(c->expected, sizeof(c->expected), "%s", expected);
	va_start(ap, fmt);
	vsnprintf(c->sent, sizeof(c->sent), fmt, ap);
	va_end(ap);
	return c;
}

static const char *len_form(size_t n)
{
	return n < 126 ? "7-bit length" : n < 65536 ? "16-bit length" :
		"64-bit length";
}

static bool battery(struct checker *k)
{
	static const size_t sizes[] = { 0, 125, 126, 65535, 65536, 1048576 };
	static const unsigned ok_codes[] = { 1001, 1002, 1003, 1007, 1008,
		1009, 1010, 1011, 3000, 4999 };
	static const unsigned bad_codes[] = { 0, 999, 1004, 1005, 1006, 1015,
		1016, 2999, 5000 };
	static const char *const rsv[] = { "RSV1", "RSV2", "RSV3" };
	struct ccase *c;

	// 1 handshake
	if (!add(k, "handshake", j_accept, NULL, "101 and Sec-WebSocket-Accept "
			"= base64(SHA-1(key + GUID))", "an Upgrade request") ||
			!add(k, "handshake", j_upgrade, NULL, "Upgrade: websocket "
			"and Connection: Upgrade", "an Upgrade request")) {
		return false;
	}
	c = add(k, "handshake", j_protocol, NULL, "a subprotocol only from "
		"those offered, or none", "subprotocols %s offered",
		*k->opts->protocols ? k->opts->protocols :
		"wsc-check-a, wsc-check-b");
	c->edit = REQ_PROTOCOLS;
	c = add(k, "handshake", j_protocol, NULL, "no subprotocol chosen",
		"no subprotocol offered");
	c->edit = REQ_NO_PROTOCOL;
	c = add(k, "handshake", j_refusal, NULL, "426 with "
		"Sec-WebSocket-Version", "Sec-WebSocket-Version: 12");
	c->edit = REQ_VERSION12;
	c = add(k, "handshake", j_refusal, NULL, "400",
		"a request without Sec-WebSocket-Key");
	c->edit = REQ_NO_KEY;
	add(k, "handshake", j_no_ext, NULL, "no Sec-WebSocket-Extensions",
		"no extension offered");

	// 2 echo
	for (unsigned t = 0; t < 2; t++) {
		unsigned op = t ? FRAME_BINARY : FRAME_TEXT;

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			c = add(k, "echo", j_echo, p_echo, "echoed unchanged",
				"%s of %zu bytes (%s)", op_name(op), sizes[i],
				len_form(sizes[i]));
			c->op = op;
			c->len = sizes[i];
		}
	}
	c = add(k, "echo", j_echo, p_echo, "echoed as one message",
		"text of 64 bytes in 64 fragments of 1 byte");
	c->op = FRAME_TEXT;
	c->len = 64;
	c->frag = 1;
	c = add(k, "echo", j_echo, p_echo, "echoed as one message",
		"binary of 65536 bytes in 16 fragments");
	c->op = FRAME_BINARY;
	c->len = 65536;
	c->frag = 4096;
	add(k, "echo", j_echo, p_utf8_split, "echoed as one message",
		"valid UTF-8 split inside characters across 3 fragments");

	// 3 control frames
	c = add(k, "control", j_echo, p_ping, "a Pong with the same payload",
		"Ping of 0 bytes");
	c->len = 0;
	c = add(k, "control", j_echo, p_ping, "a Pong with the same payload",
		"Ping of 125 bytes");
	c->len = 125;
	add(k, "control", j_echo, p_ping_between, "a Pong, and the message "
		"echoed whole", "Ping between two fragments of a text message");
	add(k, "control", j_echo, p_unsolicited_pong, "the Pong ignored, the "
		"message echoed", "an unsolicited Pong, then a text message");
	c = add(k, "control", j_fail, p_bad, "Close 1002",
		"Ping of 126 bytes");
	c->b0 = FRAME_FIN | FRAME_PING;
	c->len = 126;
	c->code = 1002;
	c = add(k, "control", j_fail, p_bad, "Close 1002", "a fragmented Ping");
	c->param = 1;
	c->len = 4;
	c->code = 1002;
	c = add(k, "control", j_fail, p_bad, "Close 1002",
		"a Close of 1 byte");
	c->b0 = FRAME_FIN | FRAME_CLOSE;
	c->len = 1;
	c->code = 1002;

	// 4 protocol errors
	for (unsigned i = 0; i < 3; i++) {
		c = add(k, "protocol", j_fail, p_bad, "Close 1002",
			"text with %s set, no extension", rsv[i]);
		c->b0 = FRAME_FIN | FRAME_TEXT | (0x40u >> i);
		c->len = 8;
		c->code = 1002;
	}
	for (unsigned op = 3; op < 16; op++) {
		if (op >= 8 && op <= 10) {
			continue;
		}
		c = add(k, "protocol", j_fail, p_bad, "Close 1002",
			"reserved opcode 0x%x", op);
		c->b0 = FRAME_FIN | op;
		c->len = 8;
		c->code = 1002;
	}
	c = add(k, "protocol", j_fail, p_bad, "Close 1002",
		"a continuation without a start");
	c->b0 = FRAME_FIN | FRAME_CONT;
	c->len = 8;
	c->code = 1002;
	c = add(k, "protocol", j_fail, p_bad, "Close 1002",
		"a text frame inside a fragmented message");
	c->param = 2;
	c->len = 4;
	c->code = 1002;
	c = add(k, "protocol", j_fail, p_bad, "Close 1002",
		"an unmasked text frame");
	c->b0 = FRAME_FIN | FRAME_TEXT;
	c->len = 8;
	c->param = 3;
	c->code = 1002;

	// 5 UTF-8
	c = add(k, "utf8", j_fail, p_bad_utf8, "Close 1007",
		"invalid UTF-8 (a surrogate) in one text frame");
	c->code = 1007;
	c = add(k, "utf8", j_fail, p_bad_utf8, "Close 1007",
		"invalid UTF-8 split across two fragments");
	c->code = 1007;
	c->param = 1;
	c = add(k, "utf8", j_fail, p_bad_utf8, "Close 1007",
		"Close 1000 with an invalid UTF-8 reason");
	c->code = 1007;
	c->param = 2;

	// 6 close
	c = add(k, "close", j_close_ok, p_close, "Close 1000 echoed",
		"Close 1000");
	c->code = 1000;
	c = add(k, "close", j_close_ok, p_close, "a Close (1000 or no code)",
		"Close without a code");
	c->param = 1;
	c = add(k, "close", j_close_ok, p_close, "Close 1000 echoed",
		"Close 1000 with a reason of 123 bytes");
	c->code = 1000;
	c->len = 123;
	for (size_t i = 0; i < sizeof(ok_codes) / sizeof(ok_codes[0]); i++) {
		c = add(k, "close", j_close_ok, p_close, "the code echoed",
			"Close %u (valid)", ok_codes[i]);
		c->code = ok_codes[i];
	}
	for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
		c = add(k, "close", j_close_bad, p_close, "Close 1002",
			"Close %u (invalid)", bad_codes[i]);
		c->code = bad_codes[i];
	}
	for (unsigned code = 1012; code <= 1014; code++) {
		c = add(k, "close", j_close_info, p_close, "registered after "
			"RFC 6455: shown", "Close %u", code);
		c->code = code;
	}

	// 7 permessage-deflate
	if (k->opts->deflate) {
		c = add(k, "deflate", j_negotiate, p_negotiate, "accepted, "
			"parameters per RFC 7692",
			"permessage-deflate; client_max_window_bits");
		c->deflate = true;
		c->param = 1;
		c = add(k, "deflate", j_negotiate, p_negotiate, "accepted with "
			"server_no_context_takeover, or declined", "permessage-"
			"deflate; server_no_context_takeover; "
			"client_no_context_takeover; client_max_window_bits");
		c->deflate = true;
		c->param = 4;
		c = add(k, "deflate", j_negotiate, p_negotiate, "accepted with "
			"server_max_window_bits <= 10, or declined",
			"permessage-deflate; server_max_window_bits=10; "
			"client_max_window_bits");
		c->deflate = true;
		c->param = 5;
		c = add(k, "deflate", j_echo, p_echo, "echoed unchanged",
			"compressed text of 4096 bytes");
		c->deflate = true;
		c->op = FRAME_TEXT;
		c->len = 4096;
		c = add(k, "deflate", j_echo, p_echo, "echoed unchanged",
			"compressed binary of 65536 bytes");
		c->deflate = true;
		c->op = FRAME_BINARY;
		c->len = 65536;
		c = add(k, "deflate", j_echo, p_echo, "all three echoed",
			"3 compressed texts of 2000 bytes, context taken over");
		c->deflate = true;
		c->op = FRAME_TEXT;
		c->len = 2000;
		c->param = 3;
		c = add(k, "deflate", j_echo, p_echo, "echoed unchanged",
			"an uncompressed text on a deflate connection");
		c->deflate = true;
		c->op = FRAME_TEXT;
		c->len = 300;
		c->param = 2;
		c = add(k, "deflate", j_fail, p_deflate_bad_utf8, "Close 1007",
			"compressed text whose inflated bytes are not UTF-8");
		c->deflate = true;
		c->code = 1007;
	}

	// 8 info
	add(k, "info", j_rtt, p_rtt, "measured", "%d echoes of 16 bytes, "
		"one at a time", RTT_N);
	c = add(k, "info", j_tput, p_tput, "measured", "%d binary messages of "
		"64 KiB, %d in flight", TPUT_N, TPUT_WINDOW);
	if (c) {
		c->param = -1;
	}
	return c != NULL;
}

/*
 * The first case could not connect, resolve or have its handshake
 * accepted: say why in the client's words, as its one line. No case is
 * run or listed, since none would tell more than that line.
 */
static bool first_case_refused(struct checker *k, const struct run *r)
{
	int status = trace_status(k->trace);    // the proxy's, if it refused
	char cause[8192];

	if (r->opened && (!status || status == 101)) {
		return false;
	}
	diagnose_cause(k->trace, k->opts, k->opts->url_text,
		r->opened ? "" : k->last_fail, !r->opened &&
		!strncmp(k->last_fail, "timeout", 7), status, cause,
		sizeof(cause));
	log_err("%s", cause);
	return true;
}

/* Run one case and report it; false when it was the first and the server
 * could not be reached (then nothing is reported). */
static bool run_case(struct checker *k, const struct ccase *cs, bool first)
{
	bool reached = true;
	struct run *r = calloc(1, sizeof(*r));
	struct rawconn_params p = { 0 };
	const struct wsc_opts *o = k->opts;
	char why[300];

	if (!r) {
		return true;
	}
	r->k = k;
	r->cs = cs;
	r->t0 = now_us();
	r->dcfg.client_max_window_bits = DEFLATE_BITS_BARE;
	httphead_init(k->head, false);
	if (k->conn_failures >= 2) {
		verdict(r, CHECK_FAIL, "not run: the server stopped accepting "
			"connections (%s)", k->last_fail);
	} else if (k->mute_cases >= 2) {
		verdict(r, CHECK_FAIL, "not run: the server stopped answering "
			"(two connections in a row without a byte in %d s)",
			CASE_LIMIT_MS / 1000);
	} else if (!build_request(r)) {
		verdict(r, CHECK_FAIL, "cannot build the request");
	} else {
		p.host = o->url.host;
		p.port = o->url.port;
		p.unix_socket = o->unix_socket;
		p.proxy = o->proxy;
		p.tls = o->url.tls ? k->tls : NULL;
		p.tls_host = k->host;
		p.connect_ms = o->connect_timeout_ms;
		if (first) {
			r->first = true;
			trace_reset(k->trace, now_us());
			p.trace = k->trace;
		}
		struct rawconn *c = rawconn_open(k->ctx, &p, &run_cb, r, why,
			sizeof(why));

		if (c && !r->done) {
			r->rc = c;      // (on_open may have set it already)
		}
		if (!c) {
			k->conn_failures++;
			snprintf(k->last_fail, sizeof(k->last_fail), "%s", why);
			verdict(r, CHECK_FAIL, "no connection: %s", why);
		}
	}
	while (!r->done) {
		if (lws_service(k->ctx, 0) < 0) {
			verdict(r, CHECK_FAIL, "the event loop failed");
		}
	}
	if (r->heard) {
		k->mute_cases = 0;
	}
	if (first && first_case_refused(k, r)) {
		reached = false;
	} else {
		if (first) {
			report_begin(&k->rep, k->opts->url_text, k->ncases);
		}
		report_case(&k->rep, cs->id, cs->group, cs->sent, cs->expected,
			r->v, r->observed, (double)(now_us() - r->t0) / 1000);
	}
	for (size_t i = 0; i < r->nexp; i++) {
		if (i == 0 || r->exp[i].data != r->exp[i - 1].data) {
			free(r->exp[i].data);
		}
	}
	msg_finish(&r->in);
	deflate_tx_free(r->def);
	free(r->pong);
	buf_free(&r->tx);
	free(r->msg);
	free(r);
	return reached;
}

static void lws_log_sink(int level, const char *line)
{
	(void)level;
	(void)line;
}

int check_run(const struct wsc_opts *opts)
{
	struct lws_protocols protocols[] = {
		rawconn_protocol,
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct checker *k = calloc(1, sizeof(*k));
	struct tls_opts to = { 0 };
	sigset_t sigs;
	int64_t t0 = now_us();
	int ret;

	if (!k || !(k->trace = calloc(1, sizeof(*k->trace)))) {
		log_err("out of memory");
		free(k);
		return WSC_EXIT_FAILURE;
	}
	k->head = &k->trace->head;
	// Ctrl-C ends the check at once (main blocked it for its signalfd)
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);

	k->opts = opts;
	mask_init(&k->mask);
	report_init(&k->rep, opts->jsonl);
	url_authority(&opts->url, k->host_hdr, sizeof(k->host_hdr), false);
	k->host = k->host_hdr;
	for (size_t i = 0; i < opts->n_headers; i++) {
		if (!strncasecmp(opts->headers[i], "Host:", 5)) {
			const char *v = opts->headers[i] + 5;

			v += strspn(v, " \t");
			k->host = v;
		}
	}
	if (opts->auth_user && !headers_basic_auth(opts->auth_user,
			opts->auth_pass, k->authorization,
			sizeof(k->authorization))) {
		log_err("--auth: credentials too long");
		free(k->trace);
		free(k);
		return WSC_EXIT_USAGE;
	}
	if (opts->url.tls) {
		to.ca = opts->ca;
		to.cert = opts->cert;
		to.key = opts->key;
		to.insecure = opts->insecure;
		k->tls = tls_ctx_new(&to);
	}
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	lws_set_log_level(0, lws_log_sink);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.pt_serv_buf_size = 256 * 1024;
	info.fd_limit_per_thread = 64;
	info.timeout_secs = (unsigned)(opts->connect_timeout_ms / 1000) + 5;
	k->ctx = lws_create_context(&info);
	if (!k->ctx || !battery(k)) {
		log_err("cannot set up the check");
		if (k->ctx) {
			lws_context_destroy(k->ctx);
		}
		tls_ctx_free(k->tls);
		buf_free(&k->case_mem);
		free(k->trace);
		free(k);
		return WSC_EXIT_FAILURE;
	}
	ret = WSC_EXIT_FAILURE;
	if (k->ncases && run_case(k, &k->cases[0], true)) {
		for (size_t i = 1; i < k->ncases; i++) {
			run_case(k, &k->cases[i], false);
		}
		report_end(&k->rep, (double)(now_us() - t0) / 1e6);
		ret = k->rep.count[CHECK_FAIL] ? WSC_EXIT_FAILURE :
			WSC_EXIT_OK;
	}
	lws_context_destroy(k->ctx);
	if (k->tls) {
		tls_ctx_free(k->tls);
	}
	mask_finish(&k->mask);
	buf_free(&k->case_mem);
	free(k->trace);
	free(k);
	return ret;
}
