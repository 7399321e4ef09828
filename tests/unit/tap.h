/*
 * tap.h - a minimal TAP producer for the unit tests, header only.
 * plan(n) up front or `return done_testing();` at the end of main (nonzero
 * when a test failed or the count is off); ok(), is_int(), is_str(),
 * is_mem() (bytes, NULs allowed), diag(). Failures show got/expected with
 * non-printable bytes as \xNN; tap_esc() does the same for test names.
 */
#ifndef WSC_TAP_H
#define WSC_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

static inline void plan(int n) { tap_planned = n; printf("1..%d\n", n); }

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* s[0..n) C-escaped (and '#'-free) for a TAP line; 8 results stay valid. */
static inline const char *tap_esc_n(const void *s, size_t n)
{
	static char ring[8][200];
	static unsigned next;
	char *out = ring[next++ % 8];
	const unsigned char *p = s;
	size_t o = 0;

	if (!p) {
		return "(null)";
	}
	for (size_t i = 0; i < n && o < sizeof(ring[0]) - 8; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\' || p[i] == '#') {
			o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
		} else {
			out[o++] = (char)p[i];
		}
	}
	strcpy(out + o, o < sizeof(ring[0]) - 8 ? "" : "...");
	return out;
}

static inline const char *tap_esc(const char *s)
{
	return tap_esc_n(s, s ? strlen(s) : 0);
}

/* Whole values, however long, for failure reports. */
static inline void tap_dump(const char *label, const void *p, size_t n)
{
	const unsigned char *s = p;

	printf("#   %8s: ", label);
	if (!s) {
		printf("(null)\n");
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\') {
			printf("\\x%02x", s[i]);
		} else {
			putchar(s[i]);
		}
	}
	printf("\" (%zu bytes)\n", n);
}

__attribute__((format(printf, 4, 0)))
static inline bool tap_vok(bool pass, const char *file, int line,
		const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	return pass;
}

__attribute__((format(printf, 4, 5)))
static inline bool tap_ok(bool pass, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pass = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_int(long long got, long long want, const char *file,
		int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (got != want) {
		printf("#        got: %lld\n#   expected: %lld\n", got, want);
	}
	return got == want;
}

/* gn/wn of (size_t)-1: got/want is a C string (NULL allowed). */
__attribute__((format(printf, 7, 8)))
static inline bool tap_is_mem(const void *got, size_t gn, const void *want,
		size_t wn, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	bool pass;

	if (gn == (size_t)-1) {
		gn = got ? strlen(got) : 0;
	}
	if (wn == (size_t)-1) {
		wn = want ? strlen(want) : 0;
	}
	pass = got && want ? gn == wn && !memcmp(got, want, gn) : got == want;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass) {
		tap_dump("got", got, gn);
		tap_dump("expected", want, wn);
	}
	return pass;
}

static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 1;
	}
	if (tap_failed) {
		diag("failed %d of %d tests", tap_failed, tap_run);
	}
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), \
	(long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_mem((const char *)(got), (size_t)-1, \
	(const char *)(want), (size_t)-1, __FILE__, __LINE__, __VA_ARGS__)
#define is_mem(got, gn, want, wn, ...) tap_is_mem(got, gn, want, wn, \
	__FILE__, __LINE__, __VA_ARGS__)

#endif
