/*
 * utf8.c - walking text that arrives in pieces, one code point at a time,
 * for the terminal filter and the JSON encoder. Pure.
 */
#include "utf8.h"

#include <string.h>

size_t utf8_walk(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out,
		const struct utf8_render *r)
{
	unsigned char b[UTF8_WALK_MAX + 4];
	size_t n = *npend, o = 0, i = 0;

	memcpy(b, pend, n);
	if (len) {
		memcpy(b + n, in, len);
		n += len;
	}
	*npend = 0;
	while (i < n) {
		unsigned char c = b[i];
		size_t need, have;

		if (c < 0x80) {
			o += r->ascii(c, out + o);
			i++;
			continue;
		}
		need = utf8_seq_len(c);
		have = n - i < need ? n - i : need;
		if (!need || !utf8_prefix_ok(b + i, have) ||
				(have < need && final)) {
			o += r->bad(c, out + o);
			i++;
			continue;
		}
		if (have < need) {
			memcpy(pend, b + i, have);  // finish it with the next piece
			*npend = have;
			break;
		}
		o += r->seq(b + i, need, out + o);
		i += need;
	}
	return o;
}

