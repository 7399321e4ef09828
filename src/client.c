/*
 * client.c - the client endpoint: a connection (conn.h: wsc's own
 * WebSocket over lws' raw transport) made, remade (--reconnect) and
 * redirected (-L); the send queue written to it and received messages
 * streamed to the output. How it closes is clientclose.c's, its Pings
 * keepalive.c's.
 */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clientrx.h"
#include "clientstats.h"
#include "conn.h"
#include "diagnose.h"
#include "dump.h"
#include "events.h"
#include "log.h"
#include "record.h"
#include "target.h"
#include "tls.h"
#include "trace.h"


#define CLIENT_OF(sul, member) \
	lws_container_of(sul, struct wsc_client, member)

void client_schedule(struct wsc_client *c, lws_sorted_usec_list_t *sul,
		sul_cb_t cb, long ms)
{
	lws_sul_schedule(c->w->ctx, 0, sul, cb, ms * LWS_US_PER_MS);
}

/* --- sending --- */

// Frames may go to the connection now.
static bool can_encode(const struct wsc_client *c)
{
	return c->conn && c->st.ready == WSC_OPEN && !c->st.close_sent &&
		!c->st.close_received;
}
static void connection_over(struct wsc_client *c, bool dropped);

static void client_wake(struct wsc_client *c)
{
	if (c->conn && c->st.ready == WSC_OPEN) {
		// flushes what queue_piece() encoded; also resumes paused input
		// (after a reconnect too)
		client_pump(c);
	}
}

// --record: a piece of a message went to the connection.
static void record_sent(struct wsc_client *c, enum wsc_frame kind,
		bool first, bool last, const void *data, size_t len)
{
	if (!c->w->rec) {
		return;
	}
	if (first) {
		struct jsonl_time now = jsonl_now();

		record_begin(c->w->rec, true, kind == WSC_FRAME_BINARY, &now);
	}
	record_data(c->w->rec, true, data, len);
	if (last) {
		record_end(c->w->rec, true);
		clientrx_schedule_flush(c);
	}
}

// A piece of a message into the send queue; nothing goes after our Close.
bool client_queue(struct wsc_client *c, enum wsc_frame kind,
		const void *data, size_t len, bool first, bool last)
{
	bool data_kind = kind == WSC_FRAME_TEXT || kind == WSC_FRAME_BINARY;

	if (c->at.close.closing) {
		return true;
	}
	c->queued += data_kind && last;
	// Nothing waits before it: encode it straight into the connection's
	// buffer (no allocation, one copy); the wake that follows flushes.
	// (Not a piece whose start went on a lost connection: client_pump()
	// drops it.)
	if (sendq_empty(&c->w->q) && can_encode(c) && data_kind &&
			(first || c->tx_open) &&
			conn_frame(c->conn, kind, first, last, data, len) ==
			CONN_TX_OK) {
		record_sent(c, kind, first, last, data, len);
		c->tx_open = !last;
		c->sent += last;
		c->stats.sent.bytes += len;
		return true;
	}
	if (!sendq_push(&c->w->q, kind, first, last, data, len)) {
		log_err("out of memory");
		c->st.failed = true;
		return false;
	}
	return true;
}

void client_send(struct wsc_client *c, enum wsc_frame kind,
		const void *data, size_t len)
{
	if (rpc_send(c, kind, data, len, true, true)) {
		client_wake(c);
	}
}

/* --- the endpoint the session's input talks to (endpoint.h) --- */

static bool ep_send(void *ctx, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	return rpc_send(ctx, kind, data, len, first, last);
}

static void ep_wake(void *ctx)
{
	client_wake(ctx);
}

// Paused input resumes once the queue is half empty.
static enum wsc_flow ep_flow(void *ctx, bool resume)
{
	struct wsc_client *c = ctx;

	if (c->at.close.closing) {
		return WSC_FLOW_CLOSED;
	}
	if (rpc_full(&c->rpc, resume) || (resume ? c->w->q.cost >=
			c->w->q.budget / 2 : sendq_full(&c->w->q))) {
		return WSC_FLOW_FULL;
	}
	return WSC_FLOW_GO;
}

static unsigned ep_connection(void *ctx)
{
	return ((struct wsc_client *)ctx)->reconnects;
}

static bool ep_connecting(void *ctx)
{
	return ((struct wsc_client *)ctx)->st.ready == WSC_CONNECTING;
}

static void ep_close(void *ctx, unsigned code, const char *reason)
{
	closing_start(ctx, code, reason);
}

// Ctrl-D or /quit: a person is at the keyboard and has seen the replies,
// so the Close goes right after what was typed (a pipe's end is waited
// out instead: closing_maybe_finish()).
static void ep_end_input(void *ctx)
{
	closing_start(ctx, 1000, "");
}

// SIGINT or SIGTERM (the session kept Ctrl-C at the prompt for the REPL).
static void ep_signal(void *ctx, int signo)
{
	struct wsc_client *c = ctx;

	(void)signo;
	c->signals++;
	if (c->at.close.closing || c->st.ready != WSC_OPEN) {
		// impatient, or nothing to close yet: leave at once (after
		// the server's Close, the wait for its end of TCP is cut short)
		if (c->st.ready != WSC_OPEN && !c->at.close.closing &&
				!c->st.close_received) {
			c->st.failed = true;
			log_err("interrupted");
		}
		wsc_leave(c->w);
		return;
	}
	closing_start(c, 1001, "");
}

static void ep_describe(void *ctx)
{
	struct wsc_client *c = ctx;

	log_note("%s (%d) %s, sent %lu, received %lu%s%s",
		state_name(c->st.ready), (int)c->st.ready, c->opts->url_text,
		c->sent, c->received, *c->at.protocol ? ", subprotocol " : "",
		c->at.protocol);
}

/* --- connecting --- */

static void connect_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = CLIENT_OF(sul, at.sul_connect);

	if (!c->conn || c->st.ready != WSC_CONNECTING) {
		return;
	}
	c->at.timed_out = true;
	conn_abort(c->conn);
	c->conn = NULL;
	c->st.failed = true;
	diagnose_connect_error(c, "");
	state_set(&c->st, WSC_CLOSED, "connection failed");
	connection_over(c, true);
}

static void report_open(struct wsc_client *c)
{
	char proto[128] = "";

	snprintf(proto, sizeof(proto), "%s", c->at.protocol);
	if (*c->opts->protocols) {
		if (*proto) {
			log_info("subprotocol: %s", proto);
		} else {
			log_info("server chose no subprotocol (offered %s)",
				c->opts->protocols);
		}
	}
	state_set(&c->st, WSC_OPEN, "%s%s", *proto ? "subprotocol " : "",
		proto);
}

/* --- -L: following a redirect --- */

static bool connect_client(struct wsc_client *c);

static void redirect_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = CLIENT_OF(sul, sul_reconnect);

	connect_client(c);
}

// The redirect was refused to lws on purpose: connect to its Location.
static bool follow_redirect(struct wsc_client *c)
{
	if (!clientreq_redirect(&c->rq, c->at.location)) {
		return false;
	}
	if (c->opts->dump) {
		dump_exchange(c->trace, true, true);
	}
	c->at.redirects++;
	log_info("redirect %u: HTTP %d to %s", c->at.redirects,
		c->at.redirect_status, c->at.location);
	c->at.redirect_status = 0;
	c->conn = NULL;
	c->st.failed = false;
	client_schedule(c, &c->sul_reconnect, redirect_cb, 0);
	return true;
}

/* --- the end of a connection, and --reconnect --- */

// An attempt begins from nothing: no redirect, flag, Ping or timer left.
static void attempt_start(struct wsc_client *c)
{
	memset(&c->at, 0, sizeof(c->at));
	state_restart(&c->st);
}

// The attempt is over: its timers stop (its facts stay for the exit).
static void attempt_finish(struct wsc_client *c)
{
	lws_sul_cancel(&c->at.sul_connect);
	script_conn_over(c);
	rpc_conn_over(c);
	replay_conn_over(c);
	closing_stop(c);
	keepalive_stop(c);
}

static void reconnect_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = CLIENT_OF(sul, sul_reconnect);
	struct wsc_sendq_item *it;

	// a new connection: a new attempt (connection_over() finished the
	// old one), what is queued is kept
	attempt_start(c);
	// a message cut by the drop cannot be continued on a new connection
	while ((it = sendq_peek(&c->w->q)) && !it->first) {
		sendq_pop(&c->w->q);
	}
	connect_client(c);  // opened, it runs the script (-x) again
}

// The connection is gone: try again (--reconnect) or leave the loop.
static void connection_over(struct wsc_client *c, bool dropped)
{
	const struct wsc_opts *o = c->opts;
	long delay;

	attempt_finish(c);
	c->conn = NULL;
	if (!dropped || !o->reconnect || c->signals || c->st.quiet_exit ||
			(o->reconnect_max && c->reconnects >= o->reconnect_max)) {
		wsc_leave(c->w);
		return;
	}
	// exponential backoff from 0.5 s to 30 s, with +-25 % jitter
	delay = 500L << (c->reconnects < 6 ? c->reconnects : 6);
	if (delay > 30000) {
		delay = 30000;
	}
	delay = delay * 3 / 4 + (long)((unsigned long)random() %
		(unsigned long)(delay / 2 + 1));
	c->reconnects++;
	c->stats.reconnects++;
	if (o->reconnect_max) {
		log_info("reconnecting in %.1f s (attempt %u of %lu)",
			(double)delay / 1000, c->reconnects, o->reconnect_max);
	} else {
		log_info("reconnecting in %.1f s (attempt %u)",
			(double)delay / 1000, c->reconnects);
	}
	client_schedule(c, &c->sul_reconnect, reconnect_cb, delay);
}

/* --- writing --- */

// The send queue to the connection: frames until it is full, then one write.
void client_pump(struct wsc_client *c)
{
	struct wsc_sendq_item *it;

	if (!can_encode(c)) {
		return;
	}
	while ((it = sendq_peek(&c->w->q))) {
		const unsigned char *pl = sendq_payload(&c->w->q, it);
		bool data = it->kind == WSC_FRAME_TEXT ||
			it->kind == WSC_FRAME_BINARY;
		enum conn_tx r;

		if (data && !it->first && !c->tx_open) {
			// its start went out on a connection since lost: the rest
			// would be a continuation without a start (a reconnect)
			c->cut += it->len;
			if (it->last) {
				log_err("the rest of a message cut by the lost "
					"connection was not sent (%llu bytes)", c->cut);
				c->cut = 0;
			}
			sendq_pop(&c->w->q);
			continue;
		}
		r = conn_frame(c->conn, it->kind, it->first, it->last, pl,
			it->len);

		if (r == CONN_TX_FULL) {
			conn_flush(c->conn);
			if (conn_tx_empty(c->conn)) {
				continue;
			}
			break;      // writable() comes when there is room
		}
		if (r == CONN_TX_FAIL) {
			log_err("write to the server failed");
			c->st.failed = true;
			conn_abort(c->conn);
			client_conn_ended(c);
			return;
		}
		if (it->kind == WSC_FRAME_PING && !closing_drain_sent(c, pl,
				it->len)) {
			keepalive_sent(c, pl, it->len);
		} else if (it->kind == WSC_FRAME_CLOSE) {
			unsigned code = it->len >= 2 ? (unsigned)(pl[0] << 8 |
				pl[1]) : 1005;

			c->st.sent_code = code;
			c->st.close_sent = true;
			state_set(&c->st, WSC_CLOSING, "we sent Close %u", code);
			closing_sent(c);
			sendq_pop(&c->w->q);
			sendq_finish(&c->w->q);    // nothing may follow a Close
			conn_flush(c->conn);
			if (c->at.rx_failed) {
				// we failed the connection: nothing more is read
				// (RFC 6455 7.1.7), so hang up once the Close is out
				closing_hang_up(c);
			}
			return;
		}
		if (data) {
			record_sent(c, it->kind, it->first, it->last, pl, it->len);
			c->tx_open = !it->last;
			c->sent += it->last;
			c->stats.sent.bytes += it->len;
		}
		sendq_pop(&c->w->q);
	}
	conn_flush(c->conn);
	rpc_written(c);     // (what was encoded straight in is written too)
	c->input.resume(c->input.ctx);
	if (sendq_empty(&c->w->q)) {
		closing_maybe_finish(c);
	}
}

/* --- the connection's callbacks --- */

static void on_open(void *u)
{
	struct wsc_client *c = u;

	lws_sul_cancel(&c->at.sul_connect);
	snprintf(c->at.protocol, sizeof(c->at.protocol), "%s",
		conn_protocol(c->conn));
	snprintf(c->at.extensions, sizeof(c->at.extensions), "%s",
		conn_extensions(c->conn));
	if (c->opts->dump) {
		dump_exchange(c->trace, true, true);
		dump_verdict(c->trace, c->opts->protocols);
		events_handshake(c);
	}
	if (c->opts->verbose) {
		dump_timing(c->trace);
	}
	stats_opened(&c->stats, lws_now_usecs());
	report_open(c);
	if (c->reconnects) {
		log_info("connected again (attempt %u)", c->reconnects);
	}
	events_open(c);
	c->input.opened(c->input.ctx);
	c->reconnects = 0;
	c->tx_open = false;     // a message cut by a lost connection is not resumed
	keepalive_start(c);
	script_opened(c);
	replay_opened(c);
	closing_opened(c);
	client_wake(c);
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
		status == 307 || status == 308;
}

static void on_failed(void *u, const char *cause)
{
	struct wsc_client *c = u;
	int status = trace_status(c->trace);

	c->conn = NULL;
	lws_sul_cancel(&c->at.sul_connect);
	if (is_redirect(status)) {
		// wsc follows it itself: every hop, with the port and -k kept
		const char *loc = httphead_get(&c->trace->head, "Location");

		snprintf(c->at.location, sizeof(c->at.location), "%s",
			loc ? loc : "");
		if (!*c->at.location) {
			// not a redirect after all: the status is the cause
		} else if (!c->opts->location) {
			c->at.redirect_status = status;
		} else if (c->at.redirects >= c->opts->max_redirects) {
			c->at.too_many_redirects = true;
		} else {
			c->at.redirect_status = status;
			if (follow_redirect(c)) {
				return;
			}
		}
	}
	c->st.failed = true;
	diagnose_connect_error(c, cause);
	state_set(&c->st, WSC_CLOSED, "connection failed");
	connection_over(c, true);
}

// The open connection is gone (conn_abort()ed, or its end was told).
void client_conn_ended(struct wsc_client *c)
{
	c->conn = NULL;
	stats_closed(&c->stats, lws_now_usecs());
	clientrx_flush(c);
	diagnose_closed(c);
	connection_over(c, !c->st.close_received && !c->at.close.closing &&
		!c->st.quiet_exit && !c->signals && !c->at.rx_failed &&
		!c->at.pong_timed_out);
}

static void on_closed(void *u, const char *why)
{
	struct wsc_client *c = u;

	snprintf(c->at.dropped, sizeof(c->at.dropped), "%s", why ? why : "");
	client_conn_ended(c);
}

static void on_writable(void *u)
{
	client_pump(u);
}

static void on_close(void *u, const struct msg_event *ev)
{
	closing_received(u, ev);
}

static const struct wsc_conn_cb conn_cb = {
	.open = on_open, .failed = on_failed,
	.begin = clientrx_on_begin, .data = clientrx_on_data,
	.end = clientrx_on_end, .error = clientrx_on_error,
	.ping = keepalive_on_ping, .pong = keepalive_on_pong,
	.close = on_close, .writable = on_writable, .closed = on_closed,
};

/* --- setting up --- */

static bool connect_client(struct wsc_client *c)
{
	struct wsc_conn_params p;

	clientreq_params(&c->rq, c->tls, &p);
	p.wire_rx = &c->stats.received.wire;
	p.wire_tx = &c->stats.sent.wire;
	state_set(&c->st, WSC_CONNECTING, "%s", c->rq.url_text);
	client_schedule(c, &c->at.sul_connect, connect_timeout_cb,
		c->opts->connect_timeout_ms);
	c->conn = conn_open(c->w->ctx, &p, &conn_cb, c, c->keys, c->trace);
	// (a failure at once, e.g. a name that does not resolve, was told)
	return c->conn != NULL;
}

/* --- in the session's loop (endpoint.h) --- */

static struct lws_vhost *ep_attach(void *ctx, struct lws_context *lc,
		struct lws_context_creation_info *info)
{
	(void)info;
	events_watch(ctx);
	return lws_get_vhost_by_name(lc, "default");
}

static void ep_start(void *ctx)
{
	srandom((unsigned)(getpid() ^ time(NULL)));
	connect_client(ctx);
}

static void ep_stop(void *ctx)
{
	struct wsc_client *c = ctx;

	conn_abort(c->conn);
	c->conn = NULL;
	stats_closed(&c->stats, lws_now_usecs());
	attempt_finish(c);
	clientrx_flush(c);
}

static const struct wsc_endpoint_ops client_endpoint = {
	.attach = ep_attach, .start = ep_start, .stop = ep_stop,
	.send = ep_send, .wake = ep_wake, .flow = ep_flow,
	.connection = ep_connection, .connecting = ep_connecting,
	.close = ep_close, .end_input = ep_end_input, .signal = ep_signal,
	.describe = ep_describe,
};

enum wsc_exit client_run(const struct wsc_opts *opts, int sigfd)
{
	const struct lws_protocols own[] = { rawconn_protocol };
	struct lws_context_creation_info info;
	struct wsc_client c;
	struct wsc w;
	enum wsc_exit ret;

	memset(&c, 0, sizeof(c));
	c.w = &w;
	c.opts = opts;
	state_init(&c.st, opts->show_state);
	if (!wsc_init(&w, opts, &client_endpoint, &c, &c.input)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	rpc_init(&c.rpc, opts);
	// the recording is read, and the record file made, before connecting
	if (!clientreq_init(&c.rq, opts) || !script_init(&c.script, opts) ||
			!replay_init(&c.replay, opts) || (opts->record &&
			!(w.rec = record_open(opts->record, w.out.t0_us)))) {
		script_finish(&c.script);
		replay_finish(&c.replay);
		wsc_finish(&w);
		return WSC_EXIT_USAGE;
	}
	// calloc: fresh heap comes zeroed, so the 64 KiB record costs no RSS
	// until the handshake writes it
	c.trace = calloc(1, sizeof(*c.trace));
	c.keys = malloc(sizeof(*c.keys));
	c.tls = target_tls_new(opts);
	if (!c.trace || !c.keys || !c.tls) {
		log_err("out of memory");
		free(c.trace);
		free(c.keys);
		tls_ctx_free(c.tls);
		script_finish(&c.script);
		replay_finish(&c.replay);
		record_close(w.rec);
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	mask_init(c.keys);
	target_context_info(&info, opts);
	// the session runs from here: what went before was reading the
	// command line's files, whose errors are usage errors and say so alone
	clientstats_start(&c);
	// --rpc's reply lines go out with the stdout batch they follow
	log_hold(c.rpc.on ? &c.rpc.said : NULL);
	if (!wsc_run(&w, &info, own, 1, sigfd)) {
		c.st.failed = true;
	}
	log_hold(NULL);
	ret = c.script.unmet || c.rpc.lost || c.replay.unmet ?
		WSC_EXIT_EXPECT : state_exit_status(&c.st);
	if (ret == WSC_EXIT_OK && c.rpc.errors) {
		ret = WSC_EXIT_RPC_ERROR;
	}
	// a recording that could not be written fails a run that went well
	if (!record_close(w.rec) && ret == WSC_EXIT_OK) {
		ret = WSC_EXIT_FAILURE;
	}
	rpc_summary(&c.rpc);
	clientstats_report(&c, ret);
	rpc_finish(&c.rpc);
	script_finish(&c.script);
	replay_finish(&c.replay);
	tls_ctx_free(c.tls);
	mask_finish(c.keys);
	free(c.keys);
	free(c.trace);
	wsc_finish(&w);
	return ret;
}
