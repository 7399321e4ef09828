// libFuzzer: the server's choice among a client's permessage-deflate offers.
// Input: 2 bytes of policy, then the Sec-WebSocket-Extensions value.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	assert(n < size);
	for (size_t i = 0; i < n; i++) {
		assert(s[i] >= 0x20 && s[i] < 0x7f);
	}
}

static int bits(uint8_t b)
{
	b %= 10;
	return b < 8 ? b + 8 : 0;    // 8..15, or 0 (none) twice as often
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deflate_config pol = { 0 }, any = { false, false, 0, 1 };
	struct deflate_params s, c;
	char resp[256], why[200], small[32], offer[256];
	char *v;
	size_t n;

	if (size < 2) {
		return 0;
	}
	pol.server_no_context_takeover = data[0] & 1;
	pol.client_no_context_takeover = data[0] & 2;
	pol.server_max_window_bits = bits(data[1]);
	pol.client_max_window_bits = bits((uint8_t)(data[0] >> 2));
	n = size - 2;
	v = malloc(n ? n : 1);       // exactly n bytes: over-reads are caught
	memcpy(v, data + 2, n);

	if (deflate_server_choose(v, n, &pol, &s, resp, sizeof(resp), why,
			sizeof(why))) {
		printable(resp, sizeof(resp));
		assert(!strncmp(resp, "permessage-deflate", 18));
		assert(s.server_max_window_bits >= 8 &&
			s.server_max_window_bits <= 15);
		assert(s.client_max_window_bits >= 8 &&
			s.client_max_window_bits <= 15);
		assert(!pol.server_no_context_takeover ||
			s.server_no_context_takeover);
		assert(!pol.client_no_context_takeover ||
			s.client_no_context_takeover);
		assert(!pol.server_max_window_bits ||
			s.server_max_window_bits <= pol.server_max_window_bits);
		// the response passes the most permissive client's check,
		// and both ends then agree
		assert(deflate_client_accept(resp, strlen(resp), &any, &c, why,
			sizeof(why)) == 1);
		assert(s.server_no_context_takeover ==
			c.server_no_context_takeover);
		assert(s.client_no_context_takeover ==
			c.client_no_context_takeover);
		assert(s.server_max_window_bits == c.server_max_window_bits);
		assert(s.client_max_window_bits == c.client_max_window_bits);
	} else {
		printable(why, sizeof(why));
		assert(!resp[0]);
	}
	// a small response buffer and a small why buffer never overflow
	if (deflate_server_choose(v, n, &pol, &s, small, data[1] % 33, why,
			data[0] % 17)) {
		assert(strlen(small) < (size_t)(data[1] % 33));
	}
	free(v);

	// what a client formats from these bytes is an acceptable offer
	pol.client_max_window_bits = data[1] & 1 ? 1 : bits(data[0]);
	if (deflate_offer_format(&pol, offer, sizeof(offer))) {
		struct deflate_config none = { 0 };

		assert(deflate_server_choose(offer, strlen(offer), &none, &s,
			resp, sizeof(resp), why, sizeof(why)));
	}
	return 0;
}
