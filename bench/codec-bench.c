/*
 * codec-bench.c - the frame codec (src/frame.c) alone, from memory: no
 * sockets, no output. Decodes 2 000 × 64 KiB and 200 000 × 64 B text
 * messages in both roles (unmasked frames to a client, masked to a
 * server), fed in 256 KiB reads that are first copied into the read
 * buffer as recv() would; then encodes the same into a 1 MiB output
 * buffer. Prints MB/s of payload and messages/s, medians of 5 runs.
 *
 *   codec-bench [RUNS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"

#define READ_SIZE (256 * 1024)
#define OUT_SIZE  (1024 * 1024)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

// Message i of size s: the decimal i, then 'x' (the bench's pattern).
static void pattern(unsigned char *p, size_t i, size_t s)
{
	int n = snprintf((char *)p, s + 1, "%zu", i);

	if ((size_t)n < s) {
		memset(p + n, 'x', s - (size_t)n);
	}
}

struct stream {
	unsigned char *p;
	size_t len;
	size_t msgs;            // messages in p
};

// count messages of size s, framed as a server (unmasked) or client
static struct stream build(size_t count, size_t s, struct wsc_mask *keys)
{
	struct stream st = { malloc(count * (s + FRAME_HEADER_MAX)), 0, count };
	unsigned char *pay = malloc(s + 1);

	for (size_t i = 0; i < count; i++) {
		pattern(pay, i, s);
		st.len += frame_write(st.p + st.len, FRAME_FIN | FRAME_TEXT, pay,
			s, keys);
	}
	free(pay);
	return st;
}

static unsigned char rbuf[READ_SIZE];

// Decode st passes times; returns seconds, checks the message count.
static double decode(const struct stream *st, size_t passes,
		enum wsc_frame_role role, size_t size)
{
	struct wsc_frame_decoder d;
	size_t msgs = 0, bytes = 0;
	double t0 = now();

	frame_decoder_init(&d, role, false, 0);
	for (size_t pass = 0; pass < passes; pass++) {
		for (size_t at = 0; at < st->len;) {
			size_t n = st->len - at < READ_SIZE ? st->len - at :
				READ_SIZE, off = 0;

			memcpy(rbuf, st->p + at, n);    // what recv() does
			at += n;
			for (;;) {
				struct wsc_frame_event ev;

				off += frame_decode(&d, rbuf + off, n - off, &ev);
				if (ev.type == FRAME_EV_MORE) {
					break;
				} else if (ev.type == FRAME_EV_DATA) {
					bytes += ev.len;
				} else if (ev.type == FRAME_EV_END) {
					msgs++;
				} else if (ev.type == FRAME_EV_ERROR) {
					fprintf(stderr, "decode: %s\n", ev.why);
					exit(1);
				}
			}
		}
	}
	if (msgs != st->msgs * passes || bytes != msgs * size) {
		fprintf(stderr, "decode: %zu messages, %zu bytes\n", msgs, bytes);
		exit(1);
	}
	return now() - t0;
}

static unsigned char obuf[OUT_SIZE];
static volatile unsigned char sink;     // keeps the reference copy

static double encode(size_t count, size_t s, struct wsc_mask *keys)
{
	unsigned char *pay = malloc(s + 1);
	size_t o = 0, total = 0;
	double t0;

	pattern(pay, 7, s);
	t0 = now();
	for (size_t i = 0; i < count; i++) {
		if (OUT_SIZE - o < s + FRAME_HEADER_MAX) {
			total += o;
			o = 0;      // "sent"
		}
		o += frame_write(obuf + o, FRAME_FIN | FRAME_TEXT, pay, s, keys);
	}
	total += o;
	t0 = now() - t0;
	if (total != count * (s + frame_header_len(s, keys))) {
		fprintf(stderr, "encode: %zu bytes\n", total);
		exit(1);
	}
	free(pay);
	return t0;
}

static void report(const char *what, double *t, int runs, size_t count,
		size_t s)
{
	double med;

	qsort(t, (size_t)runs, sizeof(*t), cmp);
	med = t[runs / 2];
	printf("| %-34s | %9.0f | %11.0f |\n", what,
		(double)count * (double)s / med / 1e6, (double)count / med);
}

int main(int argc, char **argv)
{
	static struct wsc_mask keys;
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	double t[32];
	struct {
		size_t count, size, passes;
	} w[] = { { 2000, 65536, 0 }, { 200000, 64, 0 } };

	if (runs < 1 || runs > 32) {
		runs = 5;
	}
	mask_init(&keys);
	printf("| %-34s |      MB/s |       msg/s |\n"
		"|---|---:|---:|\n", "workload (medians)");
	for (size_t k = 0; k < 2; k++) {
		// 64 KiB: 250 messages in memory, decoded 8 times
		size_t count = w[k].size > 1024 ? 250 : w[k].count;
		size_t passes = w[k].count / count;
		char what[64];

		for (int role = 0; role < 2; role++) {
			struct stream st = build(count, w[k].size, role ? &keys :
				NULL);

			for (int r = 0; r < runs; r++) {
				t[r] = decode(&st, passes, role ? FRAME_ROLE_SERVER :
					FRAME_ROLE_CLIENT, w[k].size);
			}
			snprintf(what, sizeof(what), "decode %zu × %zu B, %s",
				w[k].count, w[k].size, role ? "masked" :
				"unmasked");
			report(what, t, runs, w[k].count, w[k].size);
			free(st.p);
		}
		for (int role = 0; role < 2; role++) {
			for (int r = 0; r < runs; r++) {
				t[r] = encode(w[k].count, w[k].size, role ? NULL :
					&keys);
			}
			snprintf(what, sizeof(what), "encode %zu × %zu B, %s",
				w[k].count, w[k].size, role ? "unmasked" :
				"masked");
			report(what, t, runs, w[k].count, w[k].size);
		}
	}
	// the floor: copying the bytes once
	{
		unsigned char *src = malloc(16 << 20), *dst = malloc(16 << 20);

		memset(src, 'x', 16 << 20);
		for (int r = 0; r < runs; r++) {
			double t0 = now();

			for (int i = 0; i < 8; i++) {
				memcpy(dst, src, 16 << 20);
				src[i]++;
				sink ^= dst[i * 4099];
			}
			t[r] = now() - t0;
		}
		report("memcpy (reference)", t, runs, 8, 16 << 20);
		free(src);
		free(dst);
	}
	mask_finish(&keys);
	return 0;
}
