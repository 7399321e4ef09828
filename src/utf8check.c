/*
 * utf8check.c - an incremental UTF-8 validator (RFC 3629 / Unicode table
 * 3-7): ASCII in 8-byte words, the rest a byte at a time. Pure.
 */
#include "utf8check.h"

#include <stdint.h>
#include <string.h>

#define HIGH_BITS UINT64_C(0x8080808080808080)

size_t utf8check_feed(struct wsc_utf8check *u, const unsigned char *p,
		size_t n)
{
	const unsigned char *start = p, *end = p + n;
	unsigned need = u->need, lo = u->lo, hi = u->hi;

	while (p < end) {
		unsigned c;

		if (!need) {
			uint64_t w;

			while (end - p >= 8) {
				memcpy(&w, p, 8);
				if (w & HIGH_BITS) {
					break;
				}
				p += 8;
			}
			while (p < end && *p < 0x80) {
				p++;
			}
			if (p == end) {
				break;
			}
			c = *p++;
			lo = 0x80;
			hi = 0xbf;
			if (c >= 0xc2 && c <= 0xdf) {
				need = 1;
			} else if (c >= 0xe0 && c <= 0xef) {
				need = 2;
				lo = c == 0xe0 ? 0xa0 : 0x80;
				hi = c == 0xed ? 0x9f : 0xbf;
			} else if (c >= 0xf0 && c <= 0xf4) {
				need = 3;
				lo = c == 0xf0 ? 0x90 : 0x80;
				hi = c == 0xf4 ? 0x8f : 0xbf;
			} else {
				return (size_t)(p - 1 - start);
			}
			continue;
		}
		c = *p++;
		if (c < lo || c > hi) {
			return (size_t)(p - 1 - start);
		}
		need--;
		lo = 0x80;
		hi = 0xbf;
	}
	u->need = (unsigned char)need;
	u->lo = (unsigned char)lo;
	u->hi = (unsigned char)hi;
	return n;
}
