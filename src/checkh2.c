/*
 * checkh2.c - the kinds of case of wsc --check --http2 that test RFC 8441
 * itself (checkcase.h), rather than RFC 6455 over it: the server's
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, its 200 without the HTTP/1.1
 * handshake's Sec-WebSocket-Accept, its refusal of an extended CONNECT
 * that lacks :protocol or :path, what it does with one sent before its
 * SETTINGS came, and the stream's end after the Close exchange.
 *
 * The HTTP/2 framing is nghttp2's (h2.h); these judge what it reports.
 */
#include "checkcase.h"

#include <stdio.h>
#include <string.h>

#include "checkrun.h"
#include "frame.h"
#include "h2.h"
#include "httphead.h"

#define ENABLE_CONNECT_PROTOCOL 0x8    // the setting's id (RFC 8441 3)

/* 9.1: the setting that allows the extended CONNECT (RFC 8441 3). The
 * connection is not made without it (h2.c), so a case that runs saw 1;
 * the value is read as the server sent it all the same. */
static void j_settings(struct run *r, const struct obs *o)
{
	uint32_t v;

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	v = r->h2 ? h2_peer_setting(r->h2, ENABLE_CONNECT_PROTOCOL) : 0;
	verdict(r, v == 1 ? CHECK_PASS : CHECK_FAIL,
		"SETTINGS_ENABLE_CONNECT_PROTOCOL=%u", (unsigned)v);
}

/* 9.2: RFC 8441 5: Sec-WebSocket-Key and Sec-WebSocket-Accept are not
 * used over HTTP/2. A server that sends the Accept all the same breaks
 * nothing (the client ignores it), hence non-strict, not a failure. */
static void j_no_accept(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	const char *acc = httphead_get(h, "Sec-WebSocket-Accept");
	char q[200];

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != 200) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (acc) {
		report_quote(q, sizeof(q), acc, strlen(acc), 60);
		verdict(r, CHECK_NONSTRICT, "200 with Sec-WebSocket-Accept %s "
			"(not used over HTTP/2)", q);
	} else {
		verdict(r, CHECK_PASS, "200 without Sec-WebSocket-Accept");
	}
}

/*
 * 9.3, 9.4: a request that is no WebSocket request. Without :protocol it
 * is a plain CONNECT (RFC 9113 8.5) that still has :scheme and :path:
 * malformed either way, and it must not open a WebSocket; any refusal
 * passes. Without :path the extended CONNECT is malformed (RFC 8441 4):
 * RFC 9113 8.1.1 makes that a stream error of type PROTOCOL_ERROR, and a
 * 400 says the same; another refusal is non-strict.
 */
static void j_not_websocket(struct run *r, const struct obs *o)
{
	const struct wsc_httphead *h = r->k->head;
	bool path = r->cs->edit == REQ_H2_NO_PATH;

	if (o->type == O_HEAD) {
		if (h->status >= 200 && h->status <= 299) {
			verdict(r, CHECK_FAIL, "HTTP %d: accepted", h->status);
		} else if (h->status < 400 || (path && h->status != 400)) {
			verdict(r, CHECK_NONSTRICT, "HTTP %d", h->status);
		} else {
			verdict(r, CHECK_PASS, "HTTP %d", h->status);
		}
		return;
	}
	if (o->type != O_END) {
		common(r, o, "(no response)");
		return;
	}
	if (r->ends & H2_END_RST) {
		verdict(r, !path || (o->why && strstr(o->why,
			"PROTOCOL_ERROR")) ?
			CHECK_PASS : CHECK_NONSTRICT, "%s", o->why);
	} else {
		// the whole connection ended, not just the stream
		verdict(r, CHECK_NONSTRICT, "%s", o->why ? o->why :
			"the connection ended, no answer");
	}
}

/* 9.5: RFC 8441 3 binds the client (it must wait for the SETTINGS); a
 * server cannot tell whether its SETTINGS had arrived, so whatever it
 * does is shown, not judged. */
static void j_early(struct run *r, const struct obs *o)
{
	if (o->type == O_HEAD) {
		verdict(r, CHECK_INFO, "HTTP %d", r->k->head->status);
	} else if (o->type == O_END || o->type == O_TIMEOUT) {
		verdict(r, CHECK_INFO, "%s", o->type == O_TIMEOUT ?
			"no answer" : o->why ? o->why : "the connection ended");
	} else {
		common(r, o, "(no response)");
	}
}

/* 9.6: RFC 8441 6: END_STREAM stands for the TCP FIN of RFC 6455 once the
 * Close handshake is done, and RST_STREAM (CANCEL) for a connection that
 * fails. So after the Close echoed: END_STREAM both ways, no reset. */
static void p_end(struct run *r)
{
	put_close(r, 1000, NULL, 0);
}

static void j_end(struct run *r, const struct obs *o)
{
	switch (o->type) {
	case O_CLOSE:
		if (o->code != 1000 || r->got) {
			verdict(r, CHECK_FAIL, "Close %u", o->code);
			return;
		}
		// the server ends first, as it closes TCP first in RFC 6455
		// 7.1.1; h2.c's END_STREAM answers its own
		r->got = 1;
		return;
	case O_END:
		if (!r->got) {
			common(r, o, "before the Close echo");
		} else if (r->ends & H2_END_RST) {
			verdict(r, CHECK_NONSTRICT, "Close 1000, then %s", o->why);
		} else if (!(r->ends & H2_END_THEIRS)) {
			verdict(r, CHECK_FAIL, "Close 1000, then the connection "
				"ended without END_STREAM");
		} else {
			verdict(r, CHECK_PASS, "Close 1000, END_STREAM both ways");
		}
		return;
	case O_TIMEOUT:
		verdict(r, CHECK_FAIL, "%s in %d s", r->got ? "Close 1000, "
			"then no END_STREAM" : "no Close", CHECK_CASE_LIMIT_MS /
			1000);
		return;
	default:
		common(r, o, "the Close echo");
	}
}

const struct case_kind kind_h2_settings = { .judge = j_settings,
	.head = HEAD_JUDGE };
const struct case_kind kind_h2_no_accept = { .judge = j_no_accept,
	.head = HEAD_JUDGE };
const struct case_kind kind_h2_not_websocket = { .judge = j_not_websocket,
	.head = HEAD_JUDGE };
const struct case_kind kind_h2_early = { .judge = j_early,
	.head = HEAD_JUDGE };
const struct case_kind kind_h2_end = { .prep = p_end, .judge = j_end };
