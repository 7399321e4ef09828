/*
 * roomz.c - the room's shared compressors (roomz.h).
 */
#include "roomz.h"

#include <string.h>

#include "frame.h"

static int sink(void *arg, const unsigned char *d, size_t len)
{
	return roommsg_append(arg, d, len, (size_t)-1) != ROOMMSG_OK;
}

struct roommsg *roomz_get(struct roomz *z, const struct deflate_params *pp,
		const struct roommsg *m)
{
	unsigned bits = (unsigned)pp->server_max_window_bits & 15;
	struct roommsg *c;

	if (z->w[bits].msg) {
		return z->w[bits].msg;
	}
	if (!z->w[bits].tx) {
		z->w[bits].tx = deflate_tx_new(pp, DEFLATE_SERVER, -1);
		if (!z->w[bits].tx) {
			return NULL;
		}
	}
	c = roommsg_new(m->budget);
	if (!c) {
		return NULL;
	}
	if (deflate_tx_write(z->w[bits].tx, roommsg_payload(m), m->len, true,
			sink, c) != DEFLATE_OK) {
		// failed (or no room for it) for good: a new one next time
		deflate_tx_free(z->w[bits].tx);
		z->w[bits].tx = NULL;
		roommsg_unref(c);
		return NULL;
	}
	roommsg_seal(c, m->b0 | FRAME_RSV1);
	z->w[bits].msg = c;
	return c;
}

void roomz_reset(struct roomz *z)
{
	for (size_t i = 0; i < sizeof(z->w) / sizeof(*z->w); i++) {
		if (z->w[i].msg) {
			roommsg_unref(z->w[i].msg);
			z->w[i].msg = NULL;
		}
	}
}

void roomz_free(struct roomz *z)
{
	roomz_reset(z);
	for (size_t i = 0; i < sizeof(z->w) / sizeof(*z->w); i++) {
		deflate_tx_free(z->w[i].tx);
	}
	memset(z, 0, sizeof(*z));
}
