/*
 * utf8.h - the two UTF-8 checks the terminal filter and the JSON encoder
 * share: how long a sequence its lead byte announces, and whether the
 * bytes so far can still be a valid, shortest-form sequence.
 */
#ifndef WSC_UTF8_H
#define WSC_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Sequence length from its lead byte; 0 when the byte cannot lead. */
static inline size_t utf8_seq_len(unsigned char c)
{
	return c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
		c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

/* s[0..have) is a valid prefix: continuation bytes, no overlong form, no
 * surrogate, nothing above U+10FFFF. */
static inline bool utf8_prefix_ok(const unsigned char *s, size_t have)
{
	for (size_t i = 1; i < have; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return false;
		}
	}
	return !(have >= 2 && ((s[0] == 0xe0 && s[1] < 0xa0) ||
		(s[0] == 0xed && s[1] > 0x9f) ||
		(s[0] == 0xf0 && s[1] < 0x90) ||
		(s[0] == 0xf4 && s[1] > 0x8f)));
}

#define UTF8_WALK_MAX 1024     // the largest piece utf8_walk() takes

/* How a walk renders what it meets; each returns the bytes written. */
struct utf8_render {
	size_t (*ascii)(unsigned char c, char *out);
	size_t (*seq)(const unsigned char *s, size_t n, char *out);
	size_t (*bad)(unsigned char c, char *out);  // a byte that is not UTF-8
};

/*
 * Render len (at most UTF8_WALK_MAX) bytes of text into out. A sequence
 * cut by the end of the piece is carried in pend/npend to the next call;
 * final=true renders it as bad bytes instead. Returns bytes written.
 */
size_t utf8_walk(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out,
		const struct utf8_render *r);

/* The whole of s[0..n) is valid UTF-8. */
static inline bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t need = s[i] < 0x80 ? 1 : utf8_seq_len(s[i]);

		if (!need || i + need > n || !utf8_prefix_ok(s + i, need)) {
			return false;
		}
		i += need;
	}
	return true;
}

#endif
