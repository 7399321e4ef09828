/*
 * mask.c - the pool behind mask.h: bytes from getrandom(2), each handed
 * out once, the pool refilled when it runs short. No other I/O.
 */
#include "mask.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

void mask_init(struct wsc_mask *m)
{
	m->pos = m->fill = 0;
	m->refills = 0;
}

void mask_finish(struct wsc_mask *m)
{
	if (!m) {
		return;
	}
	memset(m->pool, 0, m->fill);
	m->pos = m->fill = 0;
}

static bool refill(struct wsc_mask *m, size_t n)
{
	size_t want = m->fill >= MASK_POOL_FIRST ? m->fill * 2 : MASK_POOL_FIRST;
	size_t got = 0;

	if (want > MASK_POOL_SIZE) {
		want = MASK_POOL_SIZE;
	}
	if (want < n) {
		want = n;
	}
	// getrandom returns at most 32 MiB - 1 per call and may stop short
	// when a signal arrives; 64 KiB normally comes in one call
	while (got < want) {
		ssize_t r = getrandom(m->pool + got, want - got, 0);

		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			return false;
		}
		got += (size_t)r;
	}
	m->pos = 0;
	m->fill = want;
	m->refills++;
	return true;
}

bool mask_bytes(struct wsc_mask *m, unsigned char *out, size_t n)
{
	if (n > MASK_POOL_SIZE) {
		errno = EINVAL;
		return false;
	}
	if (m->pos > m->fill || m->fill - m->pos < n) {
		if (!refill(m, n)) {
			return false;
		}
	}
	memcpy(out, m->pool + m->pos, n);
	memset(m->pool + m->pos, 0, n);  // each byte is used once
	m->pos += n;
	return true;
}
