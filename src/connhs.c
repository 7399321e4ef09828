/*
 * connhs.c - the opening handshake of a client connection (conn.h): the
 * Upgrade request written and sent, the response head read into the
 * trace, a refusal's body waited for (-D shows its start), and the
 * verdict on a 101, permessage-deflate included; then conn.c takes over.
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
	if (!mask_bytes(c->keys, nonce, sizeof(nonce)) || (n =
			handshake_write_request(c->req, sizeof(c->req), &rq,
			nonce, c->key)) < 0) {
		return false;
	}
	c->req_len = (size_t)n;
	memcpy(c->trace->key, c->key, sizeof(c->trace->key));
	return true;
}

void connhs_send(struct wsc_conn *c, struct rawconn *rc)
{
	c->rc = rc;
	c->phase = PH_RESPONSE;
	c->trace->t_request = lws_now_usecs();
	trace_add(c->trace->req, &c->trace->req_len, c->req, c->req_len);
	if (rawconn_write(rc, c->req, c->req_len) < c->req_len) {
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

const char *conn_protocol(const struct wsc_conn *c)
{
	return c->protocol;
}

const char *conn_extensions(const struct wsc_conn *c)
{
	return c->extensions;
}
