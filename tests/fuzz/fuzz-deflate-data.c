// libFuzzer: the inflater on arbitrary input, and a compress/inflate round
// trip of the same bytes as plain text.
// Input: byte 0 picks window bits (low 3 bits + 8), no context takeover
// (0x08) and the size limit (high nibble n: 2^n bytes, 0: none); then
// fragments, each one header byte h (h & 0x3f bytes, times 37 if h & 0x40;
// h & 0x80 ends the message) and its bytes.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	uint64_t total, limit;
	unsigned char *p;       // NULL: count only
	size_t len, cap;
};

static int sink(void *arg, const unsigned char *d, size_t n)
{
	struct acc *a = arg;

	assert(n > 0 && n <= DEFLATE_CHUNK);
	a->total += n;
	assert(!a->limit || a->total <= a->limit);
	if (a->p) {
		assert(a->len + n <= a->cap);
		memcpy(a->p + a->len, d, n);
		a->len += n;
	}
	return 0;
}

struct frag {
	const uint8_t *p;
	size_t n;
	bool fin;
};

// the next fragment of data[*pos..size)
static bool next_frag(const uint8_t *data, size_t size, size_t *pos,
		struct frag *f)
{
	size_t len;
	uint8_t h;

	if (*pos >= size) {
		return false;
	}
	h = data[(*pos)++];
	len = (size_t)(h & 0x3f) * (h & 0x40 ? 37 : 1);
	if (len > size - *pos) {
		len = size - *pos;
	}
	f->p = data + *pos;
	f->n = len;
	f->fin = h & 0x80 || *pos + len >= size;
	*pos += len;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deflate_params p;
	struct deflate_rx *rx;
	struct deflate_tx *tx;
	struct acc a = { 0 };
	struct frag f;
	size_t pos = 1;
	enum deflate_status st = DEFLATE_OK;
	int nib;

	if (size < 1) {
		return 0;
	}
	p.server_max_window_bits = p.client_max_window_bits = 8 + (data[0] & 7);
	p.server_no_context_takeover = p.client_no_context_takeover =
		data[0] & 8;
	nib = data[0] >> 4;
	a.limit = nib ? (uint64_t)1 << nib : 0;

	// 1. arbitrary bytes as compressed messages
	rx = deflate_rx_new(&p, DEFLATE_CLIENT, a.limit);
	assert(rx);
	while (!st && next_frag(data, size, &pos, &f)) {
		st = deflate_rx_write(rx, f.p, f.n, f.fin, sink, &a);
		assert(deflate_rx_total(rx) == a.total);
		if (f.fin || st) {
			a.total = 0;
		}
	}
	if (st) {
		assert(st == DEFLATE_CORRUPT || st == DEFLATE_TOO_BIG);
		assert(st != DEFLATE_TOO_BIG || a.limit);
		assert(deflate_rx_why(rx)[0]);
		assert(deflate_rx_write(rx, data, size, true, sink, &a) == st);
	}
	deflate_rx_free(rx);

	// 2. the same bytes as plain messages: compressed, then inflated
	tx = deflate_tx_new(&p, DEFLATE_SERVER, data[0] & 0x80 ? 1 : -1);
	rx = deflate_rx_new(&p, DEFLATE_CLIENT, 0);
	assert(tx && rx);

	struct acc c = { 0 }, d = { 0 };
	unsigned char *plain = malloc(size);
	size_t plen = 0;

	// compressed: per message at most its size + 5 per 16 KiB + a few
	c.cap = 2 * size + 64;
	c.p = malloc(c.cap);
	d.cap = size;
	d.p = malloc(d.cap);
	pos = 1;
	while (next_frag(data, size, &pos, &f)) {
		memcpy(plain + plen, f.p, f.n);
		plen += f.n;
		assert(!deflate_tx_write(tx, f.p, f.n, f.fin, sink, &c));
		if (f.fin) {
			assert(c.len);
			d.len = 0;
			assert(!deflate_rx_write(rx, c.p, c.len, true, sink, &d));
			assert(d.len == plen && !memcmp(d.p, plain, plen));
			c.len = plen = 0;
		}
	}
	free(plain);
	free(c.p);
	free(d.p);
	deflate_tx_free(tx);
	deflate_rx_free(rx);
	return 0;
}
