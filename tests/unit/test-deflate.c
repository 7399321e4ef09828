/*
 * test-deflate.c - permessage-deflate: the offer, the client's check of
 * responses and the server's choice among offers (tables), the RFC 7692
 * 7.2.3 examples both ways, round trips for every window size with and
 * without context takeover, independence from span sizes, the size limit
 * (decompression bomb) and corrupt input.
 */
#define ZLIB_CONST
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "deflate.h"
#include "tap.h"

#define BARE DEFLATE_BITS_BARE

/* ---- helpers ----------------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
	size_t calls, maxchunk;
	size_t stop_after;      // sink returns nonzero on this call (0: never)
};

static int collect(void *arg, const unsigned char *d, size_t n)
{
	struct buf *b = arg;

	b->calls++;
	if (n > b->maxchunk) {
		b->maxchunk = n;
	}
	if (!n) {
		b->maxchunk = (size_t)-1;       // empty spans are a bug
	}
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			abort();
		}
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return b->stop_after && b->calls == b->stop_after;
}

static void buf_reset(struct buf *b)
{
	b->len = b->calls = b->maxchunk = b->stop_after = 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

// n bytes: random, or text-like (compressible, with far repeats)
static unsigned char *make_data(size_t n, bool text)
{
	static const char *words[] = { "websocket ", "frame ", "deflate ",
		"window ", "message ", "context ", "takeover ", "\n", "{\"a\":",
		"12345", "}" };
	unsigned char *p = malloc(n ? n : 1);

	for (size_t i = 0; i < n;) {
		if (!text) {
			p[i++] = (unsigned char)rnd();
			continue;
		}
		const char *w = words[rnd() % (sizeof(words) / sizeof(*words))];

		for (; *w && i < n; w++) {
			p[i++] = (unsigned char)*w;
		}
	}
	return p;
}

static struct deflate_params params(int bits, bool nct)
{
	struct deflate_params p = { nct, nct, bits, bits };

	return p;
}

// one message through tx in spans of `span` bytes (0: one call)
static enum deflate_status compress_msg(struct deflate_tx *tx,
		const unsigned char *d, size_t n, size_t span, struct buf *out)
{
	enum deflate_status st = DEFLATE_OK;

	if (!span) {
		return deflate_tx_write(tx, d, n, true, collect, out);
	}
	for (size_t i = 0; i < n && !st; i += span) {
		size_t k = n - i < span ? n - i : span;

		st = deflate_tx_write(tx, d + i, k, false, collect, out);
	}
	return st ? st : deflate_tx_write(tx, NULL, 0, true, collect, out);
}

static enum deflate_status inflate_msg(struct deflate_rx *rx,
		const unsigned char *d, size_t n, size_t span, struct buf *out)
{
	enum deflate_status st = DEFLATE_OK;

	if (!span) {
		return deflate_rx_write(rx, d, n, true, collect, out);
	}
	for (size_t i = 0; i < n && !st; i += span) {
		size_t k = n - i < span ? n - i : span;

		st = deflate_rx_write(rx, d + i, k, false, collect, out);
	}
	return st ? st : deflate_rx_write(rx, NULL, 0, true, collect, out);
}

/* ---- negotiation tables ------------------------------------------------ */

#define CFG(a, b, c, d) { a, b, c, d }
#define PRM(a, b, c, d) { a, b, c, d }

static const struct offer_row {
	struct deflate_config c;
	const char *want;       // NULL: refused
} offer_rows[] = {
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits" },
	{ CFG(0, 0, 0, 0), "permessage-deflate" },
	{ CFG(1, 0, 0, 0), "permessage-deflate; server_no_context_takeover" },
	{ CFG(0, 1, 0, 0), "permessage-deflate; client_no_context_takeover" },
	{ CFG(0, 0, 8, 0), "permessage-deflate; server_max_window_bits=8" },
	{ CFG(0, 0, 0, 15), "permessage-deflate; client_max_window_bits=15" },
	{ CFG(1, 1, 10, 12), "permessage-deflate; server_no_context_takeover; "
		"client_no_context_takeover; server_max_window_bits=10; "
		"client_max_window_bits=12" },
	{ CFG(0, 0, 16, 0), NULL },
	{ CFG(0, 0, 7, 0), NULL },
	{ CFG(0, 0, 1, 0), NULL },
	{ CFG(0, 0, 0, 7), NULL },
	{ CFG(0, 0, 0, 16), NULL },
	{ CFG(0, 0, 0, -1), NULL },
};

static const struct client_row {
	struct deflate_config off;
	const char *resp;
	int ret;
	struct deflate_params want;     // when ret == 1
	const char *why;                // substring, when ret == -1
} client_rows[] = {
	// accepted
	{ CFG(0, 0, 0, BARE), "permessage-deflate", 1, PRM(0, 0, 15, 15), 0 },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits=10",
		1, PRM(0, 0, 15, 10), 0 },
	{ CFG(0, 0, 0, BARE), "permessage-deflate;server_max_window_bits=8",
		1, PRM(0, 0, 8, 15), 0 },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_no_context_takeover;"
		" client_no_context_takeover", 1, PRM(1, 1, 15, 15), 0 },
	{ CFG(0, 0, 0, BARE), " permessage-deflate ;\tserver_max_window_bits"
		" = \"12\" ", 1, PRM(0, 0, 12, 15), 0 },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits="
		"\"1\\1\"", 1, PRM(0, 0, 11, 15), 0 },
	{ CFG(0, 0, 0, BARE), ", permessage-deflate ,", 1, PRM(0, 0, 15, 15),
		0 },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits=8; "
		"server_max_window_bits=15", 1, PRM(0, 0, 15, 8), 0 },
	{ CFG(1, 0, 0, 0), "permessage-deflate; server_no_context_takeover",
		1, PRM(1, 0, 15, 15), 0 },
	{ CFG(0, 1, 0, 0), "permessage-deflate", 1, PRM(0, 1, 15, 15), 0 },
	{ CFG(0, 0, 10, 0), "permessage-deflate; server_max_window_bits=10",
		1, PRM(0, 0, 10, 15), 0 },
	{ CFG(0, 0, 10, 0), "permessage-deflate; server_max_window_bits=9",
		1, PRM(0, 0, 9, 15), 0 },
	{ CFG(0, 0, 0, 10), "permessage-deflate", 1, PRM(0, 0, 15, 10), 0 },
	{ CFG(0, 0, 0, 10), "permessage-deflate; client_max_window_bits=9",
		1, PRM(0, 0, 15, 9), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_no_context_takeover",
		1, PRM(1, 0, 15, 15), 0 },
	// no extension
	{ CFG(0, 0, 0, BARE), "", 0, PRM(0, 0, 0, 0), 0 },
	{ CFG(0, 0, 0, BARE), " \t", 0, PRM(0, 0, 0, 0), 0 },
	{ CFG(0, 0, 0, BARE), " , ,", 0, PRM(0, 0, 0, 0), 0 },
	// failures
	{ CFG(0, 0, 0, 0), "permessage-deflate; client_max_window_bits=10",
		-1, PRM(0, 0, 0, 0),
		"client_max_window_bits=10 in the response, but not offered" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits",
		-1, PRM(0, 0, 0, 0), "'client_max_window_bits' without a value" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits",
		-1, PRM(0, 0, 0, 0), "'server_max_window_bits' without a value" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; foo", -1, PRM(0, 0, 0, 0),
		"unknown parameter 'foo'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; foo=\"bar\"", -1,
		PRM(0, 0, 0, 0), "unknown parameter 'foo'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; Server_Max_Window_Bits=10",
		-1, PRM(0, 0, 0, 0), "unknown parameter 'Server_Max_Window_Bits'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=10;"
		" server_max_window_bits=10", -1, PRM(0, 0, 0, 0),
		"duplicate parameter 'server_max_window_bits'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_no_context_takeover;"
		" server_no_context_takeover", -1, PRM(0, 0, 0, 0),
		"duplicate parameter 'server_no_context_takeover'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits=9; "
		"client_max_window_bits=9", -1, PRM(0, 0, 0, 0),
		"duplicate parameter 'client_max_window_bits'" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=16",
		-1, PRM(0, 0, 0, 0), "'server_max_window_bits=16' is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=7",
		-1, PRM(0, 0, 0, 0), "'server_max_window_bits=7' is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=08",
		-1, PRM(0, 0, 0, 0), "'server_max_window_bits=08' is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=010",
		-1, PRM(0, 0, 0, 0), "is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=+9",
		-1, PRM(0, 0, 0, 0), "is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; client_max_window_bits=0",
		-1, PRM(0, 0, 0, 0), "'client_max_window_bits=0' is not 8..15" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=\"\"",
		-1, PRM(0, 0, 0, 0), "empty quoted value" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits="
		"\"1 0\"", -1, PRM(0, 0, 0, 0), "quoted value is not a token" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits="
		"\"10", -1, PRM(0, 0, 0, 0), "unterminated quoted string" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_max_window_bits=",
		-1, PRM(0, 0, 0, 0), "expected a value at the end" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; server_no_context_takeover"
		"=1", -1, PRM(0, 0, 0, 0),
		"'server_no_context_takeover' takes no value" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate;", -1, PRM(0, 0, 0, 0),
		"expected a parameter name at the end" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate; =10", -1, PRM(0, 0, 0, 0),
		"expected a parameter name at offset 20 ('=')" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate x", -1, PRM(0, 0, 0, 0),
		"unexpected character at offset 19 ('x')" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate\x01", -1, PRM(0, 0, 0, 0),
		"unexpected character at offset 18 (\\x01)" },
	{ CFG(0, 0, 0, BARE), ";x", -1, PRM(0, 0, 0, 0),
		"expected an extension name at offset 0 (';')" },
	{ CFG(0, 0, 0, BARE), "x-webkit-deflate-frame", -1, PRM(0, 0, 0, 0),
		"accepted extension 'x-webkit-deflate-frame', which was not "
		"offered" },
	{ CFG(0, 0, 0, BARE), "Permessage-Deflate", -1, PRM(0, 0, 0, 0),
		"which was not offered" },
	{ CFG(0, 0, 0, BARE), "permessage-deflate, permessage-deflate", -1,
		PRM(0, 0, 0, 0), "permessage-deflate accepted twice" },
	{ CFG(1, 0, 0, BARE), "permessage-deflate", -1, PRM(0, 0, 0, 0),
		"server_no_context_takeover was offered but not accepted" },
	{ CFG(0, 0, 10, BARE), "permessage-deflate", -1, PRM(0, 0, 0, 0),
		"server_max_window_bits=10 was offered but not accepted" },
	{ CFG(0, 0, 10, BARE), "permessage-deflate; server_max_window_bits=11",
		-1, PRM(0, 0, 0, 0),
		"server_max_window_bits=11 is above the offered 10" },
	{ CFG(0, 0, 0, 10), "permessage-deflate; client_max_window_bits=11",
		-1, PRM(0, 0, 0, 0),
		"client_max_window_bits=11 is above the offered 10" },
};

static const struct server_row {
	struct deflate_config pol;
	const char *offers;
	const char *resp;               // NULL: declined
	struct deflate_params want;
	const char *why;                // substring, when declined
} server_rows[] = {
	{ CFG(0, 0, 0, 0), "permessage-deflate; client_max_window_bits",
		"permessage-deflate", PRM(0, 0, 15, 15), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate", "permessage-deflate",
		PRM(0, 0, 15, 15), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_max_window_bits=10",
		"permessage-deflate; server_max_window_bits=10",
		PRM(0, 0, 10, 15), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; client_max_window_bits=10",
		"permessage-deflate; client_max_window_bits=10",
		PRM(0, 0, 15, 10), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_no_context_takeover; "
		"client_no_context_takeover", "permessage-deflate; "
		"server_no_context_takeover; client_no_context_takeover",
		PRM(1, 1, 15, 15), 0 },
	{ CFG(1, 0, 0, 0), "permessage-deflate",
		"permessage-deflate; server_no_context_takeover",
		PRM(1, 0, 15, 15), 0 },
	{ CFG(0, 1, 0, 0), "permessage-deflate",
		"permessage-deflate; client_no_context_takeover",
		PRM(0, 1, 15, 15), 0 },
	{ CFG(0, 0, 12, 0), "permessage-deflate",
		"permessage-deflate; server_max_window_bits=12",
		PRM(0, 0, 12, 15), 0 },
	{ CFG(0, 0, 12, 0), "permessage-deflate; server_max_window_bits=10",
		"permessage-deflate; server_max_window_bits=10",
		PRM(0, 0, 10, 15), 0 },
	{ CFG(0, 0, 12, 0), "permessage-deflate; server_max_window_bits=14",
		"permessage-deflate; server_max_window_bits=12",
		PRM(0, 0, 12, 15), 0 },
	{ CFG(0, 0, 0, 12), "permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=12",
		PRM(0, 0, 15, 12), 0 },
	{ CFG(0, 0, 0, 12), "permessage-deflate; client_max_window_bits=10",
		"permessage-deflate; client_max_window_bits=10",
		PRM(0, 0, 15, 10), 0 },
	{ CFG(0, 0, 0, 12), "permessage-deflate; client_max_window_bits=14",
		"permessage-deflate; client_max_window_bits=12",
		PRM(0, 0, 15, 12), 0 },
	{ CFG(0, 0, 0, 12), "permessage-deflate", "permessage-deflate",
		PRM(0, 0, 15, 15), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; client_max_window_bits=8",
		"permessage-deflate; client_max_window_bits=8",
		PRM(0, 0, 15, 8), 0 },
	{ CFG(0, 0, 20, BARE), "permessage-deflate; client_max_window_bits",
		"permessage-deflate", PRM(0, 0, 15, 15), 0 },
	// the first acceptable of several
	{ CFG(0, 0, 0, 0), "permessage-deflate; foo, permessage-deflate; "
		"server_max_window_bits=9", "permessage-deflate; "
		"server_max_window_bits=9", PRM(0, 0, 9, 15), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_max_window_bits=9, "
		"permessage-deflate", "permessage-deflate; "
		"server_max_window_bits=9", PRM(0, 0, 9, 15), 0 },
	{ CFG(0, 0, 0, 0), "x-webkit-deflate-frame, permessage-deflate; "
		"client_max_window_bits", "permessage-deflate",
		PRM(0, 0, 15, 15), 0 },
	{ CFG(0, 0, 0, 0), "foo; a=\"x,y\"; b, permessage-deflate; "
		"client_max_window_bits=9", "permessage-deflate; "
		"client_max_window_bits=9", PRM(0, 0, 15, 9), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; x=\"a,b\", permessage-deflate;"
		" client_max_window_bits=9", "permessage-deflate; "
		"client_max_window_bits=9", PRM(0, 0, 15, 9), 0 },
	{ CFG(0, 0, 0, 0), "permessage-deflate; x=\"a\\\",b\", "
		"permessage-deflate; server_max_window_bits=11",
		"permessage-deflate; server_max_window_bits=11",
		PRM(0, 0, 11, 15), 0 },
	{ CFG(0, 0, 0, 0), " ,\tpermessage-deflate ; server_max_window_bits ="
		" \"10\" ; client_max_window_bits , ", "permessage-deflate; "
		"server_max_window_bits=10", PRM(0, 0, 10, 15), 0 },
	// declined
	{ CFG(0, 0, 0, 0), "", NULL, PRM(0, 0, 0, 0),
		"no permessage-deflate offer" },
	{ CFG(0, 0, 0, 0), "foo, bar; baz=1", NULL, PRM(0, 0, 0, 0),
		"no permessage-deflate offer" },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_max_window_bits=16",
		NULL, PRM(0, 0, 0, 0), "permessage-deflate offer declined: "
		"'server_max_window_bits=16' is not 8..15" },
	{ CFG(0, 0, 0, 0), "permessage-deflate; server_max_window_bits",
		NULL, PRM(0, 0, 0, 0), "'server_max_window_bits' without a value" },
	{ CFG(0, 0, 0, 0), "permessage-deflate; client_max_window_bits; "
		"client_max_window_bits", NULL, PRM(0, 0, 0, 0),
		"duplicate parameter 'client_max_window_bits'" },
	{ CFG(0, 0, 0, 0), "permessage-deflate; mystery, permessage-deflate; "
		"server_max_window_bits=99", NULL, PRM(0, 0, 0, 0),
		"'server_max_window_bits=99' is not 8..15" },
	{ CFG(0, 0, 0, 0), "permessage-deflate; x=\"1", NULL, PRM(0, 0, 0, 0),
		"unterminated quoted string" },
};

static void test_offer(void)
{
	char buf[256];

	for (size_t i = 0; i < sizeof(offer_rows) / sizeof(*offer_rows); i++) {
		const struct offer_row *r = &offer_rows[i];
		bool ok = deflate_offer_format(&r->c, buf, sizeof(buf));

		if (r->want) {
			ok(ok, "offer %zu formats", i);
			is_str(buf, r->want, "offer %zu", i);
		} else {
			ok(!ok && !buf[0], "offer %zu refused", i);
		}
	}
	ok(!deflate_offer_format(&offer_rows[0].c, buf, 42) && !buf[0],
		"offer: a buffer one byte short is refused");
	ok(deflate_offer_format(&offer_rows[0].c, buf, 43),
		"offer: an exact buffer is enough");
}

static bool same(const struct deflate_params *a, const struct deflate_params *b)
{
	return a->server_no_context_takeover == b->server_no_context_takeover &&
		a->client_no_context_takeover == b->client_no_context_takeover &&
		a->server_max_window_bits == b->server_max_window_bits &&
		a->client_max_window_bits == b->client_max_window_bits;
}

static const char *show(const struct deflate_params *p)
{
	static char s[4][64];
	static unsigned n;
	char *o = s[n++ % 4];

	snprintf(o, sizeof(s[0]), "snct=%d cnct=%d smwb=%d cmwb=%d",
		p->server_no_context_takeover, p->client_no_context_takeover,
		p->server_max_window_bits, p->client_max_window_bits);
	return o;
}

static void test_client_accept(void)
{
	for (size_t i = 0; i < sizeof(client_rows) / sizeof(*client_rows); i++) {
		const struct client_row *r = &client_rows[i];
		struct deflate_params got = { 0 };
		char why[160];
		int ret = deflate_client_accept(r->resp, strlen(r->resp), &r->off,
			&got, why, sizeof(why));

		if (!is_int(ret, r->ret, "response '%s' -> %d", tap_esc(r->resp),
				r->ret)) {
			diag("why: %s", why);
			continue;
		}
		if (ret == 1) {
			is_str(show(&got), show(&r->want), "response '%s' params",
				tap_esc(r->resp));
		} else if (ret < 0) {
			if (!ok(strstr(why, r->why), "response '%s' why",
					tap_esc(r->resp))) {
				diag("got '%s', want '%s'", why, r->why);
			}
		}
	}
	// the value is not NUL-terminated: only len bytes count
	struct deflate_config off = CFG(0, 0, 0, BARE);
	struct deflate_params got;
	char why[160];

	is_int(deflate_client_accept("permessage-deflate; foo", 18, &off, &got,
		why, sizeof(why)), 1, "response: only len bytes are read");
	is_int(deflate_client_accept("permessage-deflate; foo", 18, &off, &got,
		NULL, 0), 1, "response: why may be NULL");
	is_int(deflate_client_accept("permessage-deflate; foo", 23, &off, &got,
		why, 8), -1, "response: a short why buffer");
	is_str(why, "unknown", "response: why truncated, terminated");
}

static void test_server_choose(void)
{
	for (size_t i = 0; i < sizeof(server_rows) / sizeof(*server_rows); i++) {
		const struct server_row *r = &server_rows[i];
		struct deflate_params got = { 0 };
		char resp[256], why[200];
		bool ok = deflate_server_choose(r->offers, strlen(r->offers),
			&r->pol, &got, resp, sizeof(resp), why, sizeof(why));

		if (!ok(ok == !!r->resp, "offers '%s' %s", tap_esc(r->offers),
				r->resp ? "accepted" : "declined")) {
			diag("why: %s; resp: %s", why, resp);
			continue;
		}
		if (ok) {
			is_str(resp, r->resp, "offers '%s' response",
				tap_esc(r->offers));
			is_str(show(&got), show(&r->want), "offers '%s' params",
				tap_esc(r->offers));
		} else if (!ok(strstr(why, r->why) && !resp[0],
				"offers '%s' why", tap_esc(r->offers))) {
			diag("got '%s', want '%s'", why, r->why);
		}
	}
	struct deflate_config pol = CFG(1, 1, 9, 9);
	struct deflate_params got;
	char resp[32], why[64];

	ok(!deflate_server_choose("permessage-deflate", 18, &pol, &got, resp,
		sizeof(resp), why, sizeof(why)) && !strcmp(why,
		"response too long") && !resp[0],
		"server: a response that does not fit is refused");
}

/*
 * Every offer through every policy: the server's response satisfies the
 * client's check, and both ends agree on the parameters.
 */
static void test_negotiation_round_trip(void)
{
	static const struct deflate_config offers[] = {
		CFG(0, 0, 0, BARE), CFG(0, 0, 0, 0), CFG(1, 0, 0, 0),
		CFG(0, 1, 0, 0), CFG(0, 0, 10, 0), CFG(0, 0, 0, 9),
		CFG(1, 1, 12, 11), CFG(0, 0, 8, 8), CFG(0, 0, 15, BARE),
	};
	static const struct deflate_config pols[] = {
		CFG(0, 0, 0, 0), CFG(1, 0, 0, 0), CFG(0, 1, 0, 0),
		CFG(0, 0, 9, 0), CFG(0, 0, 0, 10), CFG(1, 1, 11, 12),
		CFG(0, 0, 8, 8),
	};
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(offers) / sizeof(*offers); i++) {
		for (size_t j = 0; j < sizeof(pols) / sizeof(*pols); j++) {
			char offer[256], resp[256], why[160];
			struct deflate_params s, c;

			n++;
			if (!deflate_offer_format(&offers[i], offer, sizeof(offer)) ||
					!deflate_server_choose(offer, strlen(offer),
						&pols[j], &s, resp, sizeof(resp), why,
						sizeof(why)) ||
					deflate_client_accept(resp, strlen(resp),
						&offers[i], &c, why, sizeof(why)) != 1 ||
					!same(&s, &c)) {
				diag("offer %zu policy %zu: '%s' -> '%s' (%s)", i, j,
					offer, resp, why);
				bad++;
			}
		}
	}
	is_int(bad, 0, "negotiation: %d offer x policy pairs agree", n);
}

/* ---- RFC 7692 7.2.3 examples ------------------------------------------- */

static const unsigned char hello1[] = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07,
	0x00 };
static const unsigned char hello2[] = { 0xf2, 0x00, 0x11, 0x00, 0x00 };
static const unsigned char hello_stored[] = { 0x00, 0x05, 0x00, 0xfa, 0xff,
	0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00 };
static const unsigned char hello_bfinal[] = { 0xf3, 0x48, 0xcd, 0xc9, 0xc9,
	0x07, 0x00, 0x00 };

static void test_rfc_inflate(void)
{
	struct deflate_params ct = params(15, false), nct = params(15, true);
	struct deflate_rx *rx = deflate_rx_new(&ct, DEFLATE_CLIENT, 0);
	struct buf b = { 0 };

	is_str(deflate_rx_why(rx), "", "no failure, no reason");
	// 7.2.3.1: one message, then the same in two fragments
	is_int(deflate_rx_write(rx, hello1, sizeof(hello1), true, collect, &b),
		DEFLATE_OK, "rfc 7.2.3.1: inflates");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.1: Hello");
	is_int(deflate_rx_total(rx), 5, "rfc 7.2.3.1: total 5");
	deflate_rx_free(rx);
	rx = deflate_rx_new(&ct, DEFLATE_CLIENT, 0);
	buf_reset(&b);
	ok(!deflate_rx_write(rx, hello1, 3, false, collect, &b) &&
		!deflate_rx_write(rx, hello1 + 3, 4, true, collect, &b),
		"rfc 7.2.3.1: fragments inflate");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.1: fragmented Hello");

	// 7.2.3.2: the second message refers to the first one's window
	buf_reset(&b);
	is_int(deflate_rx_write(rx, hello2, sizeof(hello2), true, collect, &b),
		DEFLATE_OK, "rfc 7.2.3.2: shared window inflates");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.2: Hello again");
	deflate_rx_free(rx);

	// ... which is corrupt without context takeover
	rx = deflate_rx_new(&nct, DEFLATE_CLIENT, 0);
	buf_reset(&b);
	deflate_rx_write(rx, hello1, sizeof(hello1), true, collect, &b);
	is_int(deflate_rx_write(rx, hello2, sizeof(hello2), true, collect, &b),
		DEFLATE_CORRUPT, "rfc 7.2.3.2: no window without takeover");
	ok(strstr(deflate_rx_why(rx), "too far back"), "why: %s",
		deflate_rx_why(rx));
	deflate_rx_free(rx);

	// 7.2.3.3: a stored block
	rx = deflate_rx_new(&ct, DEFLATE_SERVER, 0);
	buf_reset(&b);
	is_int(deflate_rx_write(rx, hello_stored, sizeof(hello_stored), true,
		collect, &b), DEFLATE_OK, "rfc 7.2.3.3: stored block inflates");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.3: Hello");
	deflate_rx_free(rx);

	// 7.2.3.4: BFINAL; with takeover the window outlives the stream
	rx = deflate_rx_new(&ct, DEFLATE_SERVER, 0);
	buf_reset(&b);
	is_int(deflate_rx_write(rx, hello_bfinal, sizeof(hello_bfinal), true,
		collect, &b), DEFLATE_OK, "rfc 7.2.3.4: BFINAL inflates");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.4: Hello");
	buf_reset(&b);
	is_int(deflate_rx_write(rx, hello2, sizeof(hello2), true, collect, &b),
		DEFLATE_OK, "rfc 7.2.3.4: next message after BFINAL");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.4: window kept after BFINAL");
	buf_reset(&b);
	is_int(deflate_rx_write(rx, hello_bfinal, 4, false, collect, &b),
		DEFLATE_OK, "rfc 7.2.3.4: BFINAL in fragments");
	is_int(deflate_rx_write(rx, hello_bfinal + 4, 4, true, collect, &b),
		DEFLATE_OK, "rfc 7.2.3.4: BFINAL last fragment");
	is_mem(b.p, b.len, "Hello", 5, "rfc 7.2.3.4: fragmented Hello");
	deflate_rx_free(rx);

	// 7.2.3.6: an empty message is 0x00
	rx = deflate_rx_new(&ct, DEFLATE_SERVER, 0);
	buf_reset(&b);
	ok(!deflate_rx_write(rx, "", 1, true, collect, &b) && b.len == 0 &&
		b.calls == 0, "empty message 0x00 inflates to nothing");
	deflate_rx_free(rx);
	free(b.p);
}

static void test_rfc_deflate(void)
{
	struct deflate_params ct = params(15, false), nct = params(15, true);
	struct deflate_tx *tx = deflate_tx_new(&ct, DEFLATE_CLIENT, -1);
	struct buf b = { 0 };

	is_int(deflate_tx_write(tx, "Hello", 5, true, collect, &b), DEFLATE_OK,
		"compress Hello");
	is_mem(b.p, b.len, hello1, sizeof(hello1),
		"rfc 7.2.3.1: Hello compresses to it, tail stripped");
	buf_reset(&b);
	deflate_tx_write(tx, "Hello", 5, true, collect, &b);
	is_mem(b.p, b.len, hello2, sizeof(hello2),
		"rfc 7.2.3.2: the second Hello uses the window");
	deflate_tx_free(tx);

	/*
	 * Lockstep: a four Hellos, b the same with the third in two spans
	 * and two empty messages before the fourth. Empty messages are 0x00
	 * and leave the window alone.
	 */
	struct deflate_tx *a = deflate_tx_new(&ct, DEFLATE_CLIENT, -1);
	struct deflate_rx *rx = deflate_rx_new(&ct, DEFLATE_SERVER, 0);
	struct buf ab[4] = { { 0 } }, bb = { 0 }, d = { 0 };
	bool same = true, small = true;

	tx = deflate_tx_new(&ct, DEFLATE_CLIENT, -1);
	for (int i = 0; i < 4; i++) {
		deflate_tx_write(a, "Hello", 5, true, collect, &ab[i]);
		buf_reset(&d);
		same &= !deflate_rx_write(rx, ab[i].p, ab[i].len, true, collect,
			&d) && d.len == 5 && !memcmp(d.p, "Hello", 5);
		small &= i == 0 || ab[i].len < sizeof(hello1);
	}
	ok(same && small, "four Hellos inflate, the later ones shorter");
	for (int i = 0; i < 4; i++) {
		buf_reset(&bb);
		if (i == 2) {
			deflate_tx_write(tx, "Hel", 3, false, collect, &bb);
			deflate_tx_write(tx, "lo", 2, true, collect, &bb);
		} else {
			deflate_tx_write(tx, "Hello", 5, true, collect, &bb);
		}
		is_mem(bb.p, bb.len, ab[i].p, ab[i].len, "Hello %d the same", i);
		free(ab[i].p);
		if (i == 2) {
			for (int e = 0; e < 2; e++) {
				buf_reset(&bb);
				deflate_tx_write(tx, NULL, 0, true, collect, &bb);
				is_mem(bb.p, bb.len, "\0", 1, "an empty message is "
					"0x00 (%d)", e);
			}
		}
	}
	deflate_tx_free(a);
	deflate_tx_free(tx);
	deflate_rx_free(rx);
	free(bb.p);
	free(d.p);

	tx = deflate_tx_new(&nct, DEFLATE_SERVER, -1);
	buf_reset(&b);
	deflate_tx_write(tx, "Hello", 5, true, collect, &b);
	deflate_tx_write(tx, "Hello", 5, true, collect, &b);
	is_mem(b.p, b.len, "\xf2\x48\xcd\xc9\xc9\x07\x00\xf2\x48\xcd\xc9\xc9"
		"\x07\x00", 14, "no context takeover: Hello twice the same");
	deflate_tx_free(tx);
	free(b.p);
}

/* ---- round trips ------------------------------------------------------- */

static const size_t sizes[] = { 0, 1, 5, 300, 4096, 70000, 200000 };

/*
 * Messages of every size, text and random, client to server through
 * (bits, nct); also a raw zlib inflater at exactly `bits` reads them.
 * Returns the total compressed size.
 */
static size_t round_trip(int bits, bool nct, int *bad)
{
	struct deflate_params p = params(bits, nct);
	struct deflate_tx *tx = deflate_tx_new(&p, DEFLATE_CLIENT, -1);
	struct deflate_rx *rx = deflate_rx_new(&p, DEFLATE_SERVER, 0);
	struct buf c = { 0 }, d = { 0 };
	size_t total = 0;
	z_stream z = { 0 };
	unsigned char *zout = malloc(200000 + 16);

	if (inflateInit2(&z, -bits) != Z_OK || !tx || !rx) {
		(*bad)++;
		return 0;
	}
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
			bool text = (i + (size_t)round) % 2 == 0;
			unsigned char *m = make_data(sizes[i], text);

			buf_reset(&c);
			buf_reset(&d);
			if (compress_msg(tx, m, sizes[i], 0, &c) ||
					inflate_msg(rx, c.p, c.len, 0, &d) ||
					d.len != sizes[i] ||
					(sizes[i] && memcmp(d.p, m, sizes[i])) ||
					deflate_rx_total(rx) != sizes[i] ||
					c.maxchunk > DEFLATE_CHUNK ||
					d.maxchunk > DEFLATE_CHUNK) {
				diag("bits %d nct %d size %zu: round trip failed "
					"(%s)", bits, nct, sizes[i], deflate_rx_why(rx));
				(*bad)++;
			}
			// plain zlib with the agreed window, as a peer would
			if (nct) {
				inflateReset(&z);
			}
			collect(&c, (const unsigned char *)"\0\0\xff\xff", 4);
			z.next_in = c.p;
			z.avail_in = (uInt)c.len;
			z.next_out = zout;
			/*
			 * One byte of output per call: zlib then checks every
			 * distance against its window (within one call it may
			 * reach into that call's output).
			 */
			int zr = Z_OK;

			while (zr == Z_OK && z.next_out < zout + 200000 + 16) {
				z.avail_out = 1;
				zr = inflate(&z, Z_SYNC_FLUSH);
			}
			if (zr == Z_DATA_ERROR || z.avail_in ||
					(size_t)(z.next_out - zout) != sizes[i] ||
					(sizes[i] && memcmp(zout, m, sizes[i]))) {
				diag("bits %d nct %d size %zu: zlib -%d disagrees "
					"(%s)", bits, nct, sizes[i], bits,
					z.msg ? z.msg : "");
				(*bad)++;
			}
			total += c.len;
			free(m);
		}
	}
	inflateEnd(&z);
	free(zout);
	free(c.p);
	free(d.p);
	deflate_tx_free(tx);
	deflate_rx_free(rx);
	return total;
}

static void test_round_trips(void)
{
	for (int bits = 8; bits <= 15; bits++) {
		int bad = 0;
		size_t with = round_trip(bits, false, &bad);
		size_t without = round_trip(bits, true, &bad);

		is_int(bad, 0, "round trips, window bits %d (%zu bytes with "
			"takeover, %zu without)", bits, with, without);
	}

	// the directions: the client's tx pairs with the server's rx
	struct deflate_params p = { false, true, 15, 9 };
	struct deflate_tx *ctx = deflate_tx_new(&p, DEFLATE_CLIENT, -1);
	struct deflate_tx *stx = deflate_tx_new(&p, DEFLATE_SERVER, -1);
	struct deflate_rx *srx = deflate_rx_new(&p, DEFLATE_SERVER, 0);
	struct deflate_rx *crx = deflate_rx_new(&p, DEFLATE_CLIENT, 0);
	struct buf c = { 0 }, d = { 0 };
	size_t cl[2], sl[2];

	for (int i = 0; i < 2; i++) {
		buf_reset(&c);
		deflate_tx_write(ctx, "Hello, Hello", 12, true, collect, &c);
		cl[i] = c.len;
		buf_reset(&d);
		ok(!deflate_rx_write(srx, c.p, c.len, true, collect, &d) &&
			d.len == 12, "client to server %d", i);
		buf_reset(&c);
		deflate_tx_write(stx, "Hello, Hello", 12, true, collect, &c);
		sl[i] = c.len;
		buf_reset(&d);
		ok(!deflate_rx_write(crx, c.p, c.len, true, collect, &d) &&
			d.len == 12, "server to client %d", i);
	}
	ok(cl[0] == cl[1] && sl[1] < sl[0],
		"client_no_context_takeover resets only the client's compressor"
		" (%zu %zu, %zu %zu)", cl[0], cl[1], sl[0], sl[1]);
	deflate_tx_free(ctx);
	deflate_tx_free(stx);
	deflate_rx_free(srx);
	deflate_rx_free(crx);

	// invalid parameters give no object
	struct deflate_params bad = { false, false, 7, 16 };

	ok(!deflate_tx_new(&bad, DEFLATE_CLIENT, -1) &&
		!deflate_rx_new(&bad, DEFLATE_CLIENT, 0) &&
		!deflate_tx_new(&bad, DEFLATE_SERVER, -1) &&
		!deflate_rx_new(&bad, DEFLATE_SERVER, 0),
		"window bits outside 8..15 are refused");
	p = params(15, false);
	ok(!deflate_tx_new(&p, DEFLATE_CLIENT, 10), "level 10 is refused");
	free(c.p);
	free(d.p);
}

// The same bytes out whatever the spans in.
static void test_spans(void)
{
	static const size_t spans[] = { 1, 3, 7, 4096, 65536, 65537 };
	size_t n = 150000;
	unsigned char *m = make_data(n, true);

	for (int k = 0; k < 6; k++) {
		static const int levels[] = { -1, 1, 9 };
		int nct = k % 2, level = levels[k / 2];
		struct deflate_params p = params(12, nct);
		struct deflate_tx *tx0 = deflate_tx_new(&p, DEFLATE_CLIENT, level);
		struct buf ref = { 0 }, d0 = { 0 };
		int bad = 0;

		// two messages, so the second uses the window when allowed
		compress_msg(tx0, m, n, 0, &ref);
		compress_msg(tx0, m, n, 0, &ref);
		deflate_tx_free(tx0);
		{
			struct deflate_rx *rx = deflate_rx_new(&p, DEFLATE_SERVER, 0);
			size_t half = 0;

			// find the boundary: compress the first again
			struct deflate_tx *t = deflate_tx_new(&p, DEFLATE_CLIENT, level);
			struct buf one = { 0 };

			compress_msg(t, m, n, 0, &one);
			half = one.len;
			deflate_tx_free(t);
			free(one.p);
			inflate_msg(rx, ref.p, half, 0, &d0);
			inflate_msg(rx, ref.p + half, ref.len - half, 0, &d0);
			ok(d0.len == 2 * n && !memcmp(d0.p, m, n) &&
				!memcmp(d0.p + n, m, n), "spans nct %d level %d: "
				"reference inflates (%zu+%zu bytes)", nct, level, half,
				ref.len - half);
			for (size_t s = 0; s < sizeof(spans) / sizeof(*spans); s++) {
				struct deflate_tx *tx =
					deflate_tx_new(&p, DEFLATE_CLIENT, level);
				struct deflate_rx *rx2 =
					deflate_rx_new(&p, DEFLATE_SERVER, 0);
				struct buf c = { 0 }, d = { 0 };

				compress_msg(tx, m, n, spans[s], &c);
				compress_msg(tx, m, n, spans[s], &c);
				if (c.len != ref.len || memcmp(c.p, ref.p, c.len)) {
					diag("compress in spans of %zu differs",
						spans[s]);
					bad++;
				}
				inflate_msg(rx2, ref.p, half, spans[s], &d);
				inflate_msg(rx2, ref.p + half, ref.len - half,
					spans[s], &d);
				if (d.len != d0.len || memcmp(d.p, d0.p, d.len) ||
						d.maxchunk > DEFLATE_CHUNK) {
					diag("inflate in spans of %zu differs",
						spans[s]);
					bad++;
				}
				deflate_tx_free(tx);
				deflate_rx_free(rx2);
				free(c.p);
				free(d.p);
			}
			deflate_rx_free(rx);
		}
		is_int(bad, 0, "spans nct %d level %d: output independent of "
			"span sizes", nct, level);
		free(ref.p);
		free(d0.p);
	}
	free(m);
}

/* ---- limits and bad input ---------------------------------------------- */

static void test_bomb(void)
{
	struct deflate_params p = params(15, false);
	size_t n = 10u << 20, limit = 1u << 20;
	unsigned char *zeros = calloc(1, n);
	struct deflate_tx *tx = deflate_tx_new(&p, DEFLATE_SERVER, 9);
	struct deflate_rx *rx;
	struct buf c = { 0 }, d = { 0 };
	size_t fed = 0;
	enum deflate_status st = DEFLATE_OK;

	compress_msg(tx, zeros, n, 0, &c);
	deflate_tx_free(tx);
	ok(c.len < n / 500, "bomb: 10 MiB of zeros compress to %zu bytes",
		c.len);

	// fed one byte at a time: stops early, never hands out more
	rx = deflate_rx_new(&p, DEFLATE_CLIENT, limit);
	for (; fed < c.len && !st; fed++) {
		st = deflate_rx_write(rx, c.p + fed, 1, false, collect, &d);
	}
	is_int(st, DEFLATE_TOO_BIG, "bomb: too big");
	ok(fed < c.len / 5, "bomb: stopped after %zu of %zu input bytes", fed,
		c.len);
	is_int(d.len, limit, "bomb: exactly the limit handed out");
	is_int(deflate_rx_total(rx), limit, "bomb: total is the limit");
	ok(d.maxchunk <= DEFLATE_CHUNK, "bomb: chunks of at most 64 KiB (%zu)",
		d.maxchunk);
	is_int(deflate_close_code(st), 1009, "bomb: close code 1009");
	ok(strstr(deflate_rx_why(rx), "more than 1048576 bytes"), "why: %s",
		deflate_rx_why(rx));
	is_int(deflate_rx_write(rx, "", 1, true, collect, &d), DEFLATE_TOO_BIG,
		"bomb: rx stays failed");
	deflate_rx_free(rx);

	// the limit itself is fine, one byte less is not; per message
	struct { size_t limit; enum deflate_status st; } rows[] = {
		{ n, DEFLATE_OK }, { n - 1, DEFLATE_TOO_BIG }, { 0, DEFLATE_OK },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		rx = deflate_rx_new(&p, DEFLATE_CLIENT, rows[i].limit);
		buf_reset(&d);
		st = inflate_msg(rx, c.p, c.len, 1000, &d);
		is_int(st, rows[i].st, "limit %zu for %zu bytes", rows[i].limit, n);
		if (!st) {
			buf_reset(&d);
			st = inflate_msg(rx, hello1, sizeof(hello1), 0, &d);
			ok(!st && d.len == 5 && deflate_rx_total(rx) == 5,
				"limit %zu: the total restarts per message",
				rows[i].limit);
		} else {
			is_int(d.len, rows[i].limit, "limit %zu: that much out",
				rows[i].limit);
		}
		deflate_rx_free(rx);
	}

	// a sink that says stop
	rx = deflate_rx_new(&p, DEFLATE_CLIENT, 0);
	buf_reset(&d);
	d.stop_after = 2;
	is_int(inflate_msg(rx, c.p, c.len, 0, &d), DEFLATE_STOPPED,
		"a sink that stops inflating");
	ok(d.calls == 2 && d.len == 2 * DEFLATE_CHUNK, "it got two chunks");
	is_int(deflate_close_code(DEFLATE_STOPPED), 0, "stopped: no code");
	deflate_rx_free(rx);
	tx = deflate_tx_new(&p, DEFLATE_CLIENT, -1);
	buf_reset(&d);
	d.stop_after = 1;
	is_int(compress_msg(tx, zeros, 1000, 0, &d), DEFLATE_STOPPED,
		"a sink that stops compressing");
	is_int(deflate_tx_write(tx, "x", 1, true, collect, &d),
		DEFLATE_STOPPED, "tx stays failed");
	deflate_tx_free(tx);

	free(zeros);
	free(c.p);
	free(d.p);
}

static const struct corrupt_row {
	const char *name;
	const char *data;
	size_t len;
	int bits;
	const char *why;
} corrupt_rows[] = {
	{ "reserved block type 11", "\xff\xff\xff", 3, 15, "invalid block type" },
	{ "stored lengths mismatch", "\x00\x05\x00\x00\x00Hello", 10, 15,
		"invalid stored block lengths" },
	{ "an empty payload", "", 0, 15, "block boundary" },
	{ "Hello cut short", "\xf2\x48\xcd\xc9\xc9", 5, 15, NULL },
	{ "Hello with its tail", "\xf2\x48\xcd\xc9\xc9\x07\x00\x00\x00\xff\xff",
		11, 15, "block boundary" },
	{ "distance before the start", "\xf2\x00\x11\x00\x00", 5, 15,
		"too far back" },
	{ "BFINAL, reserved type", "\x07", 1, 15, "invalid block type" },
	{ "a bad code lengths set", "\x04\x00\xfe\xff", 4, 15, NULL },
};

static void test_corrupt(void)
{
	for (size_t i = 0; i < sizeof(corrupt_rows) / sizeof(*corrupt_rows);
			i++) {
		const struct corrupt_row *r = &corrupt_rows[i];
		struct deflate_params p = params(r->bits, false);
		struct deflate_rx *rx = deflate_rx_new(&p, DEFLATE_CLIENT, 0);
		struct buf d = { 0 };
		enum deflate_status st = deflate_rx_write(rx, r->data, r->len,
			true, collect, &d);

		is_int(st, DEFLATE_CORRUPT, "corrupt: %s", r->name);
		if (r->why && !ok(strstr(deflate_rx_why(rx), r->why),
				"corrupt: %s: why", r->name)) {
			diag("got '%s'", deflate_rx_why(rx));
		}
		ok(!strncmp(deflate_rx_why(rx), "invalid compressed data", 23),
			"corrupt: %s: %s", r->name, deflate_rx_why(rx));
		is_int(deflate_rx_write(rx, hello1, sizeof(hello1), true, collect,
			&d), DEFLATE_CORRUPT, "corrupt: %s: stays failed", r->name);
		deflate_rx_free(rx);
		free(d.p);
	}
	// what was inflated before the fault is handed on first, whole or
	// byte by byte: a stored "abc", then a reserved block type
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		static const unsigned char stored_then_bad[] =
			"\x00\x03\x00\xfc\xff" "abc" "\x06";
		struct deflate_params p = params(15, false);
		struct deflate_rx *rx = deflate_rx_new(&p, DEFLATE_CLIENT, 0);
		struct buf d = { 0 };
		size_t n = sizeof(stored_then_bad) - 1, step = bytewise ? 1 : n;
		enum deflate_status st = DEFLATE_OK;

		for (size_t at = 0; at < n && !st; at += step) {
			st = deflate_rx_write(rx, stored_then_bad + at, step,
				at + step == n, collect, &d);
		}
		ok(st == DEFLATE_CORRUPT && d.len == 3 && !memcmp(d.p, "abc", 3),
			"corrupt after 3 bytes (%s): the 3 bytes, then the fault",
			bytewise ? "byte by byte" : "whole");
		deflate_rx_free(rx);
		free(d.p);
	}
	is_int(deflate_close_code(DEFLATE_CORRUPT), 1007, "corrupt: 1007");
	is_int(deflate_close_code(DEFLATE_INTERNAL), 1011, "internal: 1011");

	// a peer reaching further back than agreed: inflated whatever the spans
	struct deflate_params wide = params(15, false), narrow = params(9, false);
	struct deflate_tx *tx = deflate_tx_new(&wide, DEFLATE_SERVER, -1);
	unsigned char *m = make_data(40000, false);
	struct buf c = { 0 };
	int bad = 0;

	memcpy(m + 30000, m, 10000);    // a repeat 30000 bytes back
	compress_msg(tx, m, 40000, 0, &c);
	for (size_t span = 1; span <= c.len; span *= 7) {
		struct deflate_rx *rx = deflate_rx_new(&narrow, DEFLATE_CLIENT, 0);
		struct buf d = { 0 };

		if (inflate_msg(rx, c.p, c.len, span, &d) || d.len != 40000 ||
				memcmp(d.p, m, 40000)) {
			diag("span %zu: %s", span, deflate_rx_why(rx));
			bad++;
		}
		deflate_rx_free(rx);
		free(d.p);
	}
	is_int(bad, 0, "a peer beyond the agreed window is inflated (%zu "
		"bytes, any spans)", c.len);
	deflate_tx_free(tx);
	free(m);
	free(c.p);
}

int main(void)
{
	test_offer();
	test_client_accept();
	test_server_choose();
	test_negotiation_round_trip();
	test_rfc_inflate();
	test_rfc_deflate();
	test_round_trips();
	test_spans();
	test_bomb();
	test_corrupt();
	return done_testing();
}
