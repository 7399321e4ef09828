/*
 * checkkinds.c - the kinds of case of wsc --check (checkcase.h): what
 * each sends once the handshake is done and how it judges what comes
 * back, grouped as the report groups them: the handshake, echoes and
 * control frames, what the server must fail, Close, and
 * permessage-deflate negotiation. The measurements are checkinfo.c's.
 */
#include "checkcase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "frame.h"
#include "httphead.h"

#define PROBE "wsc-check-probe"

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
	const char *list = offered_protocols(r->k->opts);
	char q[200];

	if (o->type != O_HEAD) {
		common(r, o, "(no response)");
		return;
	}
	if (h->status != open_status(r)) {
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
	if (h->status == open_status(r)) {
		verdict(r, CHECK_FAIL, "HTTP %d: the handshake was accepted",
			h->status);
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
	if (h->status != open_status(r)) {
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
		} else if (r->cs->offer != OFFER_NONE) {
			verdict(r, CHECK_PASS, "echoed unchanged%s",
				o->code ? " (compressed)" : " (not compressed)");
		} else {
			verdict(r, CHECK_PASS, "echoed unchanged");
		}
	}
}

/* The server must fail the connection: Close with bad.want (pass), with
 * another code or a dropped connection (non-strict). */
static void j_fail(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		verdict(r, o->code == r->cs->bad.want ? CHECK_PASS :
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

/* Not the Close a Close case waits for: messages, Pings and Pongs may
 * come first. */
static void close_awaited(struct run *r, const struct obs *o)
{
	if (o->type != O_MSG && o->type != O_PING && o->type != O_PONG) {
		common(r, o, "(no Close in answer)");
	}
}

/* A valid Close: the answer should echo the code. */
static void j_close_ok(struct run *r, const struct obs *o)
{
	char t[200];

	switch (o->type) {
	case O_CLOSE:
		close_text(t, sizeof(t), o);
		if (o->code == r->cs->close.code || (r->cs->close.empty &&
				(o->code == 1005 || o->code == 1000))) {
			verdict(r, CHECK_PASS, "%s", t);
		} else if (o->code == 1002 || o->code == 1007) {
			verdict(r, CHECK_FAIL, "%s: a valid Close taken for an "
				"error", t);
		} else {
			verdict(r, CHECK_NONSTRICT, "%s, not the code echoed", t);
		}
		return;
	default:
		close_awaited(r, o);
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
	default:
		close_awaited(r, o);
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
		verdict(r, CHECK_INFO, "no answer in %d s",
			CHECK_CASE_LIMIT_MS / 1000);
		return;
	default:
		return;
	}
}

/* --- preparations --- */

static void p_echo(struct run *r)
{
	const struct case_msg *m = &r->cs->msg;
	unsigned char *p = payload(m->op, m->len);

	if (!p) {
		verdict(r, CHECK_FAIL, "out of memory");
		return;
	}
	expect_msg(r, m->op, p, m->len);
	if (r->cs->offer != OFFER_NONE && !r->deflated) {
		verdict(r, CHECK_FAIL, "permessage-deflate was declined");
		return;
	}
	if (r->deflated && !m->plain) {
		for (unsigned i = 0; i < (m->copies ? m->copies : 1); i++) {
			if (i) {
				expect_msg(r, m->op, p, m->len);
			}
			if (!put_deflated(r, m->op, p, m->len)) {
				verdict(r, CHECK_FAIL, "compression failed");
				return;
			}
		}
		return;
	}
	put_message(r, m->op, p, m->len, m->frag);
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
	r->pong = payload(FRAME_BINARY, r->cs->msg.len);
	r->pong_len = r->cs->msg.len;
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

// "κόσμε" then an encoded surrogate, U+D800
static const char BAD_UTF8[] =
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited";

/* Compressed text that is not UTF-8 once inflated: failed as plain text
 * is (RFC 7692 6: the payload is checked after it is inflated). */
static void put_bad_deflated(struct run *r)
{
	if (!r->deflated) {
		verdict(r, CHECK_FAIL, "permessage-deflate was declined");
		return;
	}
	if (!put_deflated(r, FRAME_TEXT, (const unsigned char *)BAD_UTF8,
			sizeof(BAD_UTF8) - 1)) {
		verdict(r, CHECK_FAIL, "compression failed");
	}
}

/* What the server must fail the connection for, then the probe Ping
 * (answering it would show that the server went on). */
static void p_bad(struct run *r)
{
	const struct case_bad *b = &r->cs->bad;
	size_t n = sizeof(BAD_UTF8) - 1;
	unsigned char *p = payload(FRAME_TEXT, b->len > 4 ? b->len : 4);

	if (!p) {
		verdict(r, CHECK_FAIL, "out of memory");
		return;
	}
	switch (b->how) {
	case BAD_FRAME:
	case BAD_FRAME_UNMASKED:
		put_frame(r, b->b0, p, b->len, b->how == BAD_FRAME);
		break;
	case BAD_PING_FRAGMENTED:
		put_frame(r, FRAME_PING, p, 2, true);
		put_frame(r, FRAME_FIN | FRAME_CONT, p + 2, 2, true);
		break;
	case BAD_TEXT_INSIDE:
		put_frame(r, FRAME_TEXT, p, 4, true);
		put_frame(r, FRAME_FIN | FRAME_TEXT, p, 4, true);
		break;
	case BAD_UTF8_FRAME:
		put_frame(r, FRAME_FIN | FRAME_TEXT, BAD_UTF8, n, true);
		break;
	case BAD_UTF8_SPLIT:
		put_frame(r, FRAME_TEXT, BAD_UTF8, 12, true);
		put_frame(r, FRAME_FIN | FRAME_CONT, BAD_UTF8 + 12, n - 12,
			true);
		break;
	case BAD_UTF8_REASON:
		put_close(r, 1000, BAD_UTF8, n);
		free(p);
		return;         // nothing follows a Close
	case BAD_UTF8_DEFLATED:
		put_bad_deflated(r);
		break;
	}
	free(p);
	if (!r->done) {
		put_frame(r, FRAME_FIN | FRAME_PING, PROBE, sizeof(PROBE) - 1,
			true);
	}
}

static void p_close(struct run *r)
{
	const struct case_close *c = &r->cs->close;
	char reason[FRAME_CONTROL_MAX];

	if (c->empty) {
		put_frame(r, FRAME_FIN | FRAME_CLOSE, NULL, 0, true);
		return;
	}
	memset(reason, 'r', c->reason_len);
	put_close(r, c->code, reason, c->reason_len);
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
	if (h->status != open_status(r)) {
		verdict(r, CHECK_FAIL, "HTTP %d", h->status);
	} else if (!r->deflated) {
		verdict(r, r->cs->offer == OFFER_BARE ? CHECK_FAIL : CHECK_INFO,
			"declined (no permessage-deflate in the answer)");
	} else {
		verdict(r, CHECK_PASS, "accepted: %s", q);
	}
}

static void p_negotiate(struct run *r)
{
	j_negotiate(r, &(struct obs){ .type = O_HEAD });
}


/* --- the kinds --- */

const struct case_kind kind_accept = { .judge = j_accept,
	.head = HEAD_JUDGE };
const struct case_kind kind_upgrade = { .judge = j_upgrade,
	.head = HEAD_JUDGE };
const struct case_kind kind_protocol = { .judge = j_protocol,
	.head = HEAD_JUDGE };
const struct case_kind kind_refusal = { .judge = j_refusal,
	.head = HEAD_JUDGE };
const struct case_kind kind_no_ext = { .judge = j_no_ext,
	.head = HEAD_JUDGE };
const struct case_kind kind_echo = { .prep = p_echo, .judge = j_echo,
	.echo = true };
const struct case_kind kind_utf8_split = { .prep = p_utf8_split,
	.judge = j_echo, .echo = true };
const struct case_kind kind_ping = { .prep = p_ping, .judge = j_echo };
const struct case_kind kind_ping_between = { .prep = p_ping_between,
	.judge = j_echo, .echo = true };
const struct case_kind kind_unsolicited_pong = { .prep = p_unsolicited_pong,
	.judge = j_echo, .echo = true };
const struct case_kind kind_fail = { .prep = p_bad, .judge = j_fail };
const struct case_kind kind_close_ok = { .prep = p_close,
	.judge = j_close_ok };
const struct case_kind kind_close_bad = { .prep = p_close,
	.judge = j_close_bad };
const struct case_kind kind_close_info = { .prep = p_close,
	.judge = j_close_info };
const struct case_kind kind_negotiate = { .prep = p_negotiate,
	.judge = j_negotiate, .head = HEAD_EXT };
