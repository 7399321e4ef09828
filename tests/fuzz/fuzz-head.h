// The body of fuzz-head-response.c and fuzz-head-request.c (REQUEST set
// before including): the HTTP head parser never crashes, gives the same
// head however the bytes are cut, keeps the raw bytes, and the handshake
// verdicts on what it parsed never crash either.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "httphead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum wsc_httphead_status feed(struct wsc_httphead *h,
		const uint8_t *p, size_t n, size_t step, size_t *used)
{
	enum wsc_httphead_status st = HTTPHEAD_MORE;
	size_t at = 0;

	httphead_init(h, REQUEST);
	*used = 0;
	while (at < n && st == HTTPHEAD_MORE) {
		size_t piece = step < n - at ? step : n - at, u;

		st = httphead_feed(h, (const char *)p + at, piece, &u);
		assert(u <= piece);
		assert(st != HTTPHEAD_MORE || u == piece);
		*used += u;
		at += piece;
	}
	return st;
}

static void verdicts(const struct wsc_httphead *h)
{
	char why[256], out[1024];

	if (REQUEST) {
		struct wsc_handshake_offer offer;
		int st = handshake_check_request(h, &offer, why, sizeof(why));

		assert(st == 0 || st == 101 || st == 400 || st == 405 || st == 426);
		if (st == 101) {
			char proto[64];
			bool have = handshake_choose_protocol(h, "chat,x",
				proto, sizeof(proto));

			assert(strlen(offer.key) == HANDSHAKE_KEY_LEN);
			assert(handshake_write_response(out, sizeof(out),
				offer.key, have ? proto : NULL, NULL) > 0);
		} else if (st) {
			assert(handshake_write_refusal(out, sizeof(out), st,
				why) > 0);
		}
	} else {
		struct wsc_handshake_result res;

		if (handshake_check_response(h, "dGhlIHNhbXBsZSBub25jZQ==",
				"chat, superchat", "permessage-deflate; "
				"client_max_window_bits, x-foo", &res, why,
				sizeof(why))) {
			assert(h->status == 101);
			assert(strlen(res.extensions) < sizeof(res.extensions));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wsc_httphead a, b;
	enum wsc_httphead_status sa, sb;
	size_t ua, ub, step;

	if (size < 1) {
		return 0;
	}
	step = (size_t)data[0] % 16 + 1;
	data++;
	size--;
	sa = feed(&a, data, size, size ? size : 1, &ua);
	sb = feed(&b, data, size, step, &ub);
	assert(sa == sb);
	if (sa == HTTPHEAD_ERROR) {
		assert(!strcmp(a.why, b.why));
		return 0;
	}
	assert(ua == ub && a.len == b.len);
	assert(!memcmp(a.raw, data, a.len));
	assert(a.nfields == b.nfields && a.status == b.status);
	assert(!strcmp(a.method, b.method) && !strcmp(a.target, b.target));
	assert(!strcmp(a.reason, b.reason));
	for (size_t i = 0; i < a.nfields; i++) {
		assert(!strcmp(a.field[i].name, b.field[i].name));
		assert(!strcmp(a.field[i].value, b.field[i].value));
	}
	if (sa == HTTPHEAD_DONE) {
		assert(ua == a.len);
		verdicts(&a);
	}
	return 0;
}
