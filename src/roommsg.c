/*
 * roommsg.c - the room's shared, reference-counted messages (roommsg.h).
 */
#include "roommsg.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct roommsg *roommsg_new(struct roombudget *b)
{
	struct roommsg *m = calloc(1, sizeof(*m));

	if (m && !(m->buf = malloc(ROOMMSG_HEADROOM))) {
		free(m);
		return NULL;
	}
	if (m) {
		m->refs = 1;
		m->budget = b;
	}
	return m;
}

enum roommsg_status roommsg_append(struct roommsg *m, const void *d,
		size_t n, size_t max)
{
	size_t need = m->len + n;

	if (need > m->cap) {
		size_t cap = need * 2 > max && need <= max ? max : need * 2;
		unsigned char *nb;

		size_t left = roombudget_left(m->budget, m->charged);

		if (cap - m->cap > left) {
			cap = m->cap + left;    // what is left, if it is enough
		}
		if (cap < need || !roombudget_take(m->budget, m->charged,
				cap - m->cap)) {
			return ROOMMSG_BUDGET;
		}
		nb = realloc(m->buf, ROOMMSG_HEADROOM + cap);
		if (!nb) {
			roombudget_give(m->budget, cap - m->cap);
			return ROOMMSG_NOMEM;
		}
		m->charged += cap - m->cap;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + ROOMMSG_HEADROOM + m->len, d, n);
	m->len += n;
	return ROOMMSG_OK;
}

void roommsg_seal(struct roommsg *m, unsigned b0)
{
	if (m->cap - m->len > 64 * 1024) {
		// what it held in reserve is not relayed
		unsigned char *nb = realloc(m->buf, ROOMMSG_HEADROOM + m->len);

		if (nb) {
			m->buf = nb;
			roombudget_give(m->budget, m->cap - m->len);
			m->charged -= m->cap - m->len;
			m->cap = m->len;
		}
	}
	m->b0 = (unsigned char)b0;
	m->hlen = frame_write_header(m->buf + ROOMMSG_HEADROOM -
		frame_header_len(m->len, false), b0, m->len, NULL, NULL);
	roombudget_hold(m->budget, m->charged);
	roombudget_add(m->budget, ROOMMSG_OVERHEAD);
	m->charged += ROOMMSG_OVERHEAD;
	m->sealed = true;
}

struct roommsg *roommsg_make(struct roombudget *b, unsigned b0,
		const void *data, size_t n)
{
	struct roommsg *m = roommsg_new(b);
	unsigned char *nb = m ? realloc(m->buf, ROOMMSG_HEADROOM + n) : NULL;

	if (!nb) {
		if (m) {
			roommsg_unref(m);
		}
		return NULL;
	}
	m->buf = nb;
	if (n) {
		memcpy(nb + ROOMMSG_HEADROOM, data, n);
	}
	m->len = m->cap = n;
	roommsg_seal(m, b0);
	roombudget_add(b, n);
	m->charged += n;
	return m;
}

void roommsg_unref(struct roommsg *m)
{
	if (--m->refs) {
		return;
	}
	if (m->sealed) {
		roombudget_release(m->budget, m->charged);
	} else {
		roombudget_give(m->budget, m->charged);
	}
	free(m->buf);
	free(m);
}
