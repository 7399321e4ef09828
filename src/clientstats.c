/*
 * clientstats.c - the client's --stats report: how long the session and
 * its connections lasted, what went each way, the round trips summed up
 * (stats.c), reconnects, and how the connection ended with the exit
 * status; as lines on standard error (also with -q: they were asked for)
 * or, with -j, as one stats event.
 */
#include "clientstats.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "events.h"
#include "jsonl.h"
#include "log.h"

void clientstats_start(struct wsc_client *c)
{
	stats_init(&c->stats, lws_now_usecs(), c->opts->stats ?
		STATS_SAMPLES_MAX : 0);
	if (c->opts->stats) {
		log_keep_last_error(c->stats.error, sizeof(c->stats.error));
	}
}

/* --- how it ended --- */

enum ended { ENDED_NONE, ENDED_SERVER, ENDED_CLIENT, ENDED_LOST };

static enum ended how_ended(const struct wsc_client *c)
{
	const struct wsc_state *s = &c->st;

	if (!s->opened) {
		return ENDED_NONE;      // the last attempt never opened
	}
	if (s->close_sent) {
		return ENDED_CLIENT;    // our Close went first
	}
	return s->close_received ? ENDED_SERVER : ENDED_LOST;
}

// A close code and its name: "1000 (normal closure)".
static void code_text(unsigned code, char *out, size_t size)
{
	const char *name = state_close_name(code);

	snprintf(out, size, "%u%s%s%s", code, *name ? " (" : "", name,
		*name ? ")" : "");
}

static void ended_text(const struct wsc_client *c, char *out, size_t size)
{
	const struct wsc_state *s = &c->st;
	char sent[64], got[64];

	code_text(s->sent_code, sent, sizeof(sent));
	code_text(s->code, got, sizeof(got));
	switch (how_ended(c)) {
	case ENDED_NONE:
		snprintf(out, size, "no connection was made");
		break;
	case ENDED_SERVER:
		snprintf(out, size, "closed by the server, %s \"%s\"", got,
			s->reason);
		break;
	case ENDED_CLIENT:
		if (s->close_received) {
			snprintf(out, size, "closed by wsc, %s; the server "
				"answered %u \"%s\"", sent, s->code, s->reason);
		} else {
			snprintf(out, size, "closed by wsc, %s; no answer from "
				"the server (1006)", sent);
		}
		break;
	case ENDED_LOST:
		snprintf(out, size, "the connection ended without a Close "
			"(1006)");
		break;
	}
}

/* --- the block on standard error --- */

static void fmt_time(int64_t us, char *out, size_t size)
{
	if (us < 1000000) {
		snprintf(out, size, "%.3f ms", (double)us / 1000.0);
	} else {
		snprintf(out, size, "%.3f s", (double)us / 1e6);
	}
}

// Exact, with a readable size beside it past 1 KiB.
static void fmt_bytes(unsigned long long n, char *out, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0) {
		snprintf(out, size, "%llu byte%s", n, n == 1 ? "" : "s");
	} else {
		snprintf(out, size, "%llu bytes (%.1f %s)", n, v, units[u]);
	}
}

static void flow_text(const char *verb, unsigned long messages,
		unsigned long long bytes, char *out, size_t size)
{
	char b[64];

	fmt_bytes(bytes, b, sizeof(b));
	snprintf(out, size, "%s %lu message%s, %s", verb, messages,
		messages == 1 ? "" : "s", b);
}

static void series_line(const char *what, struct stats_series *x,
		bool all)
{
	struct stats_summary m;
	char t[5][32];

	stats_summarize(x, &m);
	if (!m.count) {
		log_note(all ? "  %s: none" : "  %s none", what);
		return;
	}
	fmt_time(m.min, t[0], sizeof(t[0]));
	fmt_time(m.median, t[1], sizeof(t[1]));
	fmt_time(m.p90, t[2], sizeof(t[2]));
	fmt_time(m.p99, t[3], sizeof(t[3]));
	fmt_time(m.max, t[4], sizeof(t[4]));
	if (all) {
		log_note("  %s: %llu, min %s, median %s, p90 %s, p99 %s, max %s",
			what, m.count, t[0], t[1], t[2], t[3], t[4]);
	} else {
		log_note("  %s %llu, round trip min %s, median %s, max %s",
			what, m.count, t[0], t[1], t[4]);
	}
}

// One line, whatever the error's text held.
static void one_line(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20) {
			*s = ' ';
		}
	}
}

static void print_block(struct wsc_client *c, int64_t now, enum wsc_exit ret)
{
	struct wsc_stats *s = &c->stats;
	char a[128], b[128], line[256], ended[512];

	fmt_time(now - s->start_us, a, sizeof(a));
	fmt_time(stats_open_us(s, now), b, sizeof(b));
	log_note("stats: %s, open %s", a, b);
	flow_text("sent", c->sent, s->sent.bytes, a, sizeof(a));
	flow_text("received", s->received.messages, s->received.bytes, b,
		sizeof(b));
	log_note("  %s; %s", a, b);
	fmt_bytes(s->sent.wire, a, sizeof(a));
	fmt_bytes(s->received.wire, b, sizeof(b));
	log_note("  frames on the wire: sent %s, received %s", a, b);
	if (options_has_expect(c->opts)) {
		series_line("replies (-e)", &s->expect, true);
	}
	if (s->rpc.count) {
		series_line("replies (--rpc)", &s->rpc, true);
	}
	if (s->pings_sent || c->opts->ping_interval_ms || c->opts->show_ping) {
		snprintf(line, sizeof(line), "pings: %lu sent, answered",
			s->pings_sent);
		series_line(line, &s->ping, false);
	}
	if (c->opts->reconnect) {
		log_note("  reconnects: %u", s->reconnects);
	}
	ended_text(c, ended, sizeof(ended));
	log_note("  ended: %s; exit %d", ended, (int)ret);
	if (*s->error) {
		one_line(s->error);
		log_note("  last error: %s", s->error);
	}
}

/* --- the -j event --- */

static void series_json(struct stats_series *x, char *out, size_t size)
{
	struct stats_summary m;

	stats_summarize(x, &m);
	if (!m.count) {
		snprintf(out, size, "{\"count\":0,\"min_ms\":null,\"median_ms\":"
			"null,\"p90_ms\":null,\"p99_ms\":null,\"max_ms\":null}");
		return;
	}
	snprintf(out, size, "{\"count\":%llu,\"min_ms\":%.3f,\"median_ms\":"
		"%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}", m.count,
		(double)m.min / 1000.0, (double)m.median / 1000.0,
		(double)m.p90 / 1000.0, (double)m.p99 / 1000.0,
		(double)m.max / 1000.0);
}

static void flow_json(unsigned long messages, const struct stats_flow *f,
		char *out, size_t size)
{
	snprintf(out, size, "{\"messages\":%lu,\"bytes\":%llu,\"wire_bytes\":"
		"%llu}", messages, f->bytes, f->wire);
}

static void end_json(struct wsc_client *c, char *out, size_t size)
{
	const struct wsc_state *s = &c->st;
	static const char *const by[] = { "null", "\"server\"", "\"client\"",
		"null" };
	enum ended how = how_ended(c);
	char reason[300] = "null", error[1100] = "null", code[16] = "null",
		sent[16] = "null";

	if (how != ENDED_NONE) {
		snprintf(code, sizeof(code), "%u", s->close_received ? s->code :
			1006);
	}
	if (s->close_received) {
		jsonl_quote(s->reason, strlen(s->reason), reason, sizeof(reason));
	}
	if (s->close_sent) {
		snprintf(sent, sizeof(sent), "%u", s->sent_code);
	}
	if (*c->stats.error) {
		jsonl_quote(c->stats.error, strlen(c->stats.error), error,
			sizeof(error));
	}
	snprintf(out, size, "{\"opened\":%s,\"closed_by\":%s,\"code\":%s,"
		"\"reason\":%s,\"sent_code\":%s,\"error\":%s}",
		s->opened ? "true" : "false", by[how], code, reason, sent, error);
}

static void print_event(struct wsc_client *c, int64_t now, enum wsc_exit ret)
{
	struct wsc_stats *s = &c->stats;
	char sent[128], rcvd[128], ex[256], rpc[256], ping[256], end[1600];
	char body[3000];

	flow_json(c->sent, &s->sent, sent, sizeof(sent));
	flow_json(s->received.messages, &s->received, rcvd, sizeof(rcvd));
	series_json(&s->expect, ex, sizeof(ex));
	series_json(&s->rpc, rpc, sizeof(rpc));
	series_json(&s->ping, ping, sizeof(ping));
	end_json(c, end, sizeof(end));
	snprintf(body, sizeof(body), "\"event\":\"stats\",\"seconds\":%.3f,"
		"\"open_seconds\":%.3f,\"sent\":%s,\"received\":%s,\"expect\":%s,"
		"\"rpc\":%s,\"pings_sent\":%lu,\"pings\":%s,\"reconnects\":%u,"
		"\"end\":%s,\"exit\":%d", (double)(now - s->start_us) / 1e6,
		(double)stats_open_us(s, now) / 1e6, sent, rcvd, ex, rpc,
		s->pings_sent, ping, s->reconnects, end, (int)ret);
	events_emit(c->w, body);
	output_flush(&c->w->out);
}

void clientstats_report(struct wsc_client *c, enum wsc_exit ret)
{
	int64_t now = lws_now_usecs();

	if (c->opts->stats) {
		log_keep_last_error(NULL, 0);
		one_line(c->stats.error);
		if (c->opts->jsonl) {
			print_event(c, now, ret);
		} else {
			print_block(c, now, ret);
		}
	}
	stats_finish(&c->stats);
}
