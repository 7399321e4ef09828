/*
 * buf.h - a growable byte buffer: what every "append, grow by doubling"
 * block in wsc uses, so the growth rule (and its overflow check) is
 * written once.
 *
 * A zeroed struct wsc_buf is an empty buffer. buf_reserve() makes room
 * for n more bytes past len; buf_append() copies them in. Growth doubles,
 * and a cap (0: none) stops the doubling short of it when what is asked
 * for fits under it, so a bounded buffer does not overshoot its bound.
 * On failure (out of memory, size overflow) the buffer is unchanged.
 */
#ifndef WSC_BUF_H
#define WSC_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct wsc_buf {
	unsigned char *p;
	size_t len;             // bytes held
	size_t cap;             // bytes allocated
};

/* Room for n more bytes past len, growing toward (not past) limit when
 * len + n fits under it (limit 0: no limit). False when out of memory. */
bool buf_reserve(struct wsc_buf *b, size_t n, size_t limit);

/* Append d[0..n) (see buf_reserve()). */
bool buf_append(struct wsc_buf *b, const void *d, size_t n, size_t limit);

/* Drop the first n bytes, moving the rest to the front. */
void buf_consume(struct wsc_buf *b, size_t n);

/* Forget the contents, keep the memory. */
static inline void buf_clear(struct wsc_buf *b) { b->len = 0; }

/*
 * Append the whole file at path (at most limit bytes). 0, or why not: an
 * errno (EFBIG: larger than limit; ENOMEM). A file is held in memory
 * whole by --send-file and --replay alike.
 */
int buf_load(struct wsc_buf *b, const char *path, size_t limit);

/* Free the memory; b is an empty buffer again. */
void buf_free(struct wsc_buf *b);

#endif
