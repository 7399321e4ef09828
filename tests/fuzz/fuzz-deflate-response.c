// libFuzzer: the client's check of the server's permessage-deflate response.
// Input: 2 bytes of what was offered, then the Sec-WebSocket-Extensions value.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bits(uint8_t b)
{
	b %= 10;
	return b < 8 ? b + 8 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deflate_config off = { 0 };
	struct deflate_params p;
	char why[200], tiny[8];
	char *v;
	size_t n;
	int r;

	if (size < 2) {
		return 0;
	}
	off.server_no_context_takeover = data[0] & 1;
	off.client_no_context_takeover = data[0] & 2;
	off.server_max_window_bits = bits(data[1]);
	off.client_max_window_bits = data[0] & 4 ? 1 : bits(data[0] >> 3);
	n = size - 2;
	v = malloc(n ? n : 1);
	memcpy(v, data + 2, n);
	memset(why, 'x', sizeof(why));
	r = deflate_client_accept(v, n, &off, &p, why, sizeof(why));
	assert(r >= -1 && r <= 1);
	assert(memchr(why, 0, sizeof(why)));
	for (size_t i = 0; why[i]; i++) {
		assert(why[i] >= 0x20 && why[i] < 0x7f);   // safe to print
	}
	assert((r < 0) == (why[0] != '\0'));
	if (r == 1) {
		int om = off.server_max_window_bits;
		int cm = off.client_max_window_bits;

		assert(p.server_max_window_bits >= 8 &&
			p.server_max_window_bits <= 15);
		assert(p.client_max_window_bits >= 8 &&
			p.client_max_window_bits <= 15);
		assert(!off.server_no_context_takeover ||
			p.server_no_context_takeover);
		assert(!off.client_no_context_takeover ||
			p.client_no_context_takeover);
		assert(!om || p.server_max_window_bits <= om);
		assert(cm || p.client_max_window_bits == 15);
		assert(cm <= 1 || p.client_max_window_bits <= cm);
	}
	assert(deflate_client_accept(v, n, &off, &p, tiny, sizeof(tiny)) == r);
	assert(memchr(tiny, 0, sizeof(tiny)));
	free(v);
	return 0;
}
