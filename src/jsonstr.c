/*
 * jsonstr.c - the characters of a JSON string token, its escapes decoded
 * (jsonstr.h). Written by hand: it walks a token the scanner has already
 * checked, so it is a short loop with no failure to report.
 */
#include "jsonstr.h"

static unsigned hexval(char c)
{
	return (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

static unsigned hex4(const char *s)
{
	return hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 |
		hexval(s[3]);
}

// Code point cp (at most U+10FFFF) as UTF-8.
static size_t utf8_put(unsigned cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t jsonstr_next(const char *s, size_t n, size_t *i,
		unsigned char out[JSONSTR_CHAR_MAX], bool *lone)
{
	unsigned cp;

	*lone = false;
	if (*i + 1 >= n) {
		return 0;   // the closing quote
	}
	if (s[*i] != '\\') {
		out[0] = (unsigned char)s[(*i)++];
		return 1;
	}
	switch (s[*i + 1]) {
	case 'b': cp = '\b'; break;
	case 'f': cp = '\f'; break;
	case 'n': cp = '\n'; break;
	case 'r': cp = '\r'; break;
	case 't': cp = '\t'; break;
	case 'u':
		cp = hex4(s + *i + 2);
		if (cp >= 0xd800 && cp < 0xdc00 && *i + 12 <= n - 1 &&
				s[*i + 6] == '\\' && s[*i + 7] == 'u') {
			unsigned lo = hex4(s + *i + 8);

			if (lo >= 0xdc00 && lo < 0xe000) {
				*i += 12;
				return utf8_put(0x10000 + ((cp - 0xd800) << 10) +
					(lo - 0xdc00), out);
			}
		}
		*lone = cp >= 0xd800 && cp < 0xe000;
		*i += 6;
		return utf8_put(cp, out);
	default:    // " \ /
		cp = (unsigned char)s[*i + 1];
		break;
	}
	*i += 2;
	out[0] = (unsigned char)cp;
	return 1;
}
