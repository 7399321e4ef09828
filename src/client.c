/*
 * client.c - the client session: a connection (conn.h: wsc's own
 * WebSocket over lws' raw transport) made, remade (--reconnect) and
 * redirected (-L); the send queue written to it, received messages
 * streamed to the output, keep-alive, and a close flow that loses nothing.
 */
#include "client.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "diagnose.h"
#include "dump.h"
#include "events.h"
#include "headers.h"
#include "input.h"
#include "log.h"
#include "repl.h"
#include "conn.h"
#include "tls.h"
#include "trace.h"

#define MS 1000LL   // lws timers count microseconds


static struct wsc *from_sul(lws_sorted_usec_list_t *sul, size_t offset)
{
	return (struct wsc *)(void *)((char *)sul - offset);
}

#define WSC_OF(sul, member) from_sul(sul, offsetof(struct wsc, member))

static void schedule(struct wsc *w, lws_sorted_usec_list_t *sul,
		sul_cb_t cb, long ms)
{
	lws_sul_schedule(w->ctx, 0, sul, cb, (lws_usec_t)ms * MS);
}

// Leave the loop. The poll may be about to sleep with no timer left, so
// wake it: lws_service() returns and the loop sees done.
static void finish(struct wsc *w)
{
	w->done = true;
	if (w->ctx) {
		lws_cancel_service(w->ctx);
	}
}

/* --- output --- */

static void on_output_gone(struct wsc *w);
static void pump(struct wsc *w);

// Frames may go to the connection now.
static bool can_encode(const struct wsc *w)
{
	return w->conn && w->st.ready == WSC_OPEN && !w->st.close_sent &&
		!w->st.close_received;
}
static void connection_over(struct wsc *w, bool dropped);
static void conn_ended(struct wsc *w);

static void flush_output(struct wsc *w)
{
	// broken: a flush inside output_data() already met EPIPE
	if (w->out.broken || (output_pending(&w->out) &&
			!output_flush(&w->out))) {
		on_output_gone(w);
	}
}

static void flush_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_flush);

	w->flush_scheduled = false;
	flush_output(w);
}

// Batch writes to stdout, but flush before the loop next sleeps.
static void schedule_flush(struct wsc *w)
{
	if (w->out.tty && !w->out.sink) {
		flush_output(w);
		return;
	}
	if (!w->flush_scheduled && output_pending(&w->out)) {
		w->flush_scheduled = true;
		lws_sul_schedule(w->ctx, 0, &w->sul_flush, flush_cb, 1);
	}
}

/* --- closing --- */

// Queue our Close; lws's own close flow would drop replies still coming.
static void start_close(struct wsc *w, unsigned code, const char *reason)
{
	if (w->closing || w->st.close_received) {
		return;
	}
	w->closing = true;
	w->drain = WSC_DRAIN_OFF;
	lws_sul_cancel(&w->sul_drain);
	input_stop(w);
	if (!w->conn) {
		finish(w);
		return;
	}
	if (w->st.ready != WSC_OPEN) {
		// still connecting: what is queued goes first, then this Close
		w->close_code = code;
		snprintf(w->close_reason, sizeof(w->close_reason), "%s",
			reason ? reason : "");
		return;
	}
	if (!sendq_push_close(&w->q, code, reason)) {
		finish(w);
		return;
	}
	pump(w);
}

/*
 * Nothing more to say or hear: the connection ends once our last frames
 * left and the server closed TCP (RFC 6455 7.1.1: the server closes first;
 * closing with its bytes unread would send a reset, which loses our Close
 * at the server). --close-timeout bounds that, counted as silence; the
 * connection keeps that bound itself, so the Close timer stops here.
 */
static void hang_up(struct wsc *w)
{
	lws_sul_cancel(&w->sul_close);
	conn_shutdown(w->conn, w->opts->close_timeout_ms);
}

static void on_output_gone(struct wsc *w)
{
	if (w->st.quiet_exit) {
		return;
	}
	w->st.quiet_exit = true;
	start_close(w, 1001, "");
}

static int64_t mono_us(void);

static int unread(struct wsc *w)
{
	int n = 0;

	return ioctl(conn_fd(w->conn), FIONREAD, &n) == 0 ? n : 0;
}

// Something arrived since the last look: a message, a part of one, a
// control frame (the connection's byte count sees them all), or bytes
// still waiting in the socket for us to read them.
static void heard(struct wsc *w)
{
	unsigned long long rx = conn_rx_bytes(w->conn);

	if (rx != w->rx_seen || unread(w) > 0) {
		w->rx_seen = rx;
		w->last_rx_us = mono_us();
	}
}

// The server read more of what we sent since the last look (our unsent
// bytes went down): it is busy, not gone.
static bool reading(struct wsc *w, int *last)
{
	int unsent = 0;

	if (ioctl(conn_fd(w->conn), SIOCOUTQ, &unsent) == 0 &&
			unsent > 0 && (*last < 0 || unsent < *last)) {
		*last = unsent;
		return true;
	}
	return false;
}

// --close-timeout counts silence: it runs from our Close or from the last
// thing received, whichever is later, and waits on while the server is
// still reading what came before our Close.
static void close_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_close);
	int64_t now = mono_us(), t = w->opts->close_timeout_ms * MS;

	if (!w->conn || w->st.close_received) {
		return;
	}
	heard(w);
	if (now - w->last_rx_us < t) {
		schedule(w, &w->sul_close, close_timeout_cb,
			(long)((w->last_rx_us + t - now) / MS) + 1);
		return;
	}
	if (reading(w, &w->close_unsent)) {
		w->last_rx_us = now;
		schedule(w, &w->sul_close, close_timeout_cb,
			w->opts->close_timeout_ms);
		return;
	}
	w->close_timed_out = true;
	conn_abort(w->conn);
	conn_ended(w);
}

/*
 * End of input with no -w and no -n: before our Close (after which some
 * servers, python-websockets and websocketd among them, send nothing
 * more), make sure the server has read everything and has had its chance
 * to answer. A Ping goes out after the last message; its Pong (TCP keeps
 * order) shows the server read it all. Then wait until nothing has arrived
 * for DRAIN_QUIET_MS, and close. With no Pong, close after DRAIN_PONG_MS
 * (or --close-timeout, if shorter) in which nothing arrived and the server
 * read nothing more. A server that
 * never falls quiet holds the Close off for DRAIN_MAX_MS after the Ping,
 * not counting time in which wsc itself is behind (bytes wait unread, or
 * the server has not yet taken all we sent).
 */
#define DRAIN_QUIET_MS 100
#define DRAIN_PONG_MS 2000
#define DRAIN_MAX_MS 10000

static void drain_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_drain);
	bool pong = w->drain == WSC_DRAIN_PONG;
	int64_t now = mono_us(), t, last, next;
	int unsent = 0;

	if (!w->conn || w->drain == WSC_DRAIN_OFF) {
		return;
	}
	t = (pong ? DRAIN_PONG_MS : DRAIN_QUIET_MS) * MS;
	if (pong && w->opts->close_timeout_ms * MS < t) {
		t = w->opts->close_timeout_ms * MS;
	}
	heard(w);
	if (pong && reading(w, &w->drain_unsent)) {
		w->last_rx_us = now;
	}
	last = pong ? w->drain_ping_us : w->drain_pong_us;
	if (w->last_rx_us > last) {
		last = w->last_rx_us;
	}
	if (now - last >= t) {
		start_close(w, 1000, "");
		return;
	}
	if (now - w->drain_ping_us >= DRAIN_MAX_MS * MS && unread(w) == 0 &&
			(ioctl(conn_fd(w->conn), SIOCOUTQ, &unsent) ||
			unsent == 0)) {
		start_close(w, 1000, "");   // it never falls quiet
		return;
	}
	next = last + t - now;
	if (next > DRAIN_QUIET_MS * MS) {
		next = DRAIN_QUIET_MS * MS;  // look again for the bound
	}
	schedule(w, &w->sul_drain, drain_cb, (long)(next / MS) + 1);
}

static void drain_start(struct wsc *w)
{
	w->drain = WSC_DRAIN_PONG;
	w->drain_ping_us = mono_us();
	w->drain_unsent = -1;
	w->last_rx_us = 0;
	w->rx_seen = conn_rx_bytes(w->conn);
	w->drain_ping_len = (size_t)snprintf(w->drain_ping,
		sizeof(w->drain_ping), "wsc end %lld", (long long)w->drain_ping_us);
	if (!sendq_push(&w->q, WSC_FRAME_PING, true, true, w->drain_ping,
			w->drain_ping_len)) {
		start_close(w, 1000, "");
		return;
	}
	schedule(w, &w->sul_drain, drain_cb, DRAIN_QUIET_MS);
	pump(w);
}

// Our end-of-input Ping came back: the server has read everything.
static bool drain_pong(struct wsc *w, const void *in, size_t len)
{
	if (w->drain != WSC_DRAIN_PONG || len != w->drain_ping_len ||
			memcmp(in, w->drain_ping, len)) {
		return false;
	}
	w->drain = WSC_DRAIN_QUIET;
	w->drain_pong_us = mono_us();
	heard(w);
	schedule(w, &w->sul_drain, drain_cb, DRAIN_QUIET_MS);
	return true;
}

static void wait_cb(lws_sorted_usec_list_t *sul)
{
	start_close(WSC_OF(sul, sul_wait), 1000, "");
}

// Input is over and all of it went out: close now, later, or never (-w);
// with neither -w nor an -n still to reach, once the server is done.
static void maybe_finish(struct wsc *w)
{
	if (!w->input_done || !sendq_empty(&w->q) || w->closing ||
			w->st.ready != WSC_OPEN || w->drain != WSC_DRAIN_OFF) {
		return;
	}
	if (!w->opts->wait_given) {
		if (!w->opts->count) {
			drain_start(w);
		}   // -n: on until N messages have come (on_receive closes)
	} else if (w->opts->wait_ms == 0) {
		start_close(w, 1000, "");
	} else if (w->opts->wait_ms > 0 && !w->sul_wait.list.owner) {
		schedule(w, &w->sul_wait, wait_cb, w->opts->wait_ms);
	}
}

void client_wake(struct wsc *w)
{
	if (w->conn && w->st.ready == WSC_OPEN) {
		// flushes what queue_piece() encoded; also resumes paused input
		// (after a reconnect too)
		pump(w);
	}
}

void client_close(struct wsc *w, unsigned code, const char *reason)
{
	start_close(w, code, reason);
}

void client_end_input(struct wsc *w)
{
	if (!w->conn) {
		client_close(w, 1000, "");
		return;
	}
	input_stop(w);
	client_wake(w);
}

// A piece of a message into the send queue; nothing goes after our Close.
static bool queue_piece(struct wsc *w, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	if (w->closing) {
		return true;
	}
	// Nothing waits before it: encode it straight into the connection's
	// buffer (no allocation, one copy); the wake that follows flushes.
	// (Not a piece whose start went on a lost connection: pump() drops it.)
	if (sendq_empty(&w->q) && can_encode(w) && (kind == WSC_FRAME_TEXT ||
			kind == WSC_FRAME_BINARY) && (first || w->tx_open) &&
			conn_frame(w->conn, kind, first, last, data, len) ==
			CONN_TX_OK) {
		w->tx_open = !last;
		w->sent += last;
		return true;
	}
	if (!sendq_push(&w->q, kind, first, last, data, len)) {
		log_err("out of memory");
		return false;
	}
	return true;
}

void client_send(struct wsc *w, enum wsc_frame kind, const void *data,
		size_t len)
{
	if (queue_piece(w, kind, data, len, true, true)) {
		client_wake(w);
	}
}

/* --- keep-alive --- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pong_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_pong);

	if (!w->conn || !w->ping_us) {
		return;
	}
	w->pong_timed_out = true;
	w->st.failed = true;
	log_err("no Pong within %.3g s (--ping-timeout)",
		(double)w->opts->ping_timeout_ms / 1000.0);
	conn_abort(w->conn);
	conn_ended(w);
}

static void ping_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_ping);
	char data[32];

	if (!w->conn || w->st.ready != WSC_OPEN || w->closing) {
		return;
	}
	if (w->drain) {
		// their Pongs would keep the end-of-input check from going quiet
		schedule(w, &w->sul_ping, ping_cb, w->opts->ping_interval_ms);
		return;
	}
	snprintf(data, sizeof(data), "wsc %lld", (long long)mono_us());
	client_send(w, WSC_FRAME_PING, data, strlen(data));
	if (w->opts->ping_timeout_ms && !w->sul_pong.list.owner) {
		schedule(w, &w->sul_pong, pong_timeout_cb, w->opts->ping_timeout_ms);
	}
	schedule(w, &w->sul_ping, ping_cb, w->opts->ping_interval_ms);
}

static void on_pong(void *u, const void *in, size_t len)
{
	struct wsc *w = u;
	double rtt = -1;

	if (w->drain || w->st.close_sent) {
		w->last_rx_us = mono_us();
	}
	if (drain_pong(w, in, len)) {
		rtt = (double)(w->drain_pong_us - w->drain_ping_us) / 1000.0;
	} else if (w->ping_us && len == w->ping_len &&
			!memcmp(in, w->ping_data, len)) {
		rtt = (double)(mono_us() - w->ping_us) / 1000.0;
		w->ping_us = 0;
		lws_sul_cancel(&w->sul_pong);
	}
	if (w->opts->show_ping) {
		if (rtt >= 0) {
			log_note("pong (%zu bytes), round trip %.3f ms", len, rtt);
		} else {
			log_note("pong (%zu bytes), unsolicited", len);
		}
		events_pong(w, in, len, rtt);
	}
}

// -P: the server's Ping (the connection answered it).
static void on_ping(void *u, const void *in, size_t len)
{
	struct wsc *w = u;
	char esc[6 * (125 + 4)];   // a control payload, escaped
	unsigned char pend[4];
	size_t npend = 0;

	if (w->drain || w->st.close_sent) {
		w->last_rx_us = mono_us();
	}
	if (!w->opts->show_ping) {
		return;
	}
	esc[output_escape(in, len, true, pend, &npend, esc)] = '\0';
	log_note("ping from the server (%zu bytes)%s%s", len, len ? ": " : "",
		esc);
	events_ping(w, in, len);
}

void client_signal(struct wsc *w, int signo)
{
	// Ctrl-C at the prompt is the REPL's, except while connecting: then
	// it aborts at once like any signal (there is nothing to close yet)
	if (signo == SIGWINCH || (signo == SIGINT && w->repl_active &&
			w->st.ready != WSC_CONNECTING)) {
		if (w->interactive) {
			repl_signal(w, signo);
		}
		return;
	}
	w->signals++;
	if (w->closing || w->st.ready != WSC_OPEN) {
		// impatient, or nothing to close yet: leave at once (after
		// the server's Close, the wait for its end of TCP is cut short)
		if (w->st.ready != WSC_OPEN && !w->closing &&
				!w->st.close_received) {
			w->st.failed = true;
			log_err("interrupted");
		}
		finish(w);
		return;
	}
	start_close(w, 1001, "");
}

/* --- the endpoint the session's input talks to (endpoint.h) --- */

static bool ep_send(void *ctx, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	return queue_piece(ctx, kind, data, len, first, last);
}

static void ep_wake(void *ctx)
{
	client_wake(ctx);
}

// Paused input resumes once the queue is half empty.
static enum wsc_flow ep_flow(void *ctx, bool resume)
{
	struct wsc *w = ctx;

	if (w->closing) {
		return WSC_FLOW_CLOSED;
	}
	if (resume ? w->q.cost >= w->q.budget / 2 : sendq_full(&w->q)) {
		return WSC_FLOW_FULL;
	}
	return WSC_FLOW_GO;
}

static unsigned ep_connection(void *ctx)
{
	return ((struct wsc *)ctx)->reconnects;
}

static void ep_close(void *ctx, unsigned code, const char *reason)
{
	client_close(ctx, code, reason);
}

static void ep_end_input(void *ctx)
{
	client_end_input(ctx);
}

static void ep_signal(void *ctx, int signo)
{
	client_signal(ctx, signo);
}

static void ep_describe(void *ctx)
{
	struct wsc *w = ctx;

	log_note("%s (%d) %s, sent %lu, received %lu%s%s",
		state_name(w->st.ready), (int)w->st.ready, w->opts->url_text,
		w->sent, w->received, *w->protocol ? ", subprotocol " : "",
		w->protocol);
}

static const struct wsc_endpoint_ops client_endpoint = {
	ep_send, ep_wake, ep_flow, ep_connection, ep_close, ep_end_input,
	ep_signal, ep_describe,
};

/* --- connecting --- */

static void connect_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_connect);

	if (!w->conn || w->st.ready != WSC_CONNECTING) {
		return;
	}
	w->timed_out = true;
	conn_abort(w->conn);
	w->conn = NULL;
	w->st.failed = true;
	diagnose_connect_error(w, "");
	state_set(&w->st, WSC_CLOSED, "connection failed");
	connection_over(w, true);
}

static bool is_header(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) && line[n] == ':';
}

static void report_open(struct wsc *w)
{
	char proto[128] = "";

	snprintf(proto, sizeof(proto), "%s", w->protocol);
	if (*w->opts->protocols) {
		if (*proto) {
			log_info("subprotocol: %s", proto);
		} else {
			log_info("server chose no subprotocol (offered %s)",
				w->opts->protocols);
		}
	}
	state_set(&w->st, WSC_OPEN, "%s%s", *proto ? "subprotocol " : "",
		proto);
}

/* --- receiving --- */

/*
 * A received message fails the connection: its line was just said. The
 * connection takes nothing more; close with code through our own close
 * flow. Our Close already went (or is queued): no second one.
 */
static void fail_rx(struct wsc *w, unsigned code, const char *reason)
{
	w->rx_failed = true;
	w->st.failed = true;
	if (w->st.close_sent) {
		hang_up(w);
		return;
	}
	start_close(w, code, reason);
}

// -n is reached: the rest is not ours to print
static bool count_reached(const struct wsc *w)
{
	return w->opts->count && w->received >= w->opts->count;
}

static void on_begin(void *u, bool binary)
{
	struct wsc *w = u;

	if (w->drain || w->st.close_sent) {
		w->last_rx_us = mono_us();   // a sign of life (heard())
	}
	// nobody is reading any more, or -n is reached
	w->rx_skip = w->rx_failed || (w->closing && w->st.quiet_exit) ||
		count_reached(w);
	if (!w->rx_skip) {
		output_begin(&w->out, binary);
	}
}

static void on_data(void *u, const void *p, size_t n)
{
	struct wsc *w = u;

	if (w->drain || w->st.close_sent) {
		w->last_rx_us = mono_us();
	}
	if (!w->rx_skip) {
		output_data(&w->out, p, n);
	}
}

static void on_end(void *u)
{
	struct wsc *w = u;

	if (w->rx_skip) {
		return;
	}
	output_end(&w->out);
	w->received++;
	if (w->out.broken) {
		on_output_gone(w);  // the reader went away mid-message
		return;
	}
	schedule_flush(w);
	if (count_reached(w)) {
		start_close(w, 1000, "");
	}
}

// The server broke the protocol: say how, and close with code.
static void on_error(void *u, unsigned code, const char *why)
{
	struct wsc *w = u;

	if (w->rx_failed || (w->closing && w->st.quiet_exit)) {
		return;
	}
	if (code == 1009) {
		if (count_reached(w)) {
			return;     // -n: not ours to print, so not ours to limit
		}
		log_err("message larger than --max-size (%llu bytes)%s",
			w->opts->max_size, w->closing ? "" : "; closing with 1009");
		fail_rx(w, 1009, "message too big");
		return;
	}
	if (code == 1011) {
		log_err("%s%s", why, w->closing ? "" : "; closing with 1011");
		fail_rx(w, 1011, why);
		return;
	}
	if (w->closing) {
		log_err("protocol error: the server sent a %s", why);
	} else {
		log_err("protocol error: the server sent a %s (closing with %u)",
			why, code);
	}
	fail_rx(w, code, NULL);
}

// The server's Close and its verdict: note it, and answer it ourselves.
static void on_close(void *u, const struct msg_event *ev)
{
	struct wsc *w = u;
	unsigned char reply[2];
	unsigned code = ev->fault ? ev->fault : ev->code == 1005 ? 0 :
		ev->code;
	size_t rlen = ev->rlen;

	w->st.close_received = true;
	w->st.code = ev->code;
	if (rlen >= sizeof(w->st.reason)) {
		rlen = sizeof(w->st.reason) - 1;
	}
	memcpy(w->st.reason, ev->reason ? ev->reason : "", rlen);
	w->st.reason[rlen] = '\0';
	for (size_t i = 0; i < rlen; i++) {
		if ((unsigned char)w->st.reason[i] < 0x20) {
			w->st.reason[i] = '?';  // keep the diagnostic one line
		}
	}
	if (ev->fault) {
		snprintf(w->close_fault, sizeof(w->close_fault), "a %s", ev->why);
		w->st.failed = true;
	}
	if (w->st.close_sent) {
		// our own Close went first: this completes it
		conn_flush(w->conn);
		hang_up(w);
		return;
	}
	input_stop(w);
	state_set(&w->st, WSC_CLOSING, "server sent Close %u %s", w->st.code,
		w->st.reason);
	// the echo: its code, 1002/1007 for a faulty one, nothing for none
	reply[0] = (unsigned char)(code >> 8);
	reply[1] = (unsigned char)code;
	conn_frame(w->conn, WSC_FRAME_CLOSE, true, true, reply, code ? 2 : 0);
	conn_flush(w->conn);
	hang_up(w);
}

/* --- -L: following a redirect --- */

static bool connect_client(struct wsc *w);
static void setup_host(struct wsc *w);

static void redirect_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_reconnect);

	connect_client(w);
}

// The redirect was refused to lws on purpose: connect to its Location.
static bool follow_redirect(struct wsc *w)
{
	struct wsc_url next;
	const char *why;

	w->follow = false;
	if (!url_resolve(&w->url, w->location, &next, &why)) {
		log_err("redirect to '%s': %s", w->location, why);
		return false;
	}
	if (w->url.tls && !next.tls) {
		log_err("redirect from %s to %s refused: it leaves TLS",
			w->url_text, w->location);
		return false;
	}
	if (w->opts->dump) {
		dump_exchange(w->trace, true, true);
	}
	w->redirects++;
	log_info("redirect %u: HTTP %d to %s", w->redirects, w->redirect_status,
		w->location);
	w->redirect_status = 0;
	w->url = next;
	url_format(&w->url, w->url_text, sizeof(w->url_text));
	setup_host(w);
	w->conn = NULL;
	w->st.failed = false;
	schedule(w, &w->sul_reconnect, redirect_cb, 0);
	return true;
}

/* --- the end of a connection, and --reconnect --- */

static void reconnect_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = WSC_OF(sul, sul_reconnect);
	const struct wsc_opts *o = w->opts;
	struct wsc_sendq_item *it;

	// a new connection: forget the old one's state, keep what is queued
	w->closing = w->timed_out = w->close_timed_out = false;
	w->pong_timed_out = w->too_many_redirects = false;
	w->redirects = 0;
	w->redirect_status = 0;
	w->location[0] = w->protocol[0] = w->extensions[0] = '\0';
	w->rx_skip = false;
	w->ping_us = 0;
	w->drain = WSC_DRAIN_OFF;
	state_restart(&w->st);
	// a message cut by the drop cannot be continued on a new connection
	while ((it = sendq_peek(&w->q)) && !it->first) {
		sendq_pop(&w->q);
	}
	for (size_t i = 0; i < o->n_execute; i++) {
		client_send(w, o->binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT,
			o->execute[i], strlen(o->execute[i]));
	}
	connect_client(w);
}

// The connection is gone: try again (--reconnect) or leave the loop.
static void connection_over(struct wsc *w, bool dropped)
{
	const struct wsc_opts *o = w->opts;
	long delay;

	lws_sul_cancel(&w->sul_close);
	lws_sul_cancel(&w->sul_wait);
	lws_sul_cancel(&w->sul_drain);
	lws_sul_cancel(&w->sul_ping);
	lws_sul_cancel(&w->sul_pong);
	w->conn = NULL;
	if (!dropped || !o->reconnect || w->signals || w->st.quiet_exit ||
			(o->reconnect_max && w->reconnects >= o->reconnect_max)) {
		finish(w);
		return;
	}
	// exponential backoff from 0.5 s to 30 s, with +-25 % jitter
	delay = 500L << (w->reconnects < 6 ? w->reconnects : 6);
	if (delay > 30000) {
		delay = 30000;
	}
	delay = delay * 3 / 4 + (long)((unsigned long)random() %
		(unsigned long)(delay / 2 + 1));
	w->reconnects++;
	if (o->reconnect_max) {
		log_info("reconnecting in %.1f s (attempt %u of %lu)",
			(double)delay / 1000, w->reconnects, o->reconnect_max);
	} else {
		log_info("reconnecting in %.1f s (attempt %u)",
			(double)delay / 1000, w->reconnects);
	}
	schedule(w, &w->sul_reconnect, reconnect_cb, delay);
}

/* --- writing --- */

// The send queue to the connection: frames until it is full, then one write.
static void pump(struct wsc *w)
{
	struct wsc_sendq_item *it;

	if (!can_encode(w)) {
		return;
	}
	while ((it = sendq_peek(&w->q))) {
		const unsigned char *pl = sendq_payload(&w->q, it);
		bool data = it->kind == WSC_FRAME_TEXT ||
			it->kind == WSC_FRAME_BINARY;
		enum conn_tx r;

		if (data && !it->first && !w->tx_open) {
			// its start went out on a connection since lost: the rest
			// would be a continuation without a start (a reconnect)
			w->cut += it->len;
			if (it->last) {
				log_err("the rest of a message cut by the lost "
					"connection was not sent (%llu bytes)", w->cut);
				w->cut = 0;
			}
			sendq_pop(&w->q);
			continue;
		}
		r = conn_frame(w->conn, it->kind, it->first, it->last, pl,
			it->len);

		if (r == CONN_TX_FULL) {
			conn_flush(w->conn);
			if (conn_tx_empty(w->conn)) {
				continue;
			}
			break;      // writable() comes when there is room
		}
		if (r == CONN_TX_FAIL) {
			log_err("write to the server failed");
			w->st.failed = true;
			conn_abort(w->conn);
			conn_ended(w);
			return;
		}
		if (it->kind == WSC_FRAME_PING && w->drain &&
				it->len == w->drain_ping_len && !memcmp(pl,
				w->drain_ping, it->len)) {
			w->drain_ping_us = mono_us();   // not timed as a keep-alive
		} else if (it->kind == WSC_FRAME_PING) {
			memcpy(w->ping_data, pl, it->len);
			w->ping_len = it->len;
			w->ping_us = mono_us();
		} else if (it->kind == WSC_FRAME_CLOSE) {
			unsigned code = it->len >= 2 ? (unsigned)(pl[0] << 8 |
				pl[1]) : 1005;

			w->st.sent_code = code;
			w->st.close_sent = true;
			state_set(&w->st, WSC_CLOSING, "we sent Close %u", code);
			w->close_unsent = -1;
			w->last_rx_us = mono_us();   // silence counts from here
			w->rx_seen = conn_rx_bytes(w->conn);
			schedule(w, &w->sul_close, close_timeout_cb,
				w->opts->close_timeout_ms);
			sendq_pop(&w->q);
			sendq_finish(&w->q);    // nothing may follow a Close
			conn_flush(w->conn);
			if (w->rx_failed) {
				// we failed the connection: nothing more is read
				// (RFC 6455 7.1.7), so hang up once the Close is out
				hang_up(w);
			}
			return;
		}
		if (data) {
			w->tx_open = !it->last;
			w->sent += it->last;
		}
		sendq_pop(&w->q);
	}
	conn_flush(w->conn);
	input_resume(w);
	if (sendq_empty(&w->q)) {
		maybe_finish(w);
	}
}

/* --- the connection's callbacks --- */

static void on_open(void *u)
{
	struct wsc *w = u;

	lws_sul_cancel(&w->sul_connect);
	snprintf(w->protocol, sizeof(w->protocol), "%s",
		conn_protocol(w->conn));
	snprintf(w->extensions, sizeof(w->extensions), "%s",
		conn_extensions(w->conn));
	if (w->opts->dump) {
		dump_exchange(w->trace, true, true);
		dump_verdict(w->trace, w->opts->protocols);
		events_handshake(w);
	}
	if (w->opts->verbose) {
		dump_timing(w->trace);
	}
	report_open(w);
	events_open(w);
	repl_opened(w);
	w->reconnects = 0;
	w->tx_open = false;     // a message cut by a lost connection is not resumed
	if (w->opts->ping_interval_ms) {
		schedule(w, &w->sul_ping, ping_cb, w->opts->ping_interval_ms);
	}
	if (w->closing) {
		// Ctrl-D, /close or a closed stdout came while connecting
		w->closing = false;
		start_close(w, w->close_code, w->close_reason);
	}
	client_wake(w);
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
		status == 307 || status == 308;
}

static void on_failed(void *u, const char *cause)
{
	struct wsc *w = u;
	int status = dump_status(w->trace);

	w->conn = NULL;
	lws_sul_cancel(&w->sul_connect);
	if (is_redirect(status)) {
		// wsc follows it itself: every hop, with the port and -k kept
		dump_response_header(w->trace, "Location", w->location,
			sizeof(w->location));
		if (!*w->location) {
			// not a redirect after all: the status is the cause
		} else if (!w->opts->location) {
			w->redirect_status = status;
		} else if (w->redirects >= w->opts->max_redirects) {
			w->too_many_redirects = true;
		} else {
			w->redirect_status = status;
			if (follow_redirect(w)) {
				return;
			}
		}
	}
	w->st.failed = true;
	diagnose_connect_error(w, cause);
	state_set(&w->st, WSC_CLOSED, "connection failed");
	connection_over(w, true);
}

// The open connection is gone (conn_abort()ed, or its end was told).
static void conn_ended(struct wsc *w)
{
	w->conn = NULL;
	flush_output(w);
	diagnose_closed(w);
	connection_over(w, !w->st.close_received && !w->closing &&
		!w->st.quiet_exit && !w->signals && !w->rx_failed &&
		!w->pong_timed_out);
}

static void on_closed(void *u, const char *why)
{
	(void)why;
	conn_ended(u);
}

static void on_writable(void *u)
{
	pump(u);
}

static const struct wsc_conn_cb conn_cb = {
	.open = on_open, .failed = on_failed,
	.begin = on_begin, .data = on_data, .end = on_end,
	.ping = on_ping, .pong = on_pong, .close = on_close,
	.error = on_error, .writable = on_writable, .closed = on_closed,
};

/* --- the session --- */

// Host: the URL's authority, or the -H Host given; Origin likewise.
static void setup_host(struct wsc *w)
{
	const struct wsc_opts *o = w->opts;

	url_authority(&w->url, w->host, sizeof(w->host), false);
	w->origin = o->origin;
	for (size_t i = 0; i < o->n_headers; i++) {
		const char *h = o->headers[i], *v;

		if (!is_header(h, "Host") && !is_header(h, "Origin")) {
			continue;
		}
		v = strchr(h, ':') + 1;
		while (*v == ' ' || *v == '\t') {
			v++;
		}
		if (is_header(h, "Host")) {
			snprintf(w->host, sizeof(w->host), "%s", v);
		} else {
			w->origin = v;
		}
	}
}

static bool setup_request(struct wsc *w)
{
	const struct wsc_opts *o = w->opts;

	w->url = o->url;
	snprintf(w->url_text, sizeof(w->url_text), "%s", o->url_text);
	setup_host(w);
	if (o->auth_user && !headers_basic_auth(o->auth_user, o->auth_pass,
			w->authorization, sizeof(w->authorization))) {
		log_err("--auth: credentials too long");
		return false;
	}
	return true;
}

static bool connect_client(struct wsc *w)
{
	const struct wsc_opts *o = w->opts;
	struct wsc_conn_params p;

	memset(&p, 0, sizeof(p));
	p.net.host = w->url.host;
	p.net.port = w->url.port;
	p.net.unix_socket = o->unix_socket;
	p.net.proxy = o->proxy;
	p.net.tls = w->url.tls ? w->tls : NULL;
	p.net.tls_host = w->host;
	p.rq.host = w->url.host;
	p.rq.port = (unsigned)w->url.port;
	p.rq.tls = w->url.tls;
	p.rq.path = w->url.path;
	p.rq.origin = w->origin;
	p.rq.protocols = *o->protocols ? o->protocols : NULL;
	p.rq.authorization = *w->authorization ? w->authorization : NULL;
	p.rq.headers = o->headers;
	p.rq.n_headers = o->n_headers;
	p.deflate = o->deflate;
	p.max_size = o->max_size;
	state_set(&w->st, WSC_CONNECTING, "%s", w->url_text);
	schedule(w, &w->sul_connect, connect_timeout_cb, o->connect_timeout_ms);
	w->conn = conn_open(w->ctx, &p, &conn_cb, w, w->keys, w->trace);
	// (a failure at once, e.g. a name that does not resolve, was told)
	return w->conn != NULL;
}

enum wsc_exit client_run(const struct wsc_opts *opts, int sigfd)
{
	struct lws_protocols protocols[] = {
		rawconn_protocol, input_protocol_stdin, input_protocol_signal,
		repl_protocol,
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct tls_opts to = { 0 };
	struct wsc w;
	enum wsc_exit ret;

	if (!wsc_init(&w, opts, &client_endpoint, &w)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	if (!setup_request(&w)) {
		wsc_finish(&w);
		return WSC_EXIT_USAGE;
	}
	// calloc: fresh heap comes zeroed, so the 64 KiB record costs no RSS
	// until the handshake writes it
	w.trace = calloc(1, sizeof(*w.trace));
	w.keys = malloc(sizeof(*w.keys));
	// the OpenSSL context is built by the first wss:// connection only
	to.ca = opts->ca;
	to.cert = opts->cert;
	to.key = opts->key;
	to.insecure = opts->insecure;
	w.tls = tls_ctx_new(&to);
	if (!w.trace || !w.keys || !w.tls) {
		log_err("out of memory");
		free(w.trace);
		free(w.keys);
		tls_ctx_free(w.tls);
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	mask_init(w.keys);
	// Only --proxy chooses a proxy: lws would read http_proxy itself.
	unsetenv("http_proxy");
	unsetenv("https_proxy");

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &w;
	// read the socket in large chunks (lws's default is 4 KiB)
	info.pt_serv_buf_size = 256 * 1024;
	info.fd_limit_per_thread = 64;
	info.timeout_secs = (unsigned)(opts->connect_timeout_ms / 1000) + 5;

	w.ctx = lws_create_context(&info);
	if (!w.ctx) {
		log_err("cannot create the libwebsockets context");
		ret = WSC_EXIT_FAILURE;
	} else {
		srandom((unsigned)(getpid() ^ time(NULL)));
		events_init(&w);
		if (input_start(&w, lws_get_vhost_by_name(w.ctx, "default"),
				sigfd)) {
			connect_client(&w);
			while (!w.done) {
				if (lws_service(w.ctx, 0) < 0) {
					break;
				}
			}
		} else {
			w.st.failed = true;
		}
		conn_abort(w.conn);
		w.conn = NULL;
		flush_output(&w);
		repl_finish(&w);
		ret = state_exit_status(&w.st);
		lws_context_destroy(w.ctx);
	}
	tls_ctx_free(w.tls);
	mask_finish(w.keys);
	free(w.keys);
	free(w.trace);
	wsc_finish(&w);
	return ret;
}
