/*
 * test-message.c - the message layer (message.h). Each row is a stream of
 * frames, built here (masked for the server role, compressed with
 * deflate_tx for RSV1 rows), and the events it must give, rendered as:
 * "<t" / "<b" a message starts (text, binary; "z" after it when
 * compressed), payload bytes (\xNN when not printable), ">" its end,
 * "ping(..)", "pong(..)", "close(code,reason)" with "!fault" when the
 * Close breaks RFC 6455, "error(code:why)". A message that fails is not
 * rendered (what of it came before the failure depends on the reads).
 * Every row runs in both roles, streamed and held, and is fed whole, a
 * byte at a time and split at every offset; all must render the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"
#include "message.h"
#include "render.h"
#include "tap.h"

/* --- building streams --- */

struct stream {
	unsigned char b[8192];
	size_t n;
	bool masked;            // frames to a server
	struct deflate_tx *tx;  // compressing what z() frames
};

static void frame(struct stream *s, unsigned b0, const void *p, size_t n)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = frame_write_header(s->b + s->n, b0, n, NULL, NULL);

	if (s->masked) {
		s->b[s->n + 1] |= 0x80;
		memcpy(s->b + s->n + h, key, 4);
		h += 4;
		frame_mask(s->b + s->n + h, p, n, key, 0);
	} else if (n) {
		memcpy(s->b + s->n + h, p, n);
	}
	s->n += h + n;
}

struct zbuf {
	unsigned char p[4096];
	size_t n;
};

static int zsink(void *arg, const unsigned char *d, size_t n)
{
	struct zbuf *z = arg;

	memcpy(z->p + z->n, d, n);
	z->n += n;
	return 0;
}

/* A compressed message, its payload cut into frames of at most cut bytes
 * (0: one frame). */
static void z(struct stream *s, unsigned op, const void *p, size_t n,
		size_t cut)
{
	struct zbuf c = { .n = 0 };
	size_t at = 0;

	deflate_tx_write(s->tx, p, n, true, zsink, &c);
	do {
		size_t k = cut && c.n - at > cut ? cut : c.n - at;
		unsigned b0 = (at ? FRAME_CONT : FRAME_RSV1 | op) |
			(at + k == c.n ? FRAME_FIN : 0);

		frame(s, b0, c.p + at, k);
		at += k;
	} while (at < c.n);
}

/* --- rendering --- */

struct rec {
	struct render out;
	size_t msg_at;          // where the open message's rendering starts
	bool in_msg;
	unsigned datas;         // DATA events of the open message
	bool hold;
};

static bool record(void *arg, const struct msg_event *ev)
{
	struct rec *r = arg;
	char b[200];

	switch (ev->type) {
	case MSG_EV_START:
		render_invariant(&r->out, !r->in_msg, "START inside a message");
		r->in_msg = true;
		r->msg_at = r->out.len;
		r->datas = 0;
		render_put(&r->out, ev->binary ? "<b" : "<t", 2);
		if (ev->compressed) {
			render_put(&r->out, "z", 1);
		}
		break;
	case MSG_EV_DATA:
		render_invariant(&r->out, r->in_msg, "DATA outside a message");
		render_invariant(&r->out, ev->len > 0, "empty DATA");
		render_invariant(&r->out, !r->hold || !r->datas,
			"held, yet two DATA");
		r->datas++;
		render_esc(&r->out, ev->data, ev->len);
		break;
	case MSG_EV_END:
		render_invariant(&r->out, r->in_msg, "END outside a message");
		r->in_msg = false;
		render_put(&r->out, ">", 1);
		break;
	case MSG_EV_PING:
	case MSG_EV_PONG:
		render_invariant(&r->out, !r->hold || !r->in_msg,
			"held, yet a Ping inside");
		render_put(&r->out, ev->type == MSG_EV_PING ? "ping(" : "pong(",
			5);
		render_esc(&r->out, ev->data, ev->len);
		render_put(&r->out, ")", 1);
		break;
	case MSG_EV_CLOSE:
		snprintf(b, sizeof(b), "close(%u,", ev->code);
		render_put(&r->out, b, strlen(b));
		render_esc(&r->out, ev->reason, ev->rlen);
		if (ev->fault) {
			snprintf(b, sizeof(b), "!%u", ev->fault);
			render_put(&r->out, b, strlen(b));
			render_invariant(&r->out, ev->why && *ev->why,
				"a fault without why");
		}
		render_put(&r->out, ")", 1);
		break;
	case MSG_EV_ERROR:
		if (r->in_msg) {
			r->out.len = r->msg_at;
			r->out.s[r->out.len] = '\0';     // the failed message is not shown
			r->in_msg = false;
		}
		snprintf(b, sizeof(b), "error(%u:%s)", ev->code, ev->why);
		render_put(&r->out, b, strlen(b));
		break;
	}
	return true;
}

struct row {
	const char *name;
	bool pmd, reset;        // permessage-deflate; the peer resets
	uint64_t max;
	void (*build)(struct stream *s);
	const char *want;
	const char *want_held;  // NULL: as want
};

static void render(const struct row *w, enum wsc_frame_role role,
		bool hold, const struct stream *in, size_t cut, size_t chunk,
		struct rec *r)
{
	struct deflate_params dp = { .server_max_window_bits = 15,
		.client_max_window_bits = 15,
		.server_no_context_takeover = w->reset,
		.client_no_context_takeover = w->reset };
	struct msg_reader m;
	unsigned char *buf = malloc(in->n ? in->n : 1);
	size_t at = 0;
	bool more = true;

	free(r->out.s);
	memset(r, 0, sizeof(*r));
	render_put(&r->out, "", 0);
	r->hold = hold;
	msg_init(&m, &(struct msg_params){ .role = role,
		.pmd = w->pmd ? &dp : NULL, .max_size = w->max, .hold = hold });
	memcpy(buf, in->b, in->n);
	while (at < in->n && more) {
		size_t piece = at == 0 && cut ? cut : chunk ? chunk : in->n - at;

		if (piece > in->n - at) {
			piece = in->n - at;
		}
		more = msg_read(&m, buf + at, piece, record, r);
		at += piece;
	}
	// once over, nothing more is read
	render_invariant(&r->out, more || !msg_read(&m, buf, in->n, record, r),
		"read after the end");
	msg_finish(&m);
	free(buf);
}

static void check_row(const struct row *w)
{
	for (int role = 0; role < 2; role++) {
		struct deflate_params dp = { .server_max_window_bits = 15,
			.client_max_window_bits = 15 };
		struct stream s = { .n = 0, .masked = role == FRAME_ROLE_SERVER };
		static struct rec whole, r;

		s.tx = deflate_tx_new(&dp, role == FRAME_ROLE_SERVER ?
			DEFLATE_CLIENT : DEFLATE_SERVER, -1);
		w->build(&s);
		deflate_tx_free(s.tx);
		for (int hold = 0; hold < 2; hold++) {
			const char *want = hold && w->want_held ? w->want_held :
				w->want;
			const char *how = "";
			size_t where = 0;

			render(w, role, hold, &s, 0, 0, &whole);
			is_str(whole.out.s, want, "%s (%s, %s)", w->name,
				role ? "server" : "client", hold ? "held" : "streamed");
			for (size_t cut = 0; cut < s.n && !*how; cut++) {
				render(w, role, hold, &s, cut, cut ? 0 : 1, &r);
				if (strcmp(r.out.s, whole.out.s) || r.out.bad) {
					how = r.out.bad ? r.out.bad_why : cut ? "split" :
						"byte at a time";
					where = cut;
					diag("got %s", r.out.s);
				}
			}
			ok(!*how && !whole.out.bad, "%s (%s, %s): every feeding the "
				"same %s %zu %s", w->name, role ? "server" : "client",
				hold ? "held" : "streamed", how, where, whole.out.bad_why);
		}
	}
}

/* --- the rows --- */

#define TEXT(s) FRAME_FIN | FRAME_TEXT, s, sizeof(s) - 1

static void b_hello(struct stream *s) { frame(s, TEXT("hello")); }

static void b_fragments(struct stream *s)
{
	frame(s, FRAME_BINARY, "\x00\x01", 2);
	frame(s, FRAME_CONT, "", 0);
	frame(s, FRAME_FIN | FRAME_CONT, "\xff", 1);
}

static void b_utf8_split(struct stream *s)
{
	frame(s, FRAME_TEXT, "caf\xc3", 4);
	frame(s, FRAME_FIN | FRAME_CONT, "\xa9!", 2);
}

static void b_bad_utf8(struct stream *s)
{
	frame(s, TEXT("ok"));
	frame(s, FRAME_TEXT, "ab", 2);
	frame(s, FRAME_FIN | FRAME_CONT, "\xff", 1);
}

static void b_controls(struct stream *s)
{
	frame(s, FRAME_TEXT, "ab", 2);
	frame(s, FRAME_FIN | FRAME_PING, "p", 1);
	frame(s, FRAME_CONT, "c", 1);
	frame(s, FRAME_FIN | FRAME_PONG, "", 0);
	frame(s, FRAME_FIN | FRAME_CONT, "d", 1);
	frame(s, FRAME_FIN | FRAME_CLOSE, "\x03\xe8" "bye", 5);
	frame(s, TEXT("after"));
}

static void b_bad_close_in_message(struct stream *s)
{
	frame(s, FRAME_TEXT, "x", 1);
	frame(s, FRAME_FIN | FRAME_CLOSE, "\x03\xe8\xff", 3);
}

static void b_eight(struct stream *s) { frame(s, TEXT("12345678")); }
static void b_nine(struct stream *s) { frame(s, TEXT("123456789")); }

static void b_nine_fragments(struct stream *s)
{
	frame(s, FRAME_TEXT, "12345", 5);
	frame(s, FRAME_FIN | FRAME_CONT, "6789", 4);
}

static void b_past_limit_then_bad(struct stream *s)
{
	frame(s, FRAME_TEXT, "x", 1);
	frame(s, FRAME_FIN | FRAME_CONT, "ab\x80", 3);
}

static void b_z_abc_bad(struct stream *s)
{
	z(s, FRAME_TEXT, "abc\xff", 4, 0);
}

static void b_z_ab_bad(struct stream *s)
{
	z(s, FRAME_TEXT, "ab\xff", 3, 0);
}

static void b_z_hello(struct stream *s)
{
	z(s, FRAME_TEXT, "hello hello hello", 17, 0);
	z(s, FRAME_BINARY, "\x00\xff", 2, 2);
}

static void b_z_controls(struct stream *s)
{
	struct zbuf c = { .n = 0 };

	deflate_tx_write(s->tx, "caf\xc3\xa9 caf\xc3\xa9", 11, true, zsink, &c);
	frame(s, FRAME_RSV1 | FRAME_TEXT, "", 0);
	frame(s, FRAME_FIN | FRAME_PING, "p", 1);
	frame(s, FRAME_CONT, c.p, 2);
	frame(s, FRAME_FIN | FRAME_CONT, c.p + 2, c.n - 2);
}

static void b_z_bad_utf8(struct stream *s)
{
	z(s, FRAME_BINARY, "\xff", 1, 0);
	z(s, FRAME_TEXT, "ab\xff", 3, 1);
}

static void b_z_cut_sequence(struct stream *s)
{
	z(s, FRAME_TEXT, "ab\xc3", 3, 0);
}

static unsigned char noise[300];

static void b_z_incompressible(struct stream *s, size_t n)
{
	z(s, FRAME_BINARY, noise, n, 100);
}

static void b_z_256(struct stream *s) { b_z_incompressible(s, 256); }
static void b_z_257(struct stream *s) { b_z_incompressible(s, 257); }

static void b_plain_257(struct stream *s)
{
	frame(s, FRAME_FIN | FRAME_BINARY, noise, 257);
}

static void b_z_twice(struct stream *s)
{
	// the second refers back to the first (our compressor keeps its
	// context): fine unless the peer said it resets
	z(s, FRAME_TEXT, "abcdefgh", 8, 0);
	z(s, FRAME_TEXT, "abcdefgh", 8, 0);
}

static void b_rsv1_plain(struct stream *s)
{
	frame(s, FRAME_FIN | FRAME_RSV1 | FRAME_TEXT, "x", 1);
}

static void b_mask_wrong(struct stream *s)
{
	s->masked = !s->masked;
	frame(s, TEXT("x"));
}

#define CLOSE_ROW(name, payload) \
	static void b_close_##name(struct stream *s) \
	{ \
		frame(s, FRAME_FIN | FRAME_CLOSE, payload, sizeof(payload) - 1); \
	}
CLOSE_ROW(none, "")
CLOSE_ROW(c1000, "\x03\xe8")
CLOSE_ROW(c4000, "\x0f\xa0" "bye")
CLOSE_ROW(c1012, "\x03\xf4")
CLOSE_ROW(one, "\x03")
CLOSE_ROW(c1005, "\x03\xed")
CLOSE_ROW(c999, "\x03\xe7")
CLOSE_ROW(c5000, "\x13\x88")
CLOSE_ROW(bad_reason, "\x03\xe8\xff")

static const struct row rows[] = {
	{ "text", 0, 0, 0, b_hello, "<thello>", NULL },
	{ "binary in fragments", 0, 0, 0, b_fragments, "<b\\x00\\x01\\xff>",
		NULL },
	{ "UTF-8 split across frames", 0, 0, 0, b_utf8_split,
		"<tcaf\\xc3\\xa9!>", NULL },
	{ "text that is not UTF-8", 0, 0, 0, b_bad_utf8,
		"<tok>error(1007:text message that is not valid UTF-8)", NULL },
	{ "control frames inside a message, a Close, nothing after", 0, 0, 0,
		b_controls, "<tabping(p)cpong()d>close(1000,bye)",
		"ping(p)pong()<tabcd>close(1000,bye)" },
	{ "a Close with a bad reason inside a message", 0, 0, 0,
		b_bad_close_in_message, "<txclose(1000,\\xff!1007)",
		"close(1000,\\xff!1007)" },
	{ "max-size 8: 8 bytes", 0, 0, 8, b_eight, "<t12345678>", NULL },
	{ "max-size 8: 9 bytes", 0, 0, 8, b_nine,
		"error(1009:frame of 9 bytes, more than the 8-byte limit)",
		NULL },
	{ "max-size 8: 9 bytes in fragments", 0, 0, 8, b_nine_fragments,
		"error(1009:message of more than 8 bytes (5 + a frame of 4))",
		NULL },
	{ "deflate: max-size 8, 9 plain bytes", 1, 0, 8, b_nine,
		"error(1009:message of more than 8 bytes)", NULL },
	{ "deflate: max-size 1, plain text past it, then not UTF-8", 1, 0, 1,
		b_past_limit_then_bad, "error(1009:message of more than 1 "
		"bytes)", NULL },
	{ "deflate: max-size 2, inflated text past it before a bad byte", 1,
		0, 2, b_z_abc_bad, "error(1009:message of more than 2 bytes "
		"once inflated)", NULL },
	{ "deflate: max-size 2, a bad byte within it", 1, 0, 2, b_z_ab_bad,
		"error(1007:compressed text message that is not valid UTF-8)",
		NULL },
	{ "deflate: text and binary", 1, 0, 0, b_z_hello,
		"<tzhello hello hello><bz\\x00\\xff>", NULL },
	{ "deflate: UTF-8 and a Ping among the frames", 1, 0, 0,
		b_z_controls, "<tzping(p)caf\\xc3\\xa9 caf\\xc3\\xa9>",
		"ping(p)<tzcaf\\xc3\\xa9 caf\\xc3\\xa9>" },
	{ "deflate: inflated text that is not UTF-8", 1, 0, 0, b_z_bad_utf8,
		"<bz\\xff>error(1007:compressed text message that is not "
		"valid UTF-8)", NULL },
	{ "deflate: inflated text ending inside a sequence", 1, 0, 0,
		b_z_cut_sequence, "error(1007:compressed text message that is "
		"not valid UTF-8)", NULL },
	{ "deflate: max-size 256, 256 incompressible bytes", 1, 0, 256,
		b_z_256, NULL, NULL },
	{ "deflate: max-size 256, 257 incompressible bytes", 1, 0, 256,
		b_z_257, "error(1009:message of more than 256 bytes once "
		"inflated)", NULL },
	{ "deflate: max-size 256, 257 plain bytes", 1, 0, 256,
		b_plain_257, "error(1009:message of more than 256 bytes)", NULL },
	{ "deflate: context taken over", 1, 0, 0, b_z_twice,
		"<tzabcdefgh><tzabcdefgh>", NULL },
	{ "deflate: the peer resets its context", 1, 1, 0, b_z_twice,
		"<tzabcdefgh>error(1007:compressed message that does not "
		"inflate (invalid compressed data (invalid distance too far "
		"back)))", NULL },
	{ "RSV1 without deflate", 0, 0, 0, b_rsv1_plain,
		"error(1002:RSV1 bit set without a negotiated extension)",
		NULL },
	{ "close: no payload", 0, 0, 0, b_close_none, "close(1005,)", NULL },
	{ "close: 1000", 0, 0, 0, b_close_c1000, "close(1000,)", NULL },
	{ "close: 4000 with reason", 0, 0, 0, b_close_c4000,
		"close(4000,bye)", NULL },
	{ "close: 1012", 0, 0, 0, b_close_c1012, "close(1012,)", NULL },
	{ "close: 1-byte payload", 0, 0, 0, b_close_one, "close(1005,!1002)",
		NULL },
	{ "close: 1005 on the wire", 0, 0, 0, b_close_c1005,
		"close(1005,!1002)", NULL },
	{ "close: 999", 0, 0, 0, b_close_c999, "close(999,!1002)", NULL },
	{ "close: 5000", 0, 0, 0, b_close_c5000, "close(5000,!1002)", NULL },
	{ "close: reason not UTF-8", 0, 0, 0, b_close_bad_reason,
		"close(1000,\\xff!1007)", NULL },
};

static bool count_data(void *arg, const struct msg_event *ev)
{
	*(unsigned *)arg += ev->type == MSG_EV_DATA;
	return true;
}

static bool stop_at_start(void *arg, const struct msg_event *ev)
{
	(void)arg;
	return ev->type != MSG_EV_START;
}

int main(void)
{
	static struct rec noisy;
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(noise); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (unsigned char)x;
	}
	// the incompressible message, rendered
	render_put(&noisy.out, "<bz", 3);
	render_esc(&noisy.out, noise, 256);
	render_put(&noisy.out, ">", 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct row w = rows[i];

		w.want = w.want ? w.want : noisy.out.s;
		check_row(&w);
	}
	// masking: what each role expects
	for (int role = 0; role < 2; role++) {
		struct row w = { "", 0, 0, 0, b_mask_wrong, NULL, NULL };
		struct stream s = { .n = 0, .masked = role == FRAME_ROLE_SERVER };
		static struct rec r;

		b_mask_wrong(&s);
		render(&w, role, false, &s, 0, 0, &r);
		is_str(r.out.s, role ? "error(1002:unmasked frame from the client)" :
			"error(1002:masked frame from the server)",
			"the wrong masking (%s)", role ? "server" : "client");
	}
	// a plain text message found invalid within one read: none of it
	{
		struct stream s = { .n = 0 };
		struct msg_reader m;
		unsigned n = 0;

		b_bad_utf8(&s);
		msg_init(&m, &(struct msg_params){ .role = FRAME_ROLE_CLIENT });
		ok(!msg_read(&m, s.b, s.n, count_data, &n) && n == 1,
			"invalid text within one read: no DATA of it (%u)", n);
		msg_finish(&m);
	}
	// the callback stops the read
	{
		struct stream s = { .n = 0 };
		struct msg_reader m;

		b_hello(&s);
		b_hello(&s);
		msg_init(&m, &(struct msg_params){ .role = FRAME_ROLE_CLIENT });
		ok(!msg_read(&m, s.b, s.n, stop_at_start, NULL),
			"the callback stops the read");
		msg_finish(&m);
	}
	return done_testing();
}
