/*
 * clientclose.c - the client connection's close flow, which loses
 * nothing: our Close goes after what is queued (held while connecting);
 * at the end of input a Ping and a quiet spell first make sure the server
 * read everything and said what it had to; the server's Close is
 * answered; the connection ends once the server closed TCP; and
 * --close-timeout bounds each wait as silence, not as a total.
 */
#include "clientclose.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "client.h"
#include "conn.h"
#include "log.h"


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

void closing_start(struct wsc_client *c, unsigned code, const char *reason)
{
	struct client_closing *k = &c->at.close;

	if (k->closing || c->st.close_received) {
		return;
	}
	k->closing = true;
	k->drain.stage = DRAIN_OFF;
	lws_sul_cancel(&k->drain.sul);
	c->input.stop(c->input.ctx);
	if (!c->conn) {
		wsc_leave(c->w);
		return;
	}
	if (c->st.ready != WSC_OPEN) {
		// still connecting: what is queued goes first, then this Close
		k->code = code;
		if (reason != k->reason) {      // closing_opened() passes it back
			snprintf(k->reason, sizeof(k->reason), "%s",
				reason ? reason : "");
		}
		return;
	}
	if (!sendq_push_close(&c->w->q, code, reason)) {
		wsc_leave(c->w);
		return;
	}
	client_pump(c);
}

void closing_opened(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;

	if (k->closing) {
		// Ctrl-D, /close or a closed stdout came while connecting
		k->closing = false;
		closing_start(c, k->code, k->reason);
	}
}

/*
 * Nothing more to say or hear: the connection ends once our last frames
 * left and the server closed TCP (RFC 6455 7.1.1: the server closes first;
 * closing with its bytes unread would send a reset, which loses our Close
 * at the server). --close-timeout bounds that, counted as silence; the
 * connection keeps that bound itself, so the Close timer stops here. At
 * the prompt a person waits for it: once the server's Close came, a
 * server slow to end TCP gets PROMPT_HANG_UP_MS of silence.
 */
#define PROMPT_HANG_UP_MS 1000

void closing_hang_up(struct wsc_client *c)
{
	long ms = c->opts->close_timeout_ms;

	if (c->w->interactive && c->st.close_received &&
			ms > PROMPT_HANG_UP_MS) {
		ms = PROMPT_HANG_UP_MS;
	}
	lws_sul_cancel(&c->at.close.sul_close);
	conn_shutdown(c->conn, ms);
}

static int unread(struct wsc_client *c)
{
	int n = 0;

	return ioctl(conn_fd(c->conn), FIONREAD, &n) == 0 ? n : 0;
}

// Something arrived since the last look: a message, a part of one, a
// control frame (the connection's byte count sees them all), or bytes
// still waiting in the socket for us to read them.
static void heard(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;
	unsigned long long rx = conn_rx_bytes(c->conn);

	if (rx != k->rx_seen || unread(c) > 0) {
		k->rx_seen = rx;
		k->last_rx_us = lws_now_usecs();
	}
}

// The server read more of what we sent since the last look (our unsent
// bytes went down): it is busy, not gone.
static bool reading(struct wsc_client *c, int *last)
{
	int unsent = 0;

	if (ioctl(conn_fd(c->conn), SIOCOUTQ, &unsent) == 0 &&
			unsent > 0 && (*last < 0 || unsent < *last)) {
		*last = unsent;
		return true;
	}
	return false;
}

void closing_alive(struct wsc_client *c)
{
	if (c->at.close.drain.stage != DRAIN_OFF || c->st.close_sent) {
		c->at.close.last_rx_us = lws_now_usecs();
	}
}

// --close-timeout counts silence: it runs from our Close or from the last
// thing received, whichever is later, and waits on while the server is
// still reading what came before our Close.
static void close_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		at.close.sul_close);
	struct client_closing *k = &c->at.close;
	int64_t now = lws_now_usecs();
	int64_t t = c->opts->close_timeout_ms * LWS_US_PER_MS;

	if (!c->conn || c->st.close_received) {
		return;
	}
	heard(c);
	if (now - k->last_rx_us < t) {
		client_schedule(c, &k->sul_close, close_timeout_cb,
			(long)((k->last_rx_us + t - now) / LWS_US_PER_MS) + 1);
		return;
	}
	if (reading(c, &k->unsent)) {
		k->last_rx_us = now;
		client_schedule(c, &k->sul_close, close_timeout_cb,
			c->opts->close_timeout_ms);
		return;
	}
	k->timed_out = true;
	conn_abort(c->conn);
	client_conn_ended(c);
}

static void drain_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		at.close.drain.sul);
	struct client_closing *k = &c->at.close;
	struct close_drain *d = &k->drain;
	bool pong = d->stage == DRAIN_PONG;
	int64_t now = lws_now_usecs(), t, last, next;
	int unsent = 0;

	if (!c->conn || d->stage == DRAIN_OFF) {
		return;
	}
	t = (pong ? DRAIN_PONG_MS : DRAIN_QUIET_MS) * LWS_US_PER_MS;
	if (pong && c->opts->close_timeout_ms * LWS_US_PER_MS < t) {
		t = c->opts->close_timeout_ms * LWS_US_PER_MS;
	}
	heard(c);
	if (pong && reading(c, &d->unsent)) {
		k->last_rx_us = now;
	}
	last = pong ? d->ping_us : d->pong_us;
	if (k->last_rx_us > last) {
		last = k->last_rx_us;
	}
	if (now - last >= t) {
		closing_start(c, 1000, "");
		return;
	}
	if (now - d->ping_us >= DRAIN_MAX_MS * LWS_US_PER_MS &&
			unread(c) == 0 && (ioctl(conn_fd(c->conn), SIOCOUTQ,
			&unsent) || unsent == 0)) {
		closing_start(c, 1000, "");   // it never falls quiet
		return;
	}
	next = last + t - now;
	if (next > DRAIN_QUIET_MS * LWS_US_PER_MS) {
		// look again for the bound
		next = DRAIN_QUIET_MS * LWS_US_PER_MS;
	}
	client_schedule(c, &d->sul, drain_cb,
		(long)(next / LWS_US_PER_MS) + 1);
}

static void drain_start(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;
	struct close_drain *d = &k->drain;

	d->stage = DRAIN_PONG;
	d->ping_us = lws_now_usecs();
	d->unsent = -1;
	k->last_rx_us = 0;
	k->rx_seen = conn_rx_bytes(c->conn);
	d->ping_len = (size_t)snprintf(d->ping, sizeof(d->ping), "wsc end %lld",
		(long long)d->ping_us);
	if (!sendq_push(&c->w->q, WSC_FRAME_PING, true, true, d->ping,
			d->ping_len)) {
		closing_start(c, 1000, "");
		return;
	}
	client_schedule(c, &d->sul, drain_cb, DRAIN_QUIET_MS);
	client_pump(c);
}

bool closing_drain_sent(struct wsc_client *c, const void *p, size_t n)
{
	struct close_drain *d = &c->at.close.drain;

	if (d->stage == DRAIN_OFF || n != d->ping_len || memcmp(p, d->ping, n)) {
		return false;
	}
	d->ping_us = lws_now_usecs();
	return true;
}

// Our end-of-input Ping came back: the server has read everything.
bool closing_drain_pong(struct wsc_client *c, const void *p, size_t n,
		double *rtt_ms)
{
	struct close_drain *d = &c->at.close.drain;

	if (d->stage != DRAIN_PONG || n != d->ping_len || memcmp(p, d->ping,
			n)) {
		return false;
	}
	d->stage = DRAIN_QUIET;
	d->pong_us = lws_now_usecs();
	*rtt_ms = (double)(d->pong_us - d->ping_us) / 1000.0;
	heard(c);
	client_schedule(c, &d->sul, drain_cb, DRAIN_QUIET_MS);
	return true;
}

static void wait_cb(lws_sorted_usec_list_t *sul)
{
	closing_start(lws_container_of(sul, struct wsc_client,
		at.close.sul_wait), 1000, "");
}

void closing_maybe_finish(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;

	if (!c->w->input_done || !sendq_empty(&c->w->q) || k->closing ||
			c->st.ready != WSC_OPEN || k->drain.stage != DRAIN_OFF ||
			rpc_waiting(&c->rpc)) {
		return;     // (each awaited --rpc reply has its own deadline)
	}
	if (!c->opts->wait_given) {
		if (c->opts->count) {
			// -n: on until N messages have come (on_end closes)
		} else if (c->rpc.requests) {
			closing_start(c, 1000, "");     // --rpc: every reply came
		} else {
			drain_start(c);
		}
	} else if (c->opts->wait_ms == 0) {
		closing_start(c, 1000, "");
	} else if (c->opts->wait_ms > 0 && !k->sul_wait.list.owner) {
		client_schedule(c, &k->sul_wait, wait_cb, c->opts->wait_ms);
	}
}

void closing_sent(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;

	k->unsent = -1;
	k->last_rx_us = lws_now_usecs();   // silence counts from here
	k->rx_seen = conn_rx_bytes(c->conn);
	client_schedule(c, &k->sul_close, close_timeout_cb,
		c->opts->close_timeout_ms);
}

void closing_received(struct wsc_client *c, const struct msg_event *ev)
{
	struct wsc_state *s = &c->st;
	unsigned char reply[2];
	unsigned code = ev->fault ? ev->fault : ev->code == 1005 ? 0 :
		ev->code;
	size_t rlen = ev->rlen;

	s->close_received = true;
	s->code = ev->code;
	if (rlen >= sizeof(s->reason)) {
		rlen = sizeof(s->reason) - 1;
	}
	memcpy(s->reason, ev->reason ? ev->reason : "", rlen);
	s->reason[rlen] = '\0';
	for (size_t i = 0; i < rlen; i++) {
		if ((unsigned char)s->reason[i] < 0x20) {
			s->reason[i] = '?';  // keep the diagnostic one line
		}
	}
	if (ev->fault) {
		snprintf(c->at.close.fault, sizeof(c->at.close.fault), "a %s",
			ev->why);
		s->failed = true;
	}
	if (s->close_sent) {
		// our own Close went first: this completes it
		conn_flush(c->conn);
		closing_hang_up(c);
		return;
	}
	c->input.stop(c->input.ctx);
	state_set(s, WSC_CLOSING, "server sent Close %u %s", s->code,
		s->reason);
	// the echo: its code, 1002/1007 for a faulty one, nothing for none
	reply[0] = (unsigned char)(code >> 8);
	reply[1] = (unsigned char)code;
	conn_frame(c->conn, WSC_FRAME_CLOSE, true, true, reply, code ? 2 : 0);
	conn_flush(c->conn);
	closing_hang_up(c);
}

void closing_stop(struct wsc_client *c)
{
	struct client_closing *k = &c->at.close;

	lws_sul_cancel(&k->sul_close);
	lws_sul_cancel(&k->sul_wait);
	lws_sul_cancel(&k->drain.sul);
}
