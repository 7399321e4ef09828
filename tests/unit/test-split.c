/*
 * test-split.c - the input splitter. Every row is fed in reads of 1 byte,
 * 3 bytes and as much as fits; the emitted pieces are rendered as
 * "{" (first) data "}" (last) or "|" (more to come), so "{ab}{}" is the
 * messages "ab" and "", and "{abcdefgh|ij}" is one message in two pieces.
 * Data is C-escaped: \n, \r, \0 and \xNN.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"
#include "tap.h"

struct rec {
	char text[4096];        // rendered pieces
	size_t len;
	bool bad;               // split_space() offered no room
	int stop_after;         // emit returns false on this call (0: never)
	int calls;
};

static void rec_add(struct rec *r, const char *s)
{
	size_t n = strlen(s);

	if (r->len + n < sizeof(r->text)) {
		memcpy(r->text + r->len, s, n + 1);
		r->len += n;
	}
}

static bool rec_emit(void *ctx, const char *data, size_t len, bool first,
		bool last)
{
	struct rec *r = ctx;
	char esc[8];

	if (first) {
		rec_add(r, "{");
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n') {
			strcpy(esc, "\\n");
		} else if (c == '\r') {
			strcpy(esc, "\\r");
		} else if (c == '\0') {
			strcpy(esc, "\\0");
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		rec_add(r, esc);
	}
	rec_add(r, last ? "}" : "|");
	return ++r->calls != r->stop_after;
}

/* Feed in[0..n) in reads of at most chunk bytes (0: all the room). */
static bool feed(struct wsc_split *s, const char *in, size_t n, size_t chunk,
		struct rec *r)
{
	size_t off = 0;

	while (off < n) {
		size_t room, take;
		char *dst = split_space(s, &room);

		if (room == 0) {
			r->bad = true;
			return false;
		}
		take = n - off < room ? n - off : room;
		if (chunk && take > chunk) {
			take = chunk;
		}
		memcpy(dst, in + off, take);
		off += take;
		if (!split_commit(s, take, rec_emit, r)) {
			return false;
		}
	}
	return split_eof(s, rec_emit, r);
}

#define S(lit) lit, sizeof(lit) - 1

static const struct row {
	const char *name;
	char delim;
	size_t cap;
	const char *in;
	size_t len;
	const char *want;
} rows[] = {
	{ "two lines", '\n', 8, S("one\ntwo\n"), "{one}{two}" },
	{ "final line without newline", '\n', 8, S("one\ntwo"), "{one}{two}" },
	{ "one char, no newline", '\n', 8, S("x"), "{x}" },
	{ "empty input", '\n', 8, S(""), "" },
	{ "only a newline", '\n', 8, S("\n"), "{}" },
	{ "empty lines", '\n', 8, S("\n\n\n"), "{}{}{}" },
	{ "empty line between", '\n', 8, S("a\n\nb\n"), "{a}{}{b}" },
	{ "CRLF keeps the CR", '\n', 8, S("a\r\nb\r\n"), "{a\\r}{b\\r}" },
	{ "lone CR is data", '\n', 8, S("a\rb\n"), "{a\\rb}" },
	{ "spaces kept", '\n', 8, S("  a  \n"), "{  a  }" },
	{ "NUL inside a line", '\n', 8, S("a\0b\n"), "{a\\0b}" },
	{ "NUL delimiter", '\0', 8, S("one\0two\0"), "{one}{two}" },
	{ "NUL delimiter keeps newlines", '\0', 8, S("a\nb\0c\n"),
		"{a\\nb}{c\\n}" },
	{ "NUL delimiter, empty messages", '\0', 8, S("\0\0"), "{}{}" },
	{ "NUL delimiter, final without", '\0', 8, S("a\0b"), "{a}{b}" },
	{ "line of cap-1", '\n', 8, S("abcdefg\nh\n"), "{abcdefg}{h}" },
	{ "line of cap", '\n', 8, S("abcdefgh\nx\n"), "{abcdefg|h}{x}" },
	{ "line of cap at EOF", '\n', 8, S("abcdefgh"), "{abcdefg|h}" },
	{ "line of cap+1", '\n', 8, S("abcdefghi\n"), "{abcdefg|hi}" },
	{ "long line", '\n', 8, S("abcdefghijklmnopqrst\n"),
		"{abcdefg|hijklmn|opqrst}" },
	{ "long line at EOF", '\n', 8, S("abcdefghijklmnopqrst"),
		"{abcdefg|hijklmn|opqrst}" },
	{ "line of 2*cap", '\n', 8, S("abcdefghijklmnop\nxy\n"),
		"{abcdefg|hijklmn|op}{xy}" },
	{ "short, long, short", '\n', 8, S("ab\ncdefghijklm\nz"),
		"{ab}{cdefghi|jklm}{z}" },
	{ "long line then empty", '\n', 8, S("abcdefghij\n\n"),
		"{abcdefg|hij}{}" },
	{ "long CRLF line", '\n', 8, S("abcdefg\r\n"), "{abcdefg|\\r}" },
	{ "cap 1", '\n', 1, S("ab\n\nc"), "{a|b|}{}{c|}" },
	{ "NUL delimiter, long", '\0', 4, S("abcdef\0g"), "{abc|def}{g}" },
};

static const size_t chunks[] = { 1, 3, 0 };

static const char *reads(size_t chunk)
{
	static char buf[32];

	if (!chunk) {
		return "reads of all the room";
	}
	snprintf(buf, sizeof(buf), "reads of %zu", chunk);
	return buf;
}

static void test_row(const struct row *r, size_t chunk)
{
	struct wsc_split s;
	struct rec rec = { .len = 0 };

	if (!split_init(&s, r->delim, r->cap)) {
		ok(0, "%s: split_init", r->name);
		return;
	}
	ok(feed(&s, r->in, r->len, chunk, &rec) && !rec.bad,
		"%s: %s: every read has room", r->name, reads(chunk));
	is_str(rec.text, r->want, "%s: %s (\"%s\")", r->name, reads(chunk),
		tap_esc_n(r->in, r->len));
	split_finish(&s);
}

/* A long line comes out in pieces that add up to the line. */
static void test_long_line(size_t chunk)
{
	enum { CAP = 64, LINE = 1000 };
	struct wsc_split s;
	char *line = malloc(LINE + 1), *got = malloc(LINE + 1);
	size_t off = 0, got_len = 0, pieces = 0;
	bool flags_ok = true, done = false;

	for (size_t i = 0; i < LINE; i++) {
		line[i] = (char)('a' + i % 26);
	}
	line[LINE] = '\n';
	split_init(&s, '\n', CAP);
	while (off <= LINE) {
		struct rec rec = { .len = 0 };
		size_t room, take;
		char *dst = split_space(&s, &room);
		const char *p;

		take = LINE + 1 - off < room ? LINE + 1 - off : room;
		if (chunk && take > chunk) {
			take = chunk;
		}
		memcpy(dst, line + off, take);
		off += take;
		split_commit(&s, take, rec_emit, &rec);
		p = rec.text;
		while (*p) {
			bool first = *p == '{';
			const char *end = p + first + strcspn(p + first, "|}");

			if (first != (pieces == 0) || done) {
				flags_ok = false;
			}
			memcpy(got + got_len, p + first, (size_t)(end - p - first));
			got_len += (size_t)(end - p - first);
			done = *end == '}';
			pieces++;
			p = end + 1;
		}
	}
	ok(flags_ok && done, "line of %d, cap %d, %s: first on the first piece "
		"only, last on the final one", LINE, CAP, reads(chunk));
	is_int(pieces, (LINE - 1) / (CAP - 1) + 1, "line of %d, cap %d, %s: pieces", LINE,
		CAP, reads(chunk));
	is_mem(got, got_len, line, (size_t)LINE, "line of %d, cap %d, %s: pieces "
		"concatenate to the line", LINE, CAP, reads(chunk));
	split_finish(&s);
	free(line);
	free(got);
}

/* emit returning false stops the commit at once. */
static void test_stop(void)
{
	struct wsc_split s;
	struct rec rec = { .stop_after = 2 };
	size_t room;
	char *dst;

	split_init(&s, '\n', 16);
	dst = split_space(&s, &room);
	memcpy(dst, "a\nb\nc\n", 6);
	ok(!split_commit(&s, 6, rec_emit, &rec), "commit fails when emit does");
	is_str(rec.text, "{a}{b}", "no emit after the one that failed");
	split_finish(&s);

	split_init(&s, '\n', 16);
	rec = (struct rec){ .stop_after = 1 };
	dst = split_space(&s, &room);
	memcpy(dst, "tail", 4);
	ok(split_commit(&s, 4, rec_emit, &rec) && rec.calls == 0,
		"no emit for an unfinished line");
	ok(!split_eof(&s, rec_emit, &rec), "eof fails when emit does");
	is_str(rec.text, "{tail}", "eof emitted the tail");
	rec = (struct rec){ .len = 0 };
	ok(split_eof(&s, rec_emit, &rec) && rec.calls == 0,
		"a second eof emits nothing");
	split_finish(&s);
	split_finish(&s);
	split_finish(NULL);
	ok(1, "finish is safe twice and with NULL");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			test_row(&rows[i], chunks[c]);
		}
	}
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		test_long_line(chunks[c]);
	}
	test_long_line(63);
	test_long_line(65);
	test_stop();
	return done_testing();
}
