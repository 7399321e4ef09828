/*
 * test-frame.c - the frame codec. Each row is a byte stream (hex) and the
 * events it must give, rendered as: "<t" / "<b" a message starts (text,
 * binary; "z" after it when RSV1), payload bytes (\xNN when not
 * printable), "$" the span ending the message, ">" its end,
 * "ping(..)", "pong(..)", "close(code,reason)", "error(code:why)".
 * Every row is fed whole, a byte at a time, 3 bytes at a time and split
 * at every offset; all must render the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "render.h"
#include "tap.h"
#include "utf8.h"

struct rec {
	struct render out;
	bool in_msg, ended, fin_seen;
};

static void record(struct rec *r, const struct wsc_frame_event *ev)
{
	char b[160];

	switch (ev->type) {
	case FRAME_EV_MORE:
		break;
	case FRAME_EV_START:
		render_invariant(&r->out, !r->in_msg, "START inside a message");
		r->in_msg = true;
		r->fin_seen = false;
		render_put(&r->out, ev->opcode == FRAME_TEXT ? "<t" : "<b", 2);
		if (ev->rsv1) {
			render_put(&r->out, "z", 1);
		}
		break;
	case FRAME_EV_DATA:
		render_invariant(&r->out, r->in_msg && !r->fin_seen,
			"DATA outside");
		render_invariant(&r->out, ev->len > 0, "empty DATA");
		render_esc(&r->out, ev->data, ev->len);
		if (ev->fin) {
			r->fin_seen = true;
			render_put(&r->out, "$", 1);
		}
		break;
	case FRAME_EV_END:
		render_invariant(&r->out, r->in_msg, "END outside a message");
		r->in_msg = false;
		render_put(&r->out, ">", 1);
		break;
	case FRAME_EV_PING:
	case FRAME_EV_PONG:
		render_put(&r->out,
			ev->type == FRAME_EV_PING ? "ping(" : "pong(", 5);
		render_esc(&r->out, ev->data, ev->len);
		render_put(&r->out, ")", 1);
		break;
	case FRAME_EV_CLOSE:
		snprintf(b, sizeof(b), "close(%u,", ev->code);
		render_put(&r->out, b, strlen(b));
		render_esc(&r->out, ev->data, ev->len);
		render_put(&r->out, ")", 1);
		break;
	case FRAME_EV_ERROR:
		snprintf(b, sizeof(b), "error(%u:%s)", ev->code, ev->why);
		render_put(&r->out, b, strlen(b));
		r->ended = true;
		break;
	}
}

/* Feed in[0..n) to d in pieces: first the cut bytes, then chunk at a time
 * (0: the rest whole). */
static void feed(struct wsc_frame_decoder *d, const unsigned char *in,
		size_t n, size_t cut, size_t chunk, struct rec *r)
{
	unsigned char *buf = malloc(n ? n : 1);
	size_t at = 0;

	memcpy(buf, in, n);
	while (at < n && !r->ended) {
		size_t piece = at == 0 && cut ? cut : chunk ? chunk : n - at;
		size_t off = 0;

		if (piece > n - at) {
			piece = n - at;
		}
		for (;;) {
			struct wsc_frame_event ev;
			size_t used = frame_decode(d, buf + at + off,
				piece - off, &ev);

			off += used;
			render_invariant(&r->out, off <= piece,
				"used more than given");
			record(r, &ev);
			if (ev.type == FRAME_EV_MORE) {
				render_invariant(&r->out, off == piece,
					"MORE with bytes left");
				break;
			}
			if (ev.type == FRAME_EV_ERROR) {
				// dead: the same error again, nothing used
				used = frame_decode(d, buf + at + off,
					piece - off, &ev);
				render_invariant(&r->out, used == 0 && ev.type ==
					FRAME_EV_ERROR, "error not sticky");
				break;
			}
		}
		at += piece;
	}
	free(buf);
}

static char *render(enum wsc_frame_role role, bool rsv1, uint64_t max,
		const unsigned char *in, size_t n, size_t cut, size_t chunk,
		char *bad, size_t badsize)
{
	struct wsc_frame_decoder d;
	struct rec r = { 0 };

	frame_decoder_init(&d, role, rsv1, max);
	render_put(&r.out, "", 0);
	feed(&d, in, n, cut, chunk, &r);
	if (r.out.bad && bad && !*bad) {
		snprintf(bad, badsize, "%s", r.out.bad_why);
	}
	return r.out.s;
}

static size_t unhex(const char *h, unsigned char *out)
{
	size_t n = 0;

	while (*h) {
		unsigned v;

		if (*h == ' ') {
			h++;
			continue;
		}
		if (*h == '\'') {   // 'text' inline
			for (h++; *h && *h != '\''; h++) {
				out[n++] = (unsigned char)*h;
			}
			h += *h == '\'';
			continue;
		}
		sscanf(h, "%2x", &v);
		out[n++] = (unsigned char)v;
		h += 2;
	}
	return n;
}

/* Render whole, then check every other feeding gives the same. */
static void check_stream(const char *name, enum wsc_frame_role role,
		bool rsv1, uint64_t max, const unsigned char *in, size_t n,
		const char *want, bool every_cut)
{
	char bad[120] = "";
	char *whole = render(role, rsv1, max, in, n, 0, 0, bad, sizeof(bad));
	bool same = true;
	const char *how = "";
	size_t where = 0;

	if (want) {
		is_str(whole, want, "%s", name);
	}
	for (size_t chunk = 1; chunk <= 3 && same; chunk += 2) {
		char *s = render(role, rsv1, max, in, n, 0, chunk, bad,
			sizeof(bad));

		if (strcmp(s, whole)) {
			same = false;
			how = chunk == 1 ? "byte at a time" : "3 at a time";
		}
		free(s);
	}
	for (size_t cut = 1; every_cut && cut < n && same; cut++) {
		char *s = render(role, rsv1, max, in, n, cut, 0, bad,
			sizeof(bad));

		if (strcmp(s, whole)) {
			same = false;
			how = "split";
			where = cut;
		}
		free(s);
	}
	ok(same, "%s: pieces render as whole %s %zu", name, how, where);
	ok(!*bad, "%s: event invariants %s", name, bad);
	free(whole);
}

struct row {
	const char *name;
	enum wsc_frame_role role;
	bool rsv1;
	uint64_t max;
	const char *hex;
	const char *want;
};

#define C FRAME_ROLE_CLIENT
#define S FRAME_ROLE_SERVER

static const struct row rows[] = {
	// RFC 6455 5.7
	{ "5.7 unmasked Hello", C, 0, 0, "81 05 'Hello'", "<tHello$>" },
	{ "5.7 masked Hello", S, 0, 0, "81 85 37 fa 21 3d 7f 9f 4d 51 58",
		"<tHello$>" },
	{ "5.7 fragmented", C, 0, 0, "01 03 'Hel' 80 02 'lo'", "<tHello$>" },
	{ "5.7 ping", C, 0, 0, "89 05 'Hello'", "ping(Hello)" },
	{ "5.7 masked pong", S, 0, 0, "8a 85 37 fa 21 3d 7f 9f 4d 51 58",
		"pong(Hello)" },
	{ "empty text", C, 0, 0, "81 00", "<t>" },
	{ "empty binary fragments", C, 0, 0, "02 00 00 00 80 00", "<b>" },
	{ "empty ping", C, 0, 0, "89 00", "ping()" },
	{ "ping inside a message", C, 0, 0,
		"01 02 'ab' 89 01 'p' 00 01 'c' 8a 00 80 01 'd'",
		"<tabping(p)cpong()d$>" },
	{ "two messages", C, 0, 0, "81 01 'a' 82 02 00 ff",
		"<ta$><b\\x00\\xff$>" },
	{ "close 1000 reason", C, 0, 0, "88 04 03 e8 'ok'", "close(1000,ok)" },
	{ "close empty", C, 0, 0, "88 00", "close(1005,)" },
	{ "masked close", S, 0, 0, "88 82 01 02 03 04 02 ea",
		"close(1000,)" },
	{ "bytes after close ignored", C, 0, 0, "88 00 81 01 'a' ff ff",
		"close(1005,)" },
	{ "close 1012", C, 0, 0, "88 02 03 f4", "close(1012,)" },
	{ "close 1013", C, 0, 0, "88 02 03 f5", "close(1013,)" },
	{ "close 1014", C, 0, 0, "88 02 03 f6", "close(1014,)" },
	{ "close 3000", C, 0, 0, "88 02 0b b8", "close(3000,)" },
	{ "close 4999", C, 0, 0, "88 02 13 87", "close(4999,)" },
	{ "close UTF-8 reason", C, 0, 0, "88 05 03 e8 e2 82 ac",
		"close(1000,\\xe2\\x82\\xac)" },
	{ "UTF-8 split across fragments", C, 0, 0,
		"01 01 e2 00 01 82 80 01 ac", "<t\\xe2\\x82\\xac$>" },
	{ "4-byte UTF-8", C, 0, 0, "81 04 f0 9f 98 80",
		"<t\\xf0\\x9f\\x98\\x80$>" },
	{ "binary is not UTF-8 checked", C, 0, 0, "82 01 ff",
		"<b\\xff$>" },
	{ "RSV1 with deflate", C, 1, 0, "c1 02 ff fe",
		"<tz\\xff\\xfe$>" },
	{ "RSV1 first fragment only", C, 1, 0, "42 01 00 80 01 01",
		"<bz\\x00\\x01$>" },
	{ "16-bit length 126", C, 0, 0, "82 7e 00 7e", "<b" },
	{ "limit equal passes", C, 0, 5, "81 05 'abcde'", "<tabcde$>" },
	{ "limit across fragments equal", C, 0, 5,
		"01 02 'ab' 80 03 'cde'", "<tabcde$>" },

	// 1002: protocol errors
	{ "RSV1 without extension", C, 0, 0, "c1 00",
		"error(1002:RSV1 bit set without a negotiated extension)" },
	{ "RSV2", C, 1, 0, "a1 00",
		"error(1002:RSV2 bit set without a negotiated extension)" },
	{ "RSV3", C, 0, 0, "91 00",
		"error(1002:RSV3 bit set without a negotiated extension)" },
	{ "RSV1 on ping", C, 1, 0, "c9 00",
		"error(1002:RSV1 bit set on a Ping frame)" },
	{ "RSV1 on continuation", C, 1, 0, "01 00 c0 00",
		"<terror(1002:RSV1 bit set on a continuation frame)" },
	{ "opcode 3", C, 0, 0, "83 00", "error(1002:reserved opcode 0x3)" },
	{ "opcode 7", C, 0, 0, "87 00", "error(1002:reserved opcode 0x7)" },
	{ "opcode 0xb", C, 0, 0, "8b 00", "error(1002:reserved opcode 0xb)" },
	{ "opcode 0xf", S, 0, 0, "8f 80 00 00 00 00",
		"error(1002:reserved opcode 0xf)" },
	{ "ping of 126", C, 0, 0, "89 7e 00 7e",
		"error(1002:Ping frame of 126 bytes (more than 125))" },
	{ "close of 126", C, 0, 0, "88 7e 00 7e",
		"error(1002:Close frame of 126 bytes (more than 125))" },
	{ "fragmented ping", C, 0, 0, "09 00",
		"error(1002:fragmented Ping frame)" },
	{ "fragmented close", C, 0, 0, "08 00",
		"error(1002:fragmented Close frame)" },
	{ "orphan continuation", C, 0, 0, "80 01 'a'",
		"error(1002:continuation frame with no message to continue)" },
	{ "continuation after end", C, 0, 0, "81 01 'a' 00 00",
		"<ta$>error(1002:continuation frame with no message to "
		"continue)" },
	{ "text inside fragmented", C, 0, 0, "01 01 'a' 81 01 'b'",
		"<taerror(1002:text frame inside a fragmented message)" },
	{ "binary inside fragmented", C, 0, 0, "02 00 02 00",
		"<berror(1002:binary frame inside a fragmented message)" },
	{ "64-bit top bit", C, 0, 0, "82 7f 80 00 00 00 00 00 00 00",
		"error(1002:64-bit payload length with the top bit set)" },
	{ "non-minimal 16", C, 0, 0, "82 7e 00 05 'abcde'",
		"error(1002:payload length 5 not in its shortest form (16 bits))" },
	{ "non-minimal 64", C, 0, 0, "82 7f 00 00 00 00 00 00 ff ff",
		"error(1002:payload length 65535 not in its shortest form "
		"(64 bits))" },
	{ "masked from server", C, 0, 0, "81 85 37 fa 21 3d 7f 9f 4d 51 58",
		"error(1002:masked frame from the server)" },
	{ "messages before the masked frame", C, 0, 0,
		"81 01 'a' 81 81 00 00 00 00 'b'",
		"<ta$>error(1002:masked frame from the server)" },
	{ "unmasked from client", S, 0, 0, "81 05 'Hello'",
		"error(1002:unmasked frame from the client)" },
	{ "close payload 1", C, 0, 0, "88 01 03",
		"error(1002:Close payload of 1 byte)" },
	{ "close 0", C, 0, 0, "88 02 00 00",
		"error(1002:Close code 0, which may not be sent)" },
	{ "close 999", C, 0, 0, "88 02 03 e7",
		"error(1002:Close code 999, which may not be sent)" },
	{ "close 1004", C, 0, 0, "88 02 03 ec",
		"error(1002:Close code 1004, which may not be sent)" },
	{ "close 1005", C, 0, 0, "88 02 03 ed",
		"error(1002:Close code 1005, which may not be sent)" },
	{ "close 1006", C, 0, 0, "88 02 03 ee",
		"error(1002:Close code 1006, which may not be sent)" },
	{ "close 1015", C, 0, 0, "88 02 03 f7",
		"error(1002:Close code 1015, which may not be sent)" },
	{ "close 1016", C, 0, 0, "88 02 03 f8",
		"error(1002:Close code 1016, which may not be sent)" },
	{ "close 2999", C, 0, 0, "88 02 0b b7",
		"error(1002:Close code 2999, which may not be sent)" },
	{ "close 5000", C, 0, 0, "88 02 13 88",
		"error(1002:Close code 5000, which may not be sent)" },
	{ "close 65535", S, 0, 0, "88 82 00 00 00 00 ff ff",
		"error(1002:Close code 65535, which may not be sent)" },

	// 1007: UTF-8
	{ "invalid UTF-8", C, 0, 0, "81 02 'a' ff",
		"<taerror(1007:text message that is not valid UTF-8)" },
	{ "overlong", C, 0, 0, "81 02 c0 80",
		"<terror(1007:text message that is not valid UTF-8)" },
	{ "overlong 3", C, 0, 0, "81 03 e0 80 80",
		"<t\\xe0error(1007:text message that is not valid UTF-8)" },
	{ "surrogate", C, 0, 0, "81 03 ed a0 80",
		"<t\\xederror(1007:text message that is not valid UTF-8)" },
	{ "above U+10FFFF", C, 0, 0, "81 04 f4 90 80 80",
		"<t\\xf4error(1007:text message that is not valid UTF-8)" },
	{ "bad in second fragment", C, 0, 0, "01 01 'a' 80 01 80",
		"<taerror(1007:text message that is not valid UTF-8)" },
	{ "truncated at end", C, 0, 0, "81 02 'a' e2",
		"<taerror(1007:text message ending inside a UTF-8 sequence)" },
	{ "truncated, empty last fragment", C, 0, 0, "01 02 'a' e2 80 00",
		"<ta\\xe2error(1007:text message ending inside a UTF-8 "
		"sequence)" },
	{ "close reason invalid", C, 0, 0, "88 03 03 e8 ff",
		"error(1007:Close reason that is not valid UTF-8)" },
	{ "close reason truncated", C, 0, 0, "88 04 03 e8 e2 82",
		"error(1007:Close reason that is not valid UTF-8)" },

	// 1009: size, from the header
	{ "frame over limit", C, 0, 10, "81 0b 'abcdefghijk'",
		"error(1009:frame of 11 bytes, more than the 10-byte limit)" },
	{ "header alone over limit", C, 0, 10, "82 7f 00 00 00 01 00 00 00 00",
		"error(1009:frame of 4294967296 bytes, more than the 10-byte "
		"limit)" },
	{ "fragments over limit", C, 0, 10, "01 06 'abcdef' 80 05 'ghijk'",
		"<tabcdeferror(1009:message of more than 10 bytes (6 + a frame "
		"of 5))" },
	{ "limit is per message", C, 0, 4, "81 04 'abcd' 81 04 'efgh'",
		"<tabcd$><tefgh$>" },
};

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		unsigned char in[256];
		size_t n = unhex(w->hex, in);

		check_stream(w->name, w->role, w->rsv1, w->max, in, n,
			w->want, true);
	}
	// the rest of the reserved opcodes
	for (unsigned op = 3; op < 16; op++) {
		unsigned char in[2] = { (unsigned char)(0x80 | op), 0 };
		char want[64], name[32];

		if (op >= 8 && op <= 10) {
			continue;
		}
		snprintf(want, sizeof(want), "error(1002:reserved opcode 0x%x)",
			op);
		snprintf(name, sizeof(name), "opcode %u", op);
		check_stream(name, C, 1, 0, in, 2, want, false);
	}
	// every valid close code passes, in both roles
	for (unsigned c = 0; c < 65536; c++) {
		unsigned char in[2] = { (unsigned char)(c >> 8), (unsigned char)c };
		bool want = (c >= 1000 && c <= 1003) || (c >= 1007 &&
			c <= 1014) || (c >= 3000 && c <= 4999);

		if (frame_close_code_ok(c) != want) {
			ok(0, "close code %u", c);
			break;
		}
		(void)in;
	}
	ok(1, "close codes 0..65535 as RFC 6455 7.4 and the registry");
}

/* 5.7: 256 bytes and 64 KiB binary in one unmasked frame. */
static void test_big(void)
{
	static unsigned char in[65536 + 10], want[65536];
	size_t sizes[] = { 256, 65536 };

	for (size_t k = 0; k < 2; k++) {
		size_t n = sizes[k], h;
		struct wsc_frame_decoder d;
		struct wsc_frame_event ev;
		unsigned char *p = in;
		size_t left, got = 0, spans = 0;
		bool same = true, fin = false;
		char name[40];

		for (size_t i = 0; i < n; i++) {
			want[i] = (unsigned char)(i * 7 + 3);
		}
		in[0] = 0x82;
		if (n == 256) {
			memcpy(in + 1, "\x7e\x01\x00", 3);
			h = 4;
		} else {
			memcpy(in + 1, "\x7f\0\0\0\0\0\x01\0\0", 9);
			h = 10;
		}
		memcpy(in + h, want, n);
		left = h + n;
		frame_decoder_init(&d, C, false, 0);
		while (left) {
			size_t used = frame_decode(&d, p, left, &ev);

			if (ev.type == FRAME_EV_DATA) {
				same &= !memcmp(ev.data, want + got, ev.len);
				got += ev.len;
				spans++;
				fin = ev.fin;
			}
			p += used;
			left -= used;
			if (ev.type == FRAME_EV_MORE || ev.type == FRAME_EV_ERROR) {
				break;
			}
		}
		frame_decode(&d, p, 0, &ev);
		ok(same && got == n && spans == 1 && fin &&
			ev.type == FRAME_EV_END, "5.7 %zu-byte binary: one span",
			n);
		snprintf(name, sizeof(name), "5.7 %zu-byte binary", n);
		check_stream(name, C, false, 0, in, h + n, NULL, false);
	}
}

/* Frames from the encoder, back to back, through the other role. */
static void test_round_trip(void)
{
	static unsigned char buf[400000], pay[200000];
	static struct wsc_mask keys;
	size_t sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, 100000 };

	mask_init(&keys);
	for (size_t i = 0; i < sizeof(pay); i++) {
		pay[i] = (unsigned char)('a' + i % 26);
	}
	for (int server = 0; server < 2; server++) {
		struct wsc_mask *k = server ? NULL : &keys;
		size_t n = 0;
		char *want, *got;
		struct rec r = { 0 };

		render_put(&r.out, "", 0);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t w = frame_write(buf + n, FRAME_FIN |
				(i & 1 ? FRAME_TEXT : FRAME_BINARY), pay,
				sizes[i], k);

			ok(w == frame_header_len(sizes[i], k) + sizes[i],
				"%s writes %zu bytes", server ? "server" :
				"client", sizes[i]);
			n += w;
			render_put(&r.out, i & 1 ? "<t" : "<b", 2);
			render_esc(&r.out, pay, sizes[i]);
			render_put(&r.out, sizes[i] ? "$>" : ">",
				sizes[i] ? 2 : 1);
		}
		n += frame_write(buf + n, FRAME_TEXT, "ab", 2, k);
		n += frame_write(buf + n, FRAME_FIN | FRAME_PING, "hi", 2, k);
		n += frame_write(buf + n, FRAME_FIN | FRAME_CONT, "c", 1, k);
		n += frame_write_close(buf + n, 1001, "bye", 3, k);
		render_put(&r.out, "<tabping(hi)c$>close(1001,bye)", 30);
		want = r.out.s;
		got = render(server ? C : S, false, 0, buf, n, 0, 0, NULL, 0);
		ok(!strcmp(got, want), "%s frames decode in the other role",
			server ? "server" : "client");
		free(got);
		free(want);
	}
	mask_finish(&keys);
}

static void test_encoder_bytes(void)
{
	unsigned char out[200];
	unsigned char key[4];
	static struct wsc_mask keys;
	char r[130];
	size_t n;

	mask_init(&keys);
	n = frame_write(out, FRAME_FIN | FRAME_TEXT, "Hello", 5, NULL);
	is_mem(out, n, "\x81\x05Hello", 7, "server Hello is 5.7's bytes");
	n = frame_write(out, FRAME_FIN | FRAME_TEXT, "Hello", 5, &keys);
	memcpy(key, out + 2, 4);
	frame_mask(out + 6, out + 6, 5, key, 0);
	ok(n == 11 && out[0] == 0x81 && out[1] == 0x85 &&
		!memcmp(out + 6, "Hello", 5), "client Hello is masked by its key");
	n = frame_write_header(out, FRAME_BINARY, 126, NULL, NULL);
	is_mem(out, n, "\x02\x7e\x00\x7e", 4, "126 in 16 bits");
	n = frame_write_header(out, FRAME_BINARY, 65536, NULL, NULL);
	is_mem(out, n, "\x02\x7f\0\0\0\0\0\x01\0\0", 10, "65536 in 64 bits");
	ok(frame_write(out, FRAME_FIN | FRAME_PING, r, 126, NULL) == 0,
		"a 126-byte Ping is refused");
	n = frame_write_close(out, 0, NULL, 0, NULL);
	is_mem(out, n, "\x88\x00", 2, "Close without a code");
	n = frame_write_close(out, 1000, "ok", 2, NULL);
	is_mem(out, n, "\x88\x04\x03\xe8ok", 6, "Close 1000 ok");
	memset(r, 'a', 122);
	memcpy(r + 122, "\xe2\x82\xac", 3);  // 125 bytes: the euro sign is cut
	n = frame_write_close(out, 1000, r, 125, NULL);
	ok(n == 2 + 2 + 122 && out[1] == 124, "long reason cut before a "
		"sequence that does not fit");
	memcpy(r + 120, "\xe2\x82\xac" "b", 4);  // 124: the cut falls on 'b'
	n = frame_write_close(out, 1000, r, 124, NULL);
	ok(n == 2 + 125 && !memcmp(out + 124, "\xe2\x82\xac", 3),
		"long reason cut at a sequence boundary");
	mask_finish(&keys);
}

static void test_mask(void)
{
	unsigned char src[200], a[200], b[200], key[4] = { 1, 0x80, 0x33, 0xfe };
	bool same = true;

	for (size_t i = 0; i < sizeof(src); i++) {
		src[i] = (unsigned char)(i * 31);
	}
	for (unsigned ph = 0; ph < 4; ph++) {
		for (size_t off = 0; off < 8; off++) {
			for (size_t n = 0; n + off <= 150; n++) {
				frame_mask(a + off, src + off, n, key, ph);
				for (size_t i = 0; i < n; i++) {
					b[off + i] = src[off + i] ^
						key[(ph + i) & 3];
				}
				same &= !memcmp(a + off, b + off, n);
				memcpy(a, src, sizeof(a));
				frame_mask(a + off, a + off, n, key, ph);
				same &= !memcmp(a + off, b + off, n);
			}
		}
	}
	ok(same, "frame_mask = bytewise XOR, any phase, offset, length, "
		"in place or not");
}

static void test_pool(void)
{
	static struct wsc_mask m;
	unsigned char k[4], prev[4] = { 0 };
	int same = 0;

	mask_init(&m);
	ok(m.refills == 0, "no getrandom before the first key");
	for (int i = 0; i < MASK_POOL_FIRST / 4; i++) {
		if (!mask_key(&m, k)) {
			break;
		}
		same += !memcmp(k, prev, 4);
		memcpy(prev, k, 4);
	}
	is_int(m.refills, 1, "1024 keys from the first getrandom (4 KiB)");
	mask_key(&m, k);
	is_int(m.refills, 2, "the next key refills");
	is_int(m.fill, 2 * MASK_POOL_FIRST, "each refill twice the last");
	for (int i = 1; i < 2 * MASK_POOL_FIRST / 4; i++) {
		mask_key(&m, k);
	}
	is_int(m.refills, 2, "2048 keys from the second");
	for (int i = 0; i < 4 * MASK_POOL_SIZE / 4; i++) {
		if (!mask_key(&m, k)) {
			break;
		}
		same += !memcmp(k, prev, 4);
		memcpy(prev, k, 4);
	}
	is_int(m.fill, MASK_POOL_SIZE, "fills grow to 64 KiB, no more");
	ok(same < 3, "keys differ (%d repeats)", same);
	mask_finish(&m);
	is_int(m.fill, 0, "finish empties the pool");
}

/* utf8check agrees with utf8_valid on whole strings and on pieces. */
static void test_utf8check(void)
{
	unsigned char s[16];
	unsigned long seed = 12345;
	int bad = 0;

	for (int t = 0; t < 200000; t++) {
		size_t n = (size_t)(t % 9);
		struct wsc_utf8check u;
		bool whole, bytes = true;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			s[i] = (unsigned char)(seed >> 56);
			if (seed & 0x100) {
				s[i] = (unsigned char)(0x80 | (s[i] & 0x3f));
			} else if (seed & 0x200) {
				s[i] = (unsigned char)(s[i] & 0x7f);
			}
		}
		utf8check_init(&u);
		whole = utf8check_feed(&u, s, n) == n && utf8check_done(&u);
		utf8check_init(&u);
		for (size_t i = 0; i < n && bytes; i++) {
			bytes = utf8check_feed(&u, s + i, 1) == 1;
		}
		bytes = bytes && utf8check_done(&u);
		if (whole != utf8_valid(s, n) || bytes != whole) {
			if (!bad++) {
				diag("disagree on %s", tap_esc_n(s, n));
			}
		}
	}
	is_int(bad, 0, "utf8check = utf8_valid on 200000 strings, whole "
		"and byte by byte");
}

/* A faulty Close is an error that carries its payload as sent; other
 * errors carry none. */
static void test_close_fault_payload(void)
{
	static const struct {
		const char *name;
		const char *in;
		size_t n;
		bool close;
		size_t len;
	} faults[] = {
		{ "1-byte Close", "\x88\x01\x03", 3, true, 1 },
		{ "Close 999", "\x88\x02\x03\xe7", 4, true, 2 },
		{ "Close reason not UTF-8", "\x88\x03\x03\xe8\xff", 5, true,
			3 },
		{ "reserved opcode", "\x83\x00", 2, false, 0 },
	};

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct wsc_frame_decoder d;
		struct wsc_frame_event ev;
		unsigned char buf[8];

		memcpy(buf, faults[i].in, faults[i].n);
		frame_decoder_init(&d, C, false, 0);
		frame_decode(&d, buf, faults[i].n, &ev);
		ok(ev.type == FRAME_EV_ERROR && ev.close == faults[i].close &&
			ev.len == faults[i].len && (!ev.len ||
			!memcmp(ev.data, faults[i].in + 2, ev.len)),
			"%s: an error%s", faults[i].name, faults[i].close ?
			" with the payload as sent" : ", no payload");
	}
}

int main(void)
{
	test_rows();
	test_close_fault_payload();
	test_big();
	test_round_trip();
	test_encoder_bytes();
	test_mask();
	test_pool();
	test_utf8check();
	return done_testing();
}
