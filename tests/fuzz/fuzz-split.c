// libFuzzer: the line/NUL splitter. Reads of any sizes give the same
// messages, whose concatenation with delimiters is the input.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	char *buf;
	size_t len;
	bool in_msg;
	char delim;
};

static bool emit(void *ctx, const char *d, size_t n, bool first, bool last)
{
	struct sink *s = ctx;

	assert(first == !s->in_msg);
	memcpy(s->buf + s->len, d, n);
	s->len += n;
	if (last) {
		s->buf[s->len++] = s->delim;
	}
	s->in_msg = !last;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsc_split sp;
	struct sink s = { malloc(size + 2), 0, false, 0 };
	size_t at = 0, step;
	char delim;

	if (size < 2) {
		free(s.buf);
		return 0;
	}
	delim = data[0] & 1 ? '\n' : '\0';
	step = (size_t)(data[1] % 17) + 1;
	data += 2;
	size -= 2;
	s.delim = delim;
	// a small buffer makes long lines go out in pieces
	assert(split_init(&sp, delim, 8));
	while (at < size) {
		size_t room, n;
		char *dst = split_space(&sp, &room);

		n = size - at < step ? size - at : step;
		n = n < room ? n : room;
		memcpy(dst, data + at, n);
		at += n;
		assert(split_commit(&sp, n, emit, &s));
	}
	assert(split_eof(&sp, emit, &s));
	// the output is the input, with a delimiter added at the end if the
	// last message had none
	assert(s.len >= size && !memcmp(s.buf, data, size));
	assert(s.len == size || (s.len == size + 1 && s.buf[size] == delim));
	split_finish(&sp);
	free(s.buf);
	return 0;
}
