/*
 * connhs.c - the opening handshake of a client connection (conn.h): the
 * Upgrade request written and sent, the response head read into the
 * trace, a refusal's body waited for (-D shows its start), and the
 * verdict on a 101, permessage-deflate included; then conn.c takes over.
 * Over HTTP/2 (h2.h) the same steps: the extended CONNECT, the response's
 * fields, a refusal's body from the stream's DATA, the verdict on a 200.
 */
#define _GNU_SOURCE  // memmem
#include "connpriv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_WANTED 1025        // of a refusal: what -D shows, and one more
#define BODY_WAIT_MS 200        // silence that ends waiting for the body

bool connhs_request(struct wsc_conn *c,
		const struct wsc_handshake_request *r)
{
	struct wsc_handshake_request rq = *r;
	unsigned char nonce[16];
	ssize_t n;

	c->protocols = rq.protocols;
	if (c->deflate) {
		c->dcfg.client_max_window_bits = DEFLATE_BITS_BARE;
		deflate_offer_format(&c->dcfg, c->offer, sizeof(c->offer));
		rq.extensions = c->offer;
	}
	if (c->http2) {
		n = handshake_write_request_h2(c->req, sizeof(c->req), &rq);
	} else if (!mask_bytes(c->keys, nonce, sizeof(nonce))) {
		return false;
	} else {
		n = handshake_write_request(c->req, sizeof(c->req), &rq, nonce,
			c->key);
	}
	if (n < 0) {
		return false;
	}
	c->req_len = (size_t)n;
	memcpy(c->trace->key, c->key, sizeof(c->trace->key));
	return true;
}

void connhs_send(struct wsc_conn *c)
{
	bool sent;

	c->phase = PH_RESPONSE;
	c->trace->t_request = lws_now_usecs();
	trace_add(c->trace->req, &c->trace->req_len, c->req, c->req_len);
	sent = c->h2 ? h2_request(c->h2, c->req, c->req_len) :
		rawconn_write(c->rc, c->req, c->req_len) == c->req_len;
	if (!sent) {
		conn_end(c, "the request did not fit");
	}
}

/* --- a refusal --- */

// Enough of the body came, or silence ended the wait: the cause is the
// status (the trace shows it).
static void refused_done(struct wsc_conn *c)
{
	conn_end(c, "");
}

static void body_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_conn *c = lws_container_of(sul, struct wsc_conn, sul);

	c->in_cb++;
	refused_done(c);
	c->in_cb--;
	conn_gone(c);
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
	lws_sul_schedule(c->ctx, 0, &c->sul, body_cb,
		(lws_usec_t)BODY_WAIT_MS * LWS_US_PER_MS);
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

/* --- the verdict --- */

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
	if (c->head->status != trace_open_status(c->trace)) {
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
	if (!handshake_check_response(c->head, c->http2 ? NULL : c->key,
			c->protocols,
			c->deflate ? c->offer : NULL, &res, why, sizeof(why)) ||
			(c->deflate && !setup_deflate(c, why, sizeof(why)))) {
		snprintf(cause, sizeof(cause), "handshake failed: %s", why);
		conn_end(c, cause);
		return;
	}
	snprintf(c->protocol, sizeof(c->protocol), "%s", res.protocol ?
		res.protocol : "");
	snprintf(c->extensions, sizeof(c->extensions), "%s", res.extensions);
	conn_opened(c, rest, n);
}

void connhs_read(struct wsc_conn *c, unsigned char *buf, size_t len)
{
	size_t used = 0;
	enum wsc_httphead_status st;

	if (c->phase == PH_BODY) {
		body_bytes(c, buf, len);
		return;
	}
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
		conn_end(c, cause);
	} else if (st == HTTPHEAD_DONE) {
		head_done(c, buf + used, len - used);
	}
}

/* --- over HTTP/2: the response's fields --- */

// Each field goes twice: to the trace as "name: value" (what -D shows),
// and to the parsed head (httphead_feed_h2), so the verdict, the
// refusal's line and -D read one head whichever way it came.
void connhs_h2_field(struct wsc_conn *c, const char *name, size_t nlen,
		const char *value, size_t vlen)
{
	char line[HTTPHEAD_MAX];
	size_t n = httphead_feed_h2(c->head, name, nlen, value, vlen, line,
		sizeof(line));

	trace_add(c->trace->resp, &c->trace->resp_len, line, n);
}

void connhs_h2_head(struct wsc_conn *c, bool end)
{
	size_t used;
	enum wsc_httphead_status st;

	trace_add(c->trace->resp, &c->trace->resp_len, "\r\n", 2);
	st = httphead_feed(c->head, "\r\n", 2, &used);
	if (st != HTTPHEAD_DONE) {
		char cause[200];

		snprintf(cause, sizeof(cause), "handshake failed: not an "
			"HTTP response (%s)", st == HTTPHEAD_ERROR ?
			c->head->why : "no :status");
		conn_end(c, cause);
		return;
	}
	head_done(c, NULL, 0);
	if (end && !c->dead && c->phase == PH_BODY) {
		refused_done(c);        // the stream ended with the head
	}
}

const char *conn_protocol(const struct wsc_conn *c)
{
	return c->protocol;
}

const char *conn_extensions(const struct wsc_conn *c)
{
	return c->extensions;
}
