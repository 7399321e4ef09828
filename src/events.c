/*
 * events.c - JSON event objects for -j and --record. Formatting only: each
 * line goes to the sinks that want it (stdout's output layer with -j, the
 * recording with --record), which decide when it is written.
 */
#include "events.h"

#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "log.h"
#include "record.h"
#include "trace.h"

#define QUOTED_MAX (WSC_TRACE_MAX + 16)
#define LINE_MAX_BYTES (QUOTED_MAX * 2 + 64)

// Whether an event goes anywhere: to stdout (-j) or to the recording.
static bool wanted(const struct wsc *w)
{
	return w->opts->jsonl || w->rec;
}

// Events are few (state changes, Pings, the handshake): one allocation
// each keeps a 64 KiB handshake off the stack.
void events_emit(struct wsc *w, const char *fmt_body)
{
	char ts[96];
	size_t size;
	char *line;

	struct jsonl_time now = jsonl_now();

	jsonl_timestamp(ts, sizeof(ts), &now, w->out.t0_us);
	size = strlen(ts) + strlen(fmt_body) + 4;
	line = malloc(size);
	if (!line) {
		log_err("out of memory");
		return;
	}
	snprintf(line, size, "{%s,%s}", ts, fmt_body);
	if (w->opts->jsonl) {
		output_event(&w->out, line);
	}
	record_event(w->rec, line);
	free(line);
}

static void on_state(void *ctx, enum wsc_ready to, const char *why)
{
	struct wsc_client *c = ctx;
	char body[1200], q[1024];

	jsonl_quote(why, strlen(why), q, sizeof(q));
	snprintf(body, sizeof(body), "\"event\":\"state\",\"state\":%d,"
		"\"name\":\"%s\",\"cause\":%s", (int)to, state_name(to), q);
	events_emit(c->w, body);
}

static void on_error(void *ctx, const char *msg)
{
	struct wsc *w = ctx;
	char body[2200], q[2100];

	jsonl_quote(msg, strlen(msg), q, sizeof(q));
	snprintf(body, sizeof(body), "\"event\":\"error\",\"message\":%s", q);
	events_emit(w, body);
}

void events_init(struct wsc *w)
{
	if (wanted(w)) {
		log_set_error_hook(on_error, w);
	}
}

void events_watch(struct wsc_client *c)
{
	if (wanted(c->w) && c->opts->show_state) {
		c->st.hook = on_state;
		c->st.hook_ctx = c;
	}
}

static void quote_or_null(const char *s, char *out, size_t size)
{
	if (*s) {
		jsonl_quote(s, strlen(s), out, size);
	} else {
		snprintf(out, size, "null");
	}
}

void events_open(struct wsc_client *c)
{
	char body[2048], url[1024], proto[300], ext[600];

	if (!wanted(c->w)) {
		return;
	}
	jsonl_quote(c->opts->url_text, strlen(c->opts->url_text), url,
		sizeof(url));
	quote_or_null(c->at.protocol, proto, sizeof(proto));
	quote_or_null(c->at.extensions, ext, sizeof(ext));
	snprintf(body, sizeof(body), "\"event\":\"open\",\"url\":%s,"
		"\"protocol\":%s,\"extensions\":%s", url, proto, ext);
	events_emit(c->w, body);
}

void events_close(struct wsc_client *c, const char *who, bool clean)
{
	char body[512], reason[300];

	if (!wanted(c->w)) {
		return;
	}
	jsonl_quote(c->st.reason, strlen(c->st.reason), reason, sizeof(reason));
	snprintf(body, sizeof(body), "\"event\":\"close\",\"code\":%u,"
		"\"reason\":%s,\"who\":\"%s\",\"clean\":%s",
		c->st.close_received ? c->st.code : 1006, reason, who,
		clean ? "true" : "false");
	events_emit(c->w, body);
}

void events_pong(struct wsc_client *c, const void *data, size_t len, double rtt_ms)
{
	char body[1024], q[800], rtt[48] = "null";

	if (!wanted(c->w)) {
		return;
	}
	jsonl_quote(data, len, q, sizeof(q));
	if (rtt_ms >= 0) {
		snprintf(rtt, sizeof(rtt), "%.3f", rtt_ms);
	}
	snprintf(body, sizeof(body), "\"event\":\"pong\",\"data\":%s,"
		"\"rtt_ms\":%s", q, rtt);
	events_emit(c->w, body);
}

void events_ping(struct wsc_client *c, const void *data, size_t len)
{
	char body[1024], q[800];

	if (!wanted(c->w)) {
		return;
	}
	jsonl_quote(data, len, q, sizeof(q));
	snprintf(body, sizeof(body), "\"event\":\"ping\",\"data\":%s", q);
	events_emit(c->w, body);
}

void events_handshake(struct wsc_client *c)
{
	const struct wsc_trace *t = c->trace;
	size_t head = t->resp_head;
	char *body, *req, *resp;

	if (!wanted(c->w) || !c->opts->dump) {
		return;
	}
	body = malloc(LINE_MAX_BYTES);
	req = malloc(QUOTED_MAX);
	resp = malloc(QUOTED_MAX);
	if (body && req && resp) {
		jsonl_quote(t->req, t->req_len, req, QUOTED_MAX);
		jsonl_quote(t->resp, head ? head : t->resp_len, resp,
			QUOTED_MAX);
		snprintf(body, LINE_MAX_BYTES, "\"event\":\"handshake\","
			"\"request\":%s,\"response\":%s", req, resp);
		events_emit(c->w, body);
	} else {
		log_err("out of memory");
	}
	free(body);
	free(req);
	free(resp);
}
