/*
 * buf.c - the growable byte buffer (buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN 256

bool buf_reserve(struct wsc_buf *b, size_t n, size_t limit)
{
	size_t need, want;
	unsigned char *p;

	if (n <= b->cap - b->len) {
		return true;
	}
	if (n > SIZE_MAX - b->len) {
		return false;
	}
	need = b->len + n;
	want = need > SIZE_MAX / 2 ? need : need * 2;
	if (want < BUF_MIN) {
		want = BUF_MIN;
	}
	if (limit && want > limit) {
		want = need < limit ? limit : need;
	}
	p = realloc(b->p, want);
	if (!p) {
		return false;
	}
	b->p = p;
	b->cap = want;
	return true;
}

bool buf_append(struct wsc_buf *b, const void *d, size_t n, size_t limit)
{
	if (!buf_reserve(b, n, limit)) {
		return false;
	}
	if (n) {
		memcpy(b->p + b->len, d, n);
		b->len += n;
	}
	return true;
}

void buf_consume(struct wsc_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void buf_free(struct wsc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int buf_load(struct wsc_buf *b, const char *path, size_t limit)
{
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f) {
		return errno;
	}
	for (;;) {
		size_t got;

		if (b->len == b->cap && !buf_reserve(b, b->cap ? b->cap : 65536,
				limit + 1)) {
			err = ENOMEM;
			break;
		}
		got = fread(b->p + b->len, 1, b->cap - b->len, f);
		b->len += got;
		if (b->len > limit) {
			err = EFBIG;
			break;
		}
		if (got == 0) {
			err = ferror(f) ? errno : 0;
			break;
		}
	}
	fclose(f);
	return err;
}
