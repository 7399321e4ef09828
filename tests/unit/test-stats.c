/*
 * test-stats.c - the --stats figures: percentiles by nearest rank, exact
 * extremes and count, a series that keeps no more than its cap however
 * many samples come (the reservoir), and the time open summed over
 * connections.
 */
#include <stdlib.h>

#include "stats.h"
#include "tap.h"

int main(void)
{
	struct wsc_stats s;
	struct stats_summary m;

	stats_init(&s, 1000, STATS_SAMPLES_MAX);
	stats_summarize(&s.expect, &m);
	is_int(m.count, 0, "an empty series counts nothing");

	stats_sample(&s.expect, 7);
	stats_summarize(&s.expect, &m);
	ok(m.count == 1 && m.min == 7 && m.median == 7 && m.p99 == 7 &&
		m.max == 7, "one sample is every figure");

	// 100 down to 1: nearest rank on 1..100
	for (int i = 100; i >= 2; i--) {
		stats_sample(&s.rpc, i);
	}
	stats_latency(&s, 1);
	stats_summarize(&s.rpc, &m);
	is_int(m.count, 100, "stats_latency() counts in the --rpc series");
	is_int(m.min, 1, "min");
	is_int(m.median, 50, "median: the 50th of 100");
	is_int(m.p90, 90, "p90: the 90th");
	is_int(m.p99, 99, "p99: the 99th");
	is_int(m.max, 100, "max");

	// two samples: the median is the lower (rank ceil(0.5 * 2) = 1)
	stats_sample(&s.ping, 30);
	stats_sample(&s.ping, 10);
	stats_summarize(&s.ping, &m);
	ok(m.median == 10 && m.p90 == 30 && m.p99 == 30,
		"of two, the median is the lower, p90 and p99 the higher");
	stats_sample(&s.ping, -5);
	stats_summarize(&s.ping, &m);
	is_int(m.min, 0, "a negative time (a clock step) counts as 0");
	stats_finish(&s);

	// a cap of 64: 100000 samples keep 64, the extremes and count exact
	stats_init(&s, 0, 64);
	for (int i = 1; i <= 100000; i++) {
		stats_sample(&s.ping, i);
	}
	ok(s.ping.n == 64 && s.ping.alloc == 64, "no more than the cap is kept");
	stats_summarize(&s.ping, &m);
	ok(m.count == 100000 && m.min == 1 && m.max == 100000,
		"count, min and max stay exact");
	ok(m.median > 25000 && m.median < 75000,
		"the median of a uniform sample is near the middle (%lld)",
		(long long)m.median);
	ok(m.min <= m.median && m.median <= m.p90 && m.p90 <= m.p99 &&
		m.p99 <= m.max, "the figures are in order");
	stats_finish(&s);

	// a cap of 0 (no --stats): nothing kept, the extremes still known
	stats_init(&s, 0, 0);
	stats_sample(&s.expect, 5);
	stats_sample(&s.expect, 9);
	stats_summarize(&s.expect, &m);
	ok(!s.expect.v && m.count == 2 && m.min == 5 && m.max == 9,
		"with no room, only count and extremes");
	stats_finish(&s);

	stats_init(&s, 0, 0);
	stats_opened(&s, 100);
	stats_closed(&s, 350);
	stats_closed(&s, 400);
	stats_opened(&s, 1000);
	is_int(stats_open_us(&s, 1100), 350,
		"time open sums the connections, the open one so far");
	stats_finish(&s);
	return done_testing();
}
