/*
 * test-output.c - output_escape() against a table, then the formatter end
 * to end: output_init() on the write end of a pipe (or a temporary file
 * for messages larger than a pipe holds), and the bytes read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "tap.h"
#include "utf8check.h"
#include "utf8.h"

#define S(lit) lit, sizeof(lit) - 1

static const struct esc_row {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
} esc_rows[] = {
	{ "plain ASCII", S("hello, world"), "hello, world" },
	{ "empty", S(""), "" },
	{ "ESC", S("\x1b[31mred"), "\\e[31mred" },
	{ "LF", S("a\nb"), "a\\nb" },
	{ "CR", S("a\rb"), "a\\rb" },
	{ "tab passes", S("a\tb"), "a\tb" },
	{ "NUL", S("\0"), "\\x00" },
	{ "BEL", S("\x07"), "\\x07" },
	{ "backspace", S("\x08"), "\\x08" },
	{ "0x1f", S("\x1f"), "\\x1f" },
	{ "space passes", S(" "), " " },
	{ "tilde passes", S("~"), "~" },
	{ "DEL", S("\x7f"), "\\x7f" },
	{ "C1 CSI U+009B", S("\xc2\x9b"), "\\u009b" },
	{ "C1 U+0080", S("\xc2\x80"), "\\u0080" },
	{ "C1 U+009F", S("\xc2\x9f"), "\\u009f" },
	{ "NBSP U+00A0 passes", S("\xc2\xa0"), "\xc2\xa0" },
	{ "latin-1 e-acute", S("caf\xc3\xa9"), "caf\xc3\xa9" },
	{ "CJK", S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "emoji", S("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80" },
	{ "U+FFFD passes", S("\xef\xbf\xbd"), "\xef\xbf\xbd" },
	{ "U+10FFFF passes", S("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf" },
	{ "U+D7FF passes", S("\xed\x9f\xbf"), "\xed\x9f\xbf" },
	{ "0xff", S("\xff"), "\\xff" },
	{ "0xfe", S("\xfe"), "\\xfe" },
	{ "lone continuation 0x80", S("\x80"), "\\x80" },
	{ "lone continuation 0xbf", S("a\xbf" "b"), "a\\xbfb" },
	{ "overlong slash c0 af", S("\xc0\xaf"), "\\xc0\\xaf" },
	{ "overlong c1 bf", S("\xc1\xbf"), "\\xc1\\xbf" },
	{ "overlong e0 80 af", S("\xe0\x80\xaf"), "\\xe0\\x80\\xaf" },
	{ "overlong f0 80 80 af", S("\xf0\x80\x80\xaf"),
		"\\xf0\\x80\\x80\\xaf" },
	{ "surrogate ed a0 80", S("\xed\xa0\x80"), "\\xed\\xa0\\x80" },
	{ "surrogate ed bf bf", S("\xed\xbf\xbf"), "\\xed\\xbf\\xbf" },
	{ "above U+10FFFF f4 90 80 80", S("\xf4\x90\x80\x80"),
		"\\xf4\\x90\\x80\\x80" },
	{ "lead f5", S("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80" },
	{ "lead then ASCII", S("\xe6" "a"), "\\xe6a" },
	{ "two-byte lead then lead", S("\xc3\xc3\xa9"), "\\xc3\xc3\xa9" },
	{ "truncated 3-byte at end", S("a\xe6\x97"), "a\\xe6\\x97" },
	{ "truncated 4-byte at end", S("\xf0\x9f\x98"), "\\xf0\\x9f\\x98" },
	{ "truncated 2-byte at end", S("\xc3"), "\\xc3" },
	{ "escape in between UTF-8", S("\xe6\x97\xa5\x1b\xe6\x97\xa5"),
		"\xe6\x97\xa5\\e\xe6\x97\xa5" },
};

static void test_escape(const struct esc_row *r)
{
	char out[6 * (64 + 4)];
	unsigned char pend[4];
	size_t npend = 0, n;

	n = output_escape((const unsigned char *)r->in, r->len, true, pend,
		&npend, out);
	is_mem(out, n, r->want, strlen(r->want), "escape %s (\"%s\")", r->name,
		tap_esc_n(r->in, r->len));
	is_int(npend, 0, "escape %s: nothing pending after final", r->name);
}

/* Cut in at every point: two calls give what one call gives. */
static void test_escape_cuts(const char *name, const char *in,
		const char *want)
{
	size_t len = strlen(in);
	bool all = true;

	for (size_t k = 0; k <= len; k++) {
		char out[6 * (64 + 4) * 2];
		unsigned char pend[4];
		size_t npend = 0, n;

		n = output_escape((const unsigned char *)in, k, false, pend, &npend,
			out);
		n += output_escape((const unsigned char *)in + k, len - k, true,
			pend, &npend, out + n);
		if (!is_mem(out, n, want, strlen(want), "escape %s cut at %zu",
				name, k)) {
			all = false;
		}
	}
	ok(all, "escape %s: every cut gives the same output", name);
}

static void test_escape_carry(void)
{
	char out[64];
	unsigned char pend[4];
	size_t npend = 0, n;
	const unsigned char *emoji = (const unsigned char *)"\xf0\x9f\x98\x80";

	n = output_escape((const unsigned char *)"\xe6", 1, false, pend, &npend,
		out);
	is_int(n, 0, "carry: lead byte alone writes nothing");
	is_int(npend, 1, "carry: lead byte is pending");
	n = output_escape((const unsigned char *)"\x97\xa5", 2, false, pend,
		&npend, out);
	is_mem(out, n, "\xe6\x97\xa5", 3, "carry: completed by the next call");
	is_int(npend, 0, "carry: nothing pending after completion");

	n = 0;
	for (size_t i = 0; i < 4; i++) {
		n += output_escape(emoji + i, 1, false, pend, &npend, out + n);
	}
	is_mem(out, n, emoji, 4, "carry: emoji one byte per call");

	n = output_escape((const unsigned char *)"\xf0\x9f", 2, false, pend,
		&npend, out);
	is_int(npend, 2, "carry: two bytes of a 4-byte sequence pending");
	n += output_escape(NULL, 0, true, pend, &npend, out + n);
	is_mem(out, n, "\\xf0\\x9f", 8, "carry: final with no more bytes escapes "
		"the pending ones");
	is_int(npend, 0, "carry: nothing pending after final");

	n = output_escape((const unsigned char *)"\xe6", 1, false, pend, &npend,
		out);
	n += output_escape((const unsigned char *)"A", 1, true, pend, &npend,
		out + n);
	is_mem(out, n, "\\xe6A", 5, "carry: pending lead then ASCII");

	n = output_escape((const unsigned char *)"\xe6\x97", 2, false, pend,
		&npend, out);
	n += output_escape((const unsigned char *)"\xe6", 1, false, pend, &npend,
		out + n);
	is_mem(out, n, "\\xe6\\x97", 8, "carry: pending pair broken by a lead");
	n += output_escape((const unsigned char *)"\x97\xa5", 2, true, pend,
		&npend, out + n);
	is_mem(out, n, "\\xe6\\x97\xe6\x97\xa5", 11,
		"carry: the new lead completes");
}

/* The largest piece output_escape() takes, worst cases for out. */
static void test_escape_max(void)
{
	static unsigned char in[WSC_OUTPUT_ESCAPE_MAX];
	static char out[6 * (WSC_OUTPUT_ESCAPE_MAX + 4)];
	unsigned char pend[4] = { 0xe6, 0x97 };
	size_t npend = 2, n;

	memset(in, 0xff, sizeof(in));
	n = output_escape(in, sizeof(in), true, pend, &npend, out);
	is_int(n, 4 * (2 + WSC_OUTPUT_ESCAPE_MAX),
		"max: %d invalid bytes after 2 pending", WSC_OUTPUT_ESCAPE_MAX);
	for (size_t i = 0; i < sizeof(in); i += 2) {
		in[i] = 0xc2;
		in[i + 1] = 0x85;
	}
	npend = 0;
	n = output_escape(in, sizeof(in), true, pend, &npend, out);
	is_int(n, 6 * WSC_OUTPUT_ESCAPE_MAX / 2, "max: %d C1 controls",
		WSC_OUTPUT_ESCAPE_MAX / 2);
	ok(!memcmp(out, "\\u0085\\u0085", 12) &&
		!memcmp(out + n - 6, "\\u0085", 6), "max: C1 controls escaped");
}

/* ---- the formatter, end to end ---- */

struct piece {
	const char *p;
	size_t n;
};

#define P(lit) { lit, sizeof(lit) - 1 }

static const struct fmt_row {
	const char *name;
	bool tty;
	char delim;
	bool binary;
	struct piece pieces[4];
	const char *want;
	size_t want_len;
} fmt_rows[] = {
	// pipe: bytes unchanged, then the delimiter
	{ "pipe text", false, '\n', false, { P("hello") }, S("hello\n") },
	{ "pipe text in pieces", false, '\n', false, { P("hel"), P(""), P("lo") },
		S("hello\n") },
	{ "pipe control bytes unchanged", false, '\n', false,
		{ P("\x1b[2J\r\x07\x7f\t") }, S("\x1b[2J\r\x07\x7f\t\n") },
	{ "pipe invalid UTF-8 unchanged", false, '\n', false,
		{ P("\xff\xc0\xaf\xed\xa0\x80") }, S("\xff\xc0\xaf\xed\xa0\x80\n") },
	{ "pipe C1 unchanged", false, '\n', false, { P("\xc2\x9b") },
		S("\xc2\x9b\n") },
	{ "pipe UTF-8 split unchanged", false, '\n', false,
		{ P("\xe6"), P("\x97\xa5") }, S("\xe6\x97\xa5\n") },
	{ "pipe embedded newline unchanged", false, '\n', false, { P("a\nb") },
		S("a\nb\n") },
	{ "pipe empty message", false, '\n', false, { P("") }, S("\n") },
	{ "pipe NUL delimiter", false, '\0', false, { P("a\nb") }, S("a\nb\0") },
	{ "pipe binary", false, '\n', true, { P("\x00\x01\xff") },
		S("\x00\x01\xff\n") },
	{ "pipe binary NUL delimiter", false, '\0', true, { P("\x00\x01") },
		S("\x00\x01\0") },
	// terminal: "< ", escapes, hex
	{ "tty text", true, '\n', false, { P("hi") }, S("< hi\n") },
	{ "tty OSC title", true, '\n', false, { P("\x1b]0;pwned\x07") },
		S("< \\e]0;pwned\\x07\n") },
	{ "tty clear screen", true, '\n', false, { P("\x1b[2J\x1b[H") },
		S("< \\e[2J\\e[H\n") },
	{ "tty newline and CR", true, '\n', false, { P("a\nb\rc") },
		S("< a\\nb\\rc\n") },
	{ "tty tab passes", true, '\n', false, { P("a\tb") }, S("< a\tb\n") },
	{ "tty NUL", true, '\n', false, { P("a\0b") }, S("< a\\x00b\n") },
	{ "tty DEL", true, '\n', false, { P("\x7f") }, S("< \\x7f\n") },
	{ "tty C1 CSI", true, '\n', false, { P("\xc2\x9b" "31m") },
		S("< \\u009b31m\n") },
	{ "tty UTF-8 passes", true, '\n', false,
		{ P("\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80") },
		S("< \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\n") },
	{ "tty UTF-8 split across pieces", true, '\n', false,
		{ P("\xe6"), P("\x97\xa5") }, S("< \xe6\x97\xa5\n") },
	{ "tty emoji one byte per piece", true, '\n', false,
		{ P("\xf0"), P("\x9f"), P("\x98"), P("\x80") },
		S("< \xf0\x9f\x98\x80\n") },
	{ "tty C1 split across pieces", true, '\n', false,
		{ P("\xc2"), P("\x9b") }, S("< \\u009b\n") },
	{ "tty truncated at the end", true, '\n', false, { P("a\xe6\x97") },
		S("< a\\xe6\\x97\n") },
	{ "tty invalid bytes", true, '\n', false, { P("\xff\x80\xc0\xaf") },
		S("< \\xff\\x80\\xc0\\xaf\n") },
	{ "tty empty message", true, '\n', false, { P("") }, S("< \n") },
	{ "tty ignores the NUL delimiter", true, '\0', false, { P("x") },
		S("< x\n") },
	{ "tty binary", true, '\n', true, { P("\x00\x01\x02") },
		S("< [binary 3 bytes] 00 01 02\n") },
	{ "tty binary in pieces", true, '\n', true,
		{ P("\x00"), P("\xab\xcd"), P("\xff") },
		S("< [binary 4 bytes] 00 ab cd ff\n") },
	{ "tty binary empty", true, '\n', true, { P("") },
		S("< [binary 0 bytes]\n") },
	{ "tty binary text is hex", true, '\n', true, { P("hi\x1b") },
		S("< [binary 3 bytes] 68 69 1b\n") },
};

static struct wsc_output out;   // 64 KiB: keep it off the stack
static int fds[2] = { -1, -1 };

/* output_init() on the write end of a fresh pipe; the read end never blocks. */
static bool start(bool tty, char delim)
{
	if (pipe(fds) < 0) {
		diag("pipe: %s", strerror(errno));
		return false;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	output_init(&out, fds[1], tty, delim, false, false);
	return true;
}

/* Flush, read back everything written since start() and compare. */
__attribute__((format(printf, 3, 4)))
static bool check(const void *want, size_t want_len, const char *fmt, ...)
{
	static char got[16384];
	char name[256];
	size_t len = 0;
	ssize_t n;
	bool flushed = output_flush(&out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	while (len < sizeof(got) &&
			(n = read(fds[0], got + len, sizeof(got) - len)) > 0) {
		len += (size_t)n;
	}
	close(fds[0]);
	close(fds[1]);
	if (!flushed) {
		return ok(0, "%s: flush", name);
	}
	return is_mem(got, len, want, want_len, "%s", name);
}

static void message(bool binary, const void *p, size_t n)
{
	output_begin(&out, binary);
	output_data(&out, p, n);
	output_end(&out);
}

static void test_format(const struct fmt_row *r)
{
	if (!start(r->tty, r->delim)) {
		return;
	}
	output_begin(&out, r->binary);
	for (size_t i = 0; i < 4 && r->pieces[i].p; i++) {
		output_data(&out, r->pieces[i].p, r->pieces[i].n);
	}
	output_end(&out);
	check(r->want, r->want_len, "%s", r->name);
}

static void test_hex_cut(void)
{
	unsigned char bytes[40];
	char hex[256], want[512];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bytes); i++) {
		bytes[i] = (unsigned char)i;
	}
	for (size_t i = 0; i < 32; i++) {
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, " %02zx", i);
	}

	snprintf(want, sizeof(want), "< [binary 32 bytes]%s\n", hex);
	if (start(true, '\n')) {
		message(true, bytes, 32);
		check(want, strlen(want), "tty binary of 32 bytes: all shown");
	}
	snprintf(want, sizeof(want), "< [binary 33 bytes]%s \xe2\x80\xa6 "
		"(1 more)\n", hex);
	if (start(true, '\n')) {
		message(true, bytes, 33);
		check(want, strlen(want), "tty binary of 33 bytes: cut after 32");
	}
	snprintf(want, sizeof(want), "< [binary 40 bytes]%s \xe2\x80\xa6 "
		"(8 more)\n", hex);
	if (start(true, '\n')) {
		message(true, bytes, 40);
		check(want, strlen(want), "tty binary of 40 bytes: cut after 32");
	}
	if (start(true, '\n')) {
		output_begin(&out, true);
		output_data(&out, bytes, 20);
		output_data(&out, bytes + 20, 20);
		output_end(&out);
		check(want, strlen(want), "tty binary of 40 bytes in pieces of 20");
	}
	if (start(true, '\n')) {
		output_begin(&out, true);
		for (size_t i = 0; i < 40; i++) {
			output_data(&out, bytes + i, 1);
		}
		output_end(&out);
		check(want, strlen(want), "tty binary of 40 bytes in pieces of 1");
	}
	if (start(true, '\n')) {
		static unsigned char big[100000];

		memset(big, 0, sizeof(big));
		memcpy(big, bytes, sizeof(bytes));
		message(true, big, sizeof(big));
		snprintf(want, sizeof(want), "< [binary 100000 bytes]%s \xe2\x80\xa6 "
			"(99968 more)\n", hex);
		check(want, strlen(want), "tty binary of 100000 bytes");
	}
}

static void test_sequences(void)
{
	if (start(true, '\n')) {
		message(false, "a", 1);
		message(true, "A", 1);
		message(false, "b", 1);
		check(S("< a\n< [binary 1 bytes] 41\n< b\n"),
			"tty text, binary, text");
	}
	if (start(false, '\n')) {
		message(false, "a", 1);
		message(true, "\0", 1);
		message(false, "b", 1);
		check(S("a\n\0\nb\n"), "pipe text, binary, text");
	}
	if (start(true, '\n')) {
		message(false, "\xe6", 1);
		message(false, "\x97\xa5", 2);
		check(S("< \\xe6\n< \\x97\\xa5\n"),
			"tty: a cut sequence is not carried into the next message");
	}
	if (start(false, '\0')) {
		message(false, "a", 1);
		message(false, "", 0);
		message(false, "c\n", 2);
		check(S("a\0\0c\n\0"), "pipe NUL delimiter, three messages");
	}
	if (start(true, '\n')) {
		char in[WSC_OUTPUT_ESCAPE_MAX + 8], want[WSC_OUTPUT_ESCAPE_MAX + 16];

		// a CJK character across output_data()'s internal chunk boundary
		memset(in, 'a', WSC_OUTPUT_ESCAPE_MAX - 1);
		memcpy(in + WSC_OUTPUT_ESCAPE_MAX - 1, "\xe6\x97\xa5" "b", 4);
		strcpy(want, "< ");
		memcpy(want + 2, in, WSC_OUTPUT_ESCAPE_MAX + 3);
		strcpy(want + 2 + WSC_OUTPUT_ESCAPE_MAX + 3, "\n");
		message(false, in, WSC_OUTPUT_ESCAPE_MAX + 3);
		check(want, strlen(want), "tty: UTF-8 across the %d-byte escape "
			"chunk inside one piece", WSC_OUTPUT_ESCAPE_MAX);
	}
}

/*
 * Messages larger than the output buffer (and than a pipe holds) go to a
 * temporary file: pass-through must be exact, in order, whatever the size.
 */
static void test_large(bool tty)
{
	enum { BIG = 3 * WSC_OUTPUT_BUF + 123 };
	char *in = malloc(BIG), *want = malloc(2 * BIG + 64), *got;
	size_t want_len = 0, got_len;
	FILE *f = tmpfile();
	long size;

	if (!ok(f && in && want, "large (tty=%d): tmpfile", tty)) {
		return;
	}
	for (size_t i = 0; i < BIG; i++) {
		in[i] = (char)("abc\x1b"[i % 4]);
	}
	output_init(&out, fileno(f), tty, '\n', false, false);
	message(false, "first", 5);
	output_begin(&out, false);
	output_data(&out, in, 100);
	output_data(&out, in + 100, BIG - 100);     // one huge piece
	output_end(&out);
	message(false, "last", 4);
	ok(output_flush(&out), "large (tty=%d): flush", tty);

	want_len = (size_t)sprintf(want, "%sfirst\n%s", tty ? "< " : "",
		tty ? "< " : "");
	for (size_t i = 0; i < BIG; i++) {
		if (tty && in[i] == '\x1b') {
			want[want_len++] = '\\';
			want[want_len++] = 'e';
		} else {
			want[want_len++] = in[i];
		}
	}
	want_len += (size_t)sprintf(want + want_len, "\n%slast\n",
		tty ? "< " : "");

	fflush(f);
	size = lseek(fileno(f), 0, SEEK_END);
	lseek(fileno(f), 0, SEEK_SET);
	got = malloc((size_t)size + 1);
	got_len = got ? (size_t)read(fileno(f), got, (size_t)size) : 0;
	ok(got_len == want_len && !memcmp(got, want, want_len),
		"large (tty=%d): %d-byte message between two small ones, exact and "
		"in order (got %zu bytes, expected %zu)", tty, BIG, got_len,
		want_len);
	fclose(f);
	free(in);
	free(want);
	free(got);
}

/* The reader going away is reported, not fatal. */
static void test_broken_pipe(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!start(false, '\n')) {
		return;
	}
	close(fds[0]);
	message(false, "lost", 4);
	ok(!output_flush(&out), "broken pipe: flush fails");
	ok(out.broken, "broken pipe: marked broken");
	message(false, "more", 4);
	ok(!output_flush(&out) && !output_pending(&out),
		"broken pipe: later output is dropped");
	close(fds[1]);
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

static void test_timestamps_color(void)
{
	char got[128];
	ssize_t n;

	// "HH:MM:SS.mmm " before the message, after the "< " on a terminal
	for (int tty = 0; tty <= 1; tty++) {
		const char *p = got + (tty ? 2 : 0);

		if (!start(tty, '\n')) {
			return;
		}
		output_init(&out, fds[1], tty, '\n', true, false);
		message(false, "hello", 5);
		output_flush(&out);
		n = read(fds[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		ok(n == (tty ? 2 : 0) + 13 + 6 && (!tty || !memcmp(got, "< ", 2)) &&
			is_digits(p, 2) && p[2] == ':' && is_digits(p + 3, 2) &&
			p[5] == ':' && is_digits(p + 6, 2) && p[8] == '.' &&
			is_digits(p + 9, 3) && !strcmp(p + 12, " hello\n"),
			"timestamps (tty=%d): \"%s\"", tty, tap_esc(got));
		close(fds[0]);
		close(fds[1]);
	}

	// colour never reaches a pipe
	if (start(false, '\n')) {
		output_init(&out, fds[1], false, '\n', false, true);
		message(false, "hi", 2);
		check(S("hi\n"), "colour on a pipe adds nothing");
	}
	if (start(true, '\n')) {
		output_init(&out, fds[1], true, '\n', false, true);
		message(false, "\x1b" "hi", 3);
		output_flush(&out);
		n = read(fds[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		ok(got[0] == '\x1b' && n > 6 && !strcmp(got + n - 6, " \\ehi\n"),
			"colour on a terminal: coloured prefix, text still escaped "
			"(\"%s\")", tap_esc(got));
		close(fds[0]);
		close(fds[1]);
	}
}

/* --pretty: JSON re-indented in pieces, the rest as before, pipes untouched. */
static void test_pretty(void)
{
	static const char doc[] = " {\"a\":[1,\"\x7f\xc2\x9b\"],\"b\":{}} ";
	static const char want[] = "< {\n    \"a\": [\n      1,\n      "
		"\"\\x7f\\u009b\"\n    ],\n    \"b\": {}\n  }\n";
	enum { BIG = WSC_OUTPUT_PRETTY_MAX + 10 };
	char *big = malloc(BIG);
	FILE *f = tmpfile();
	long size;

	if (start(true, '\n')) {
		out.pretty = true;
		output_begin(&out, false);
		output_data(&out, doc, 5);     // cut inside a token
		output_data(&out, doc + 5, sizeof(doc) - 1 - 5);
		output_end(&out);
		check(want, sizeof(want) - 1, "pretty: re-indented, escaped");
		output_finish(&out);
	}
	if (start(true, '\n')) {
		out.pretty = true;
		message(false, "[1,", 3);
		message(false, "x[1]", 4);
		message(true, "[1]", 3);
		check(S("< [1,\n< x[1]\n< [binary 3 bytes] 5b 31 5d\n"),
			"pretty: not JSON, or binary, as before");
		output_finish(&out);
	}
	if (start(false, '\n')) {
		out.pretty = true;
		message(false, doc, sizeof(doc) - 1);
		message(false, "[", 1);
		check(S(" {\"a\":[1,\"\x7f\xc2\x9b\"],\"b\":{}} \n[\n"),
			"pretty on a pipe: unchanged");
	}
	output_finish(&out);
	if (!ok(big && f, "pretty: large")) {
		return;
	}
	// a valid array larger than the bound is shown as received
	big[0] = '[';
	memset(big + 1, ' ', BIG - 3);
	big[BIG - 2] = '1';
	big[BIG - 1] = ']';
	output_init(&out, fileno(f), true, '\n', false, false);
	out.pretty = true;
	output_begin(&out, false);
	for (size_t i = 0; i < BIG; i += 65536) {
		output_data(&out, big + i, BIG - i < 65536 ? BIG - i : 65536);
	}
	output_end(&out);
	output_flush(&out);
	output_finish(&out);
	size = lseek(fileno(f), 0, SEEK_END);
	ok(size == BIG + 3, "pretty: above WSC_OUTPUT_PRETTY_MAX shown as "
		"received (%ld bytes)", size);
	fclose(f);
	free(big);
}

/* utf8check_feed() on text cut in three pieces at every pair of places. */
static void test_utf8_check(const char *name, const char *text, size_t n,
		bool valid)
{
	bool all = true;

	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b++) {
			const unsigned char *t = (const unsigned char *)text;
			struct wsc_utf8check u;
			bool got;

			utf8check_init(&u);
			got = utf8check_feed(&u, t, a) == a &&
				utf8check_feed(&u, t + a, b - a) == b - a &&
				utf8check_feed(&u, t + b, n - b) == n - b &&
				utf8check_done(&u);

			if (got != valid) {
				diag("%s: cut at %zu and %zu: %s", name, a, b,
					got ? "valid" : "invalid");
				all = false;
			}
		}
	}
	ok(all, "utf8check, %s: %s at every cut", name,
		valid ? "valid" : "invalid");
}

int main(void)
{
	test_utf8_check("mixed", S("a\xe6\x97\xa5\xf0\x9f\x8e\x89\xc2\xa9z"),
		true);
	test_utf8_check("empty", S(""), true);
	test_utf8_check("bad byte", S("ab\xff"), false);
	test_utf8_check("surrogate", S("a\xed\xa0\x80"), false);
	test_utf8_check("overlong", S("a\xc0\xaf"), false);
	test_utf8_check("above U+10FFFF", S("\xf4\x90\x80\x80"), false);
	test_utf8_check("cut at the end", S("ab\xe6\x97"), false);
	test_utf8_check("lead then ASCII", S("ab\xe6" "Acd"), false);
	for (size_t i = 0; i < sizeof(esc_rows) / sizeof(esc_rows[0]); i++) {
		test_escape(&esc_rows[i]);
	}
	test_escape_cuts("mixed UTF-8", "a\xe6\x97\xa5\xf0\x9f\x98\x80\xc2\xa9z",
		"a\xe6\x97\xa5\xf0\x9f\x98\x80\xc2\xa9z");
	test_escape_cuts("UTF-8 and escapes", "\x1b\xe6\x97\xa5\n\xc2\x9b\xff",
		"\\e\xe6\x97\xa5\\n\\u009b\\xff");
	test_escape_carry();
	test_escape_max();
	for (size_t i = 0; i < sizeof(fmt_rows) / sizeof(fmt_rows[0]); i++) {
		test_format(&fmt_rows[i]);
	}
	test_hex_cut();
	test_sequences();
	test_large(false);
	test_large(true);
	test_broken_pipe();
	test_timestamps_color();
	test_pretty();
	return done_testing();
}
