/*
 * stats.h - the figures of a client session for --stats: messages and
 * bytes each way, the connection's frame bytes, how long it was open,
 * reconnects, and three series of round trips (-e replies, --rpc
 * replies, Pings) whose percentiles are computed once, at the end.
 *
 * A series keeps every sample up to its cap (STATS_SAMPLES_MAX, 8 MiB);
 * past it, a uniform sample of that many (reservoir sampling), so memory
 * stays bounded however long the session runs. The count, minimum and
 * maximum are always exact.
 */
#ifndef WSC_STATS_H
#define WSC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#define STATS_SAMPLES_MAX (1u << 20)

struct stats_series {
	int64_t *v;                     // the samples kept, in microseconds
	size_t n, alloc;                // kept, allocated
	size_t cap;                     // the most kept (STATS_SAMPLES_MAX)
	unsigned long long count;       // every sample taken
	int64_t min, max;
	uint64_t rng;                   // xorshift state for the reservoir
	bool sorted;
};

/* A series' summary: percentiles by nearest rank (the smallest sample
 * that at least p % of the samples do not exceed). */
struct stats_summary {
	unsigned long long count;
	int64_t min, median, p90, p99, max;     // microseconds
};

struct stats_flow {
	unsigned long messages;         // whole messages
	unsigned long long bytes;       // payload as the application sees it
	unsigned long long wire;        // WebSocket frames, as on the wire
};

struct wsc_stats {
	int64_t start_us;               // the session began
	int64_t open_since_us;          // the connection opened (0: not open)
	int64_t open_us;                // time open, connections before
	struct stats_flow sent, received;
	unsigned long pings_sent;       // --ping-interval and /ping Pings
	unsigned reconnects;            // new connections tried (--reconnect)
	struct stats_series expect;     // -e: from the step before to the match
	struct stats_series rpc;        // --rpc: from the request to its reply
	struct stats_series ping;       // Ping to Pong
	char error[512];                // the last error line said ("": none)
};

/* Series keep at most cap samples each (STATS_SAMPLES_MAX; 0: none,
 * only the count and extremes, when nobody asked for --stats). */
void stats_init(struct wsc_stats *s, int64_t now_us, size_t cap);
void stats_finish(struct wsc_stats *s);

/* One sample (microseconds) into a series; false when memory ran out
 * (the sample still counts in count, min and max). */
bool stats_sample(struct stats_series *x, int64_t us);

/* One --rpc round trip: from the request's send to its reply. */
void stats_latency(struct wsc_stats *s, lws_usec_t rtt);

/* A connection opened, or the open one ended. */
void stats_opened(struct wsc_stats *s, int64_t now_us);
void stats_closed(struct wsc_stats *s, int64_t now_us);

/* Time spent open so far, the one still open included. */
int64_t stats_open_us(const struct wsc_stats *s, int64_t now_us);

/* The series summed up (sorts what it keeps; count 0: nothing else
 * set). */
void stats_summarize(struct stats_series *x, struct stats_summary *out);

#endif
