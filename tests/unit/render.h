/*
 * render.h - the text the decoder tests compare their events as: bytes
 * appended to a growable string, the non-printable ones as \xNN, and the
 * first broken event invariant remembered. Header only, as tap.h is.
 */
#ifndef WSC_TEST_RENDER_H
#define WSC_TEST_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct render {
	char *s;                // always a string once anything is put
	size_t len, cap;
	bool bad;               // an invariant broke: bad_why says which
	char bad_why[120];
};

static inline void render_put(struct render *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->s = realloc(r->s, r->cap);
		if (!r->s) {
			abort();
		}
	}
	memcpy(r->s + r->len, s, n);
	r->len += n;
	r->s[r->len] = '\0';
}

static inline void render_esc(struct render *r, const void *v, size_t n)
{
	const unsigned char *p = v;

	for (size_t i = 0; i < n; i++) {
		char b[8];

		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\') {
			snprintf(b, sizeof(b), "\\x%02x", p[i]);
			render_put(r, b, 4);
		} else {
			render_put(r, (const char *)p + i, 1);
		}
	}
}

static inline void render_invariant(struct render *r, bool cond,
		const char *what)
{
	if (!cond && !r->bad) {
		r->bad = true;
		snprintf(r->bad_why, sizeof(r->bad_why), "%s", what);
	}
}

#endif
