/*
 * split.c - delimiter splitter with an in-place read buffer. Pure.
 */
#include "split.h"

#include <stdlib.h>
#include <string.h>

// Reads may fill several pieces' worth: a read never has to stop a byte
// after a full piece (a 64 KiB line and its newline arriving from a 64 KiB
// pipe would otherwise take a read of 64 KiB, then one of a single byte).
#define SPLIT_READS_PER_BUF 4

bool split_init(struct wsc_split *s, char delim, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->delim = delim;
	s->cap = cap ? cap : 1;
	s->size = s->cap * SPLIT_READS_PER_BUF;
	s->buf = malloc(s->size);
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
	if (s->size - s->len < s->cap) {
		// what is left is less than a piece (split_commit's invariant)
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->scan -= s->off;
		s->off = 0;
	}
	*room = s->size - s->len;
	return s->buf + s->len;
}

bool split_commit(struct wsc_split *s, size_t n, split_emit_fn emit,
		void *ctx)
{
	// A message longer than cap bytes goes out in pieces of cap - 1, so
	// the final piece is never empty (of 1 when cap is 1).
	size_t piece = s->cap > 1 ? s->cap - 1 : 1;

	s->len += n;
	for (;;) {
		size_t avail = s->len - s->off;
		size_t look = avail < s->cap ? avail : s->cap;
		size_t from = s->scan > s->off ? s->scan - s->off : 0;
		char *d = from < look ? memchr(s->buf + s->off + from, s->delim,
			look - from) : NULL;

		if (d) {
			size_t end = (size_t)(d - s->buf);

			if (!emit(ctx, s->buf + s->off, end - s->off, !s->in_msg,
					true)) {
				return false;
			}
			s->in_msg = false;
			s->off = s->scan = end + 1;
		} else if (avail >= s->cap) {
			if (!emit(ctx, s->buf + s->off, piece, !s->in_msg, false)) {
				return false;
			}
			s->in_msg = true;
			s->off += piece;
			s->scan = s->off + look - piece;  // looked at already
		} else {
			s->scan = s->len;
			break;
		}
	}
	if (s->off == s->len) {
		s->off = s->len = s->scan = 0;
	}
	return true;
}

bool split_eof(struct wsc_split *s, split_emit_fn emit, void *ctx)
{
	bool ok = true;
	size_t avail = s->len - s->off;

	if (avail || s->in_msg) {
		ok = emit(ctx, s->buf + s->off, avail, !s->in_msg, true);
	}
	s->off = s->len = s->scan = 0;
	s->in_msg = false;
	return ok;
}
