/*
 * jsonl.c - JSON string escaping and streaming base64 for -j. Pure.
 */
#include "jsonl.h"

#include "utf8.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t jsonl_escape(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out)
{
	unsigned char b[JSONL_ESCAPE_MAX + 4];
	size_t o = 0, i = 0, n = *npend;

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
			switch (c) {
			case '"': memcpy(out + o, "\\\"", 2); o += 2; break;
			case '\\': memcpy(out + o, "\\\\", 2); o += 2; break;
			case '\n': memcpy(out + o, "\\n", 2); o += 2; break;
			case '\r': memcpy(out + o, "\\r", 2); o += 2; break;
			case '\t': memcpy(out + o, "\\t", 2); o += 2; break;
			default:
				if (c < 0x20 || c == 0x7f) {
					o += (size_t)sprintf(out + o, "\\u%04x", c);
				} else {
					out[o++] = (char)c;
				}
			}
			i++;
			continue;
		}
		need = utf8_seq_len(c);
		have = n - i < need ? n - i : need;
		if (!need || !utf8_prefix_ok(b + i, have) ||
				(have < need && final)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);   // U+FFFD per bad byte
			o += 3;
			i++;
			continue;
		}
		if (have < need) {
			memcpy(pend, b + i, have);  // finish it with the next piece
			*npend = have;
			break;
		}
		memcpy(out + o, b + i, need);
		o += need;
		i += need;
	}
	return o;
}

size_t jsonl_base64(const unsigned char *in, size_t len, bool final,
		unsigned char carry[2], size_t *ncarry, char *out)
{
	unsigned char t[3];
	size_t o = 0, i = 0;

	for (;;) {
		size_t k = *ncarry;

		memcpy(t, carry, k);
		while (k < 3 && i < len) {
			t[k++] = in[i++];
		}
		if (k < 3) {
			memcpy(carry, t, k);
			*ncarry = k;
			break;
		}
		*ncarry = 0;
		out[o++] = b64[t[0] >> 2];
		out[o++] = b64[(t[0] & 3) << 4 | t[1] >> 4];
		out[o++] = b64[(t[1] & 15) << 2 | t[2] >> 6];
		out[o++] = b64[t[2] & 63];
	}
	if (final && *ncarry) {
		t[0] = carry[0];
		t[1] = *ncarry > 1 ? carry[1] : 0;
		out[o++] = b64[t[0] >> 2];
		out[o++] = b64[(t[0] & 3) << 4 | t[1] >> 4];
		out[o++] = *ncarry > 1 ? b64[(t[1] & 15) << 2] : '=';
		out[o++] = '=';
		*ncarry = 0;
	}
	return o;
}

void jsonl_timestamp(char *out, size_t size)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(out, size, "\"ts\":%lld.%03d", (long long)tv.tv_sec,
		(int)(tv.tv_usec / 1000));
}

size_t jsonl_quote(const char *s, size_t len, char *out, size_t size)
{
	char esc[6 * (JSONL_ESCAPE_MAX + 4)];
	unsigned char pend[4];
	size_t npend = 0, o = 0;

	if (size < 3) {
		return 0;
	}
	out[o++] = '"';
	while (len || npend) {
		size_t n = len > JSONL_ESCAPE_MAX ? JSONL_ESCAPE_MAX : len;
		size_t e = jsonl_escape((const unsigned char *)s, n, n == len,
			pend, &npend, esc);

		if (o + e + 2 > size) {
			break;  // cut at a piece boundary: still whole escapes
		}
		memcpy(out + o, esc, e);
		o += e;
		s += n;
		len -= n;
		if (!n) {
			break;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}
