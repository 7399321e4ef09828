/*
 * stats.c - the figures --stats reports (stats.h): counters, and series
 * of round trips kept within a fixed bound, summed up by nearest-rank
 * percentiles at the end. Hand-written: a few dozen lines of counting
 * and a qsort; a statistics library would bring more than it saves.
 */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

// (x is zeroed)
static void series_init(struct stats_series *x, size_t cap, uint64_t seed)
{
	x->cap = cap;
	x->rng = seed | 1;
}

void stats_init(struct wsc_stats *s, int64_t now_us, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->start_us = now_us;
	series_init(&s->expect, cap, 0x9e3779b97f4a7c15ULL);
	series_init(&s->rpc, cap, 0xbf58476d1ce4e5b9ULL);
	series_init(&s->ping, cap, 0x94d049bb133111ebULL);
}

void stats_finish(struct wsc_stats *s)
{
	free(s->expect.v);
	free(s->rpc.v);
	free(s->ping.v);
	s->expect.v = s->rpc.v = s->ping.v = NULL;
}

static uint64_t next_random(struct stats_series *x)
{
	x->rng ^= x->rng << 13;
	x->rng ^= x->rng >> 7;
	x->rng ^= x->rng << 17;
	return x->rng;
}

bool stats_sample(struct stats_series *x, int64_t us)
{
	if (us < 0) {
		us = 0;
	}
	if (!x->count || us < x->min) {
		x->min = us;
	}
	if (!x->count || us > x->max) {
		x->max = us;
	}
	x->count++;
	x->sorted = false;
	if (x->n >= x->cap) {
		// reservoir: the new sample replaces a kept one with
		// probability cap/count, so what is kept stays uniform
		uint64_t j = next_random(x) % x->count;

		if (j < x->n) {
			x->v[j] = us;
		}
		return true;
	}
	if (x->n == x->alloc) {
		size_t want = x->alloc ? x->alloc * 2 : 64;
		int64_t *p;

		if (want > x->cap) {
			want = x->cap;
		}
		p = realloc(x->v, want * sizeof(*p));
		if (!p) {
			return false;
		}
		x->v = p;
		x->alloc = want;
	}
	x->v[x->n++] = us;
	return true;
}

void stats_latency(struct wsc_stats *s, lws_usec_t rtt)
{
	stats_sample(&s->rpc, (int64_t)rtt);
}

void stats_opened(struct wsc_stats *s, int64_t now_us)
{
	if (!s->open_since_us) {
		s->open_since_us = now_us;
	}
}

void stats_closed(struct wsc_stats *s, int64_t now_us)
{
	if (s->open_since_us) {
		s->open_us += now_us - s->open_since_us;
		s->open_since_us = 0;
	}
}

int64_t stats_open_us(const struct wsc_stats *s, int64_t now_us)
{
	return s->open_us + (s->open_since_us ? now_us - s->open_since_us : 0);
}

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

// Nearest rank: the ceil(p/100 * n)-th smallest (n >= 1).
static int64_t rank(const struct stats_series *x, unsigned p)
{
	size_t k = (x->n * p + 99) / 100;

	return x->v[k ? k - 1 : 0];
}

void stats_summarize(struct stats_series *x, struct stats_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->count = x->count;
	if (!x->count) {
		return;
	}
	out->min = x->min;
	out->max = x->max;
	if (!x->n) {
		// nothing could be kept: the extremes are all there is
		out->median = out->p90 = out->p99 = x->min;
		return;
	}
	if (!x->sorted) {
		qsort(x->v, x->n, sizeof(*x->v), by_value);
		x->sorted = true;
	}
	out->median = rank(x, 50);
	out->p90 = rank(x, 90);
	out->p99 = rank(x, 99);
}
