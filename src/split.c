/*
 * split.c - delimiter splitter with an in-place read buffer. Pure.
 */
#include "split.h"

#include <stdlib.h>
#include <string.h>

bool split_init(struct wsc_split *s, char delim, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->delim = delim;
	s->cap = cap;
	s->buf = malloc(cap);
	return s->buf != NULL;
}

void split_finish(struct wsc_split *s)
{
	if (!s) {
		return;
	}
	free(s->buf);
	s->buf = NULL;
}

char *split_space(struct wsc_split *s, size_t *room)
{
	*room = s->cap - s->len;
	return s->buf + s->len;
}

bool split_commit(struct wsc_split *s, size_t n, split_emit_fn emit,
		void *ctx)
{
	size_t start = 0, scan = s->len;
	char *d;

	s->len += n;
	while ((d = memchr(s->buf + scan, s->delim, s->len - scan))) {
		size_t end = (size_t)(d - s->buf);

		if (!emit(ctx, s->buf + start, end - start, !s->in_msg, true)) {
			return false;
		}
		s->in_msg = false;
		start = scan = end + 1;
	}
	if (start == 0 && s->len == s->cap) {
		// A line longer than the buffer: pass it on as a fragment, but
		// keep its last byte, so the final piece is never an empty frame.
		size_t keep = s->cap > 1 ? 1 : 0;

		if (!emit(ctx, s->buf, s->len - keep, !s->in_msg, false)) {
			return false;
		}
		s->in_msg = true;
		start = s->len - keep;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return true;
}

bool split_eof(struct wsc_split *s, split_emit_fn emit, void *ctx)
{
	bool ok = true;

	if (s->len || s->in_msg) {
		ok = emit(ctx, s->buf, s->len, !s->in_msg, true);
	}
	s->len = 0;
	s->in_msg = false;
	return ok;
}
