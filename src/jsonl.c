/*
 * jsonl.c - JSON string escaping and streaming base64 for -j. Pure.
 */
#include "jsonl.h"

#include "utf8.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t json_ascii(unsigned char c, char *out)
{
	static const char esc[] = "\"\"\\\\\nn\rr\tt";

	for (size_t k = 0; k < sizeof(esc) - 1; k += 2) {
		if ((unsigned char)esc[k] == c) {
			out[0] = '\\';
			out[1] = esc[k + 1];
			return 2;
		}
	}
	if (c < 0x20 || c == 0x7f) {
		return (size_t)sprintf(out, "\\u%04x", c);
	}
	*out = (char)c;
	return 1;
}

static size_t json_seq(const unsigned char *s, size_t n, char *out)
{
	memcpy(out, s, n);
	return n;
}

static size_t json_bad(unsigned char c, char *out)
{
	(void)c;
	memcpy(out, "\xef\xbf\xbd", 3);   // U+FFFD per bad byte
	return 3;
}

static const struct utf8_render json = { json_ascii, json_seq, json_bad };

size_t jsonl_escape(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out)
{
	return utf8_walk(in, len, final, pend, npend, out, &json);
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

struct jsonl_time jsonl_now(void)
{
	struct timespec wall, mono;

	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (struct jsonl_time){
		(int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000,
		(int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000,
	};
}

void jsonl_timestamp(char *out, size_t size, const struct jsonl_time *at,
		int64_t t0_mono_us)
{
	int64_t t = at->mono_us > t0_mono_us ? at->mono_us - t0_mono_us : 0;

	snprintf(out, size, "\"ts\":%lld.%03d,\"t\":%lld.%06d",
		(long long)(at->wall_us / 1000000),
		(int)(at->wall_us % 1000000 / 1000),
		(long long)(t / 1000000), (int)(t % 1000000));
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
