/*
 * wsb.h - small helpers shared by the benchmark programs: SHA-1 and base64
 * for the WebSocket accept key, a fast PRNG for masks, the payload pattern
 * every workload uses, clocks, and in-place (un)masking.
 *
 * Payload pattern: message i (0-based) of size S is the decimal index i
 * followed by 'x' filler up to S bytes (just the digits when S is smaller).
 */
#ifndef WSB_H
#define WSB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define WSB_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WSB_FILL 'x'

static inline uint64_t wsb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- SHA-1 (RFC 3174), only for the 60-byte handshake string --- */

static inline uint32_t wsb_rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static inline void wsb_sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++) {
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
			(uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	}
	for (i = 16; i < 80; i++) {
		w[i] = wsb_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDC;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6;
		}
		t = wsb_rol(a, 5) + f + e + k + w[i];
		e = d; d = c; c = wsb_rol(b, 30); b = a; a = t;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static inline void wsb_sha1(const void *data, size_t len, unsigned char out[20])
{
	uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
		0xC3D2E1F0 };
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t full = len / 64 * 64, rest = len - full, tl;
	uint64_t bits = (uint64_t)len * 8;
	int i;

	for (size_t off = 0; off < full; off += 64) {
		wsb_sha1_block(h, p + off);
	}
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++) {
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	}
	wsb_sha1_block(h, tail);
	if (tl == 128) {
		wsb_sha1_block(h, tail + 64);
	}
	for (i = 0; i < 20; i++) {
		out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
	}
}

static inline size_t wsb_base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

// Sec-WebSocket-Accept for a key (the key as sent, without spaces).
static inline void wsb_accept(const char *key, size_t klen, char out[29])
{
	char buf[128];
	unsigned char dig[20];

	if (klen > sizeof(buf) - sizeof(WSB_GUID)) {
		klen = sizeof(buf) - sizeof(WSB_GUID);
	}
	memcpy(buf, key, klen);
	memcpy(buf + klen, WSB_GUID, sizeof(WSB_GUID) - 1);
	wsb_sha1(buf, klen + sizeof(WSB_GUID) - 1, dig);
	wsb_base64(dig, 20, out);
}

/* --- PRNG: xorshift64* --- */

static inline uint64_t wsb_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* --- masking: XOR with a 4-byte key starting at key offset `off` --- */

static inline void wsb_mask_copy(unsigned char *dst, const unsigned char *src,
		size_t len, const unsigned char key[4], size_t off)
{
	unsigned char k[8];
	uint64_t k64, v;
	size_t i = 0;

	for (int j = 0; j < 8; j++) {
		k[j] = key[(off + (size_t)j) & 3];
	}
	memcpy(&k64, k, 8);
	for (; i + 8 <= len; i += 8) {
		memcpy(&v, src + i, 8);
		v ^= k64;
		memcpy(dst + i, &v, 8);
	}
	for (; i < len; i++) {
		dst[i] = src[i] ^ k[i & 7];
	}
}

/* --- the payload pattern --- */

// Writes the decimal digits of v; returns their count (at most 20).
static inline size_t wsb_utoa(uint64_t v, char *out)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++) {
		out[i] = tmp[n - 1 - i];
	}
	return n;
}

// Length of message i's payload for size s.
static inline uint64_t wsb_msg_len(uint64_t i, uint64_t s)
{
	char d[24];
	size_t dl = wsb_utoa(i, d);

	return s > dl ? s : dl;
}

// Fills dst with bytes [off, off+len) of message i (digits d, dlen of them).
static inline void wsb_pattern(unsigned char *dst, const char *d, size_t dlen,
		uint64_t off, size_t len)
{
	while (len && off < dlen) {
		*dst++ = (unsigned char)d[off++];
		len--;
	}
	memset(dst, WSB_FILL, len);
}

// Checks src against bytes [off, off+len) of message i; 1 when equal.
static inline int wsb_pattern_ok(const unsigned char *src, const char *d,
		size_t dlen, uint64_t off, size_t len)
{
	static const unsigned char xs[4096] = { [0 ... 4095] = WSB_FILL };

	while (len && off < dlen) {
		if (*src++ != (unsigned char)d[off++]) {
			return 0;
		}
		len--;
	}
	while (len) {
		size_t k = len < sizeof(xs) ? len : sizeof(xs);

		if (memcmp(src, xs, k) != 0) {
			return 0;
		}
		src += k;
		len -= k;
	}
	return 1;
}

#endif
