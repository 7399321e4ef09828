/*
 * keepalive.c - the client connection's keep-alive: a Ping every
 * --ping-interval (none while the end-of-input check waits for quiet),
 * its Pong timed and awaited for --ping-timeout; with -P each Pong's
 * round trip and each Ping of the server's (which conn.c answered) said;
 * a typed /ping's round trip said always (the person asked for it).
 */
#include "keepalive.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "events.h"
#include "log.h"
#include "output.h"

static void pong_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		at.ka.sul_pong);

	if (!c->conn || !c->at.ka.own.sent_us) {
		return;
	}
	c->at.pong_timed_out = true;
	c->st.failed = true;
	log_err("no Pong within %.3g s (--ping-timeout)",
		(double)c->opts->ping_timeout_ms / 1000.0);
	conn_abort(c->conn);
	client_conn_ended(c);
}

static void ping_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		at.ka.sul_ping);
	struct keepalive *ka = &c->at.ka;

	if (!c->conn || c->st.ready != WSC_OPEN || c->at.close.closing) {
		return;
	}
	if (c->at.close.drain.stage != DRAIN_OFF) {
		// their Pongs would keep the end-of-input check from going quiet
		client_schedule(c, &ka->sul_ping, ping_cb,
			c->opts->ping_interval_ms);
		return;
	}
	snprintf(ka->next, sizeof(ka->next), "wsc %lld",
		(long long)lws_now_usecs());
	client_send(c, WSC_FRAME_PING, ka->next, strlen(ka->next));
	if (c->opts->ping_timeout_ms && !ka->sul_pong.list.owner) {
		client_schedule(c, &ka->sul_pong, pong_timeout_cb,
			c->opts->ping_timeout_ms);
	}
	client_schedule(c, &ka->sul_ping, ping_cb, c->opts->ping_interval_ms);
}

void keepalive_start(struct wsc_client *c)
{
	if (c->opts->ping_interval_ms) {
		client_schedule(c, &c->at.ka.sul_ping, ping_cb,
			c->opts->ping_interval_ms);
	}
}

void keepalive_sent(struct wsc_client *c, const void *p, size_t n)
{
	struct keepalive *ka = &c->at.ka;
	struct ping_out *o = *ka->next && n == strlen(ka->next) &&
		!memcmp(p, ka->next, n) ? &ka->own : &ka->typed;

	if (n > sizeof(o->data)) {
		n = sizeof(o->data);  // a control payload never is
	}
	memcpy(o->data, p, n);
	o->len = n;
	o->sent_us = lws_now_usecs();
	c->stats.pings_sent++;
}

// The Pong answers o's Ping: its round trip, counted for --stats (and
// o awaits no more).
static bool answers(struct wsc_client *c, struct ping_out *o,
		const void *in, size_t len, double *rtt_ms)
{
	int64_t us = lws_now_usecs() - o->sent_us;

	if (!o->sent_us || len != o->len || memcmp(in, o->data, len)) {
		return false;
	}
	*rtt_ms = (double)us / 1000.0;
	o->sent_us = 0;
	stats_sample(&c->stats.ping, us);
	return true;
}

void keepalive_stop(struct wsc_client *c)
{
	lws_sul_cancel(&c->at.ka.sul_ping);
	lws_sul_cancel(&c->at.ka.sul_pong);
}

void keepalive_on_pong(void *u, const void *in, size_t len)
{
	struct wsc_client *c = u;
	struct keepalive *ka = &c->at.ka;
	double rtt = -1;
	bool typed = false;

	closing_alive(c);
	if (closing_drain_pong(c, in, len, &rtt)) {
		// the end-of-input Ping's, timed there
	} else if (answers(c, &ka->own, in, len, &rtt)) {
		lws_sul_cancel(&ka->sul_pong);
	} else {
		typed = answers(c, &ka->typed, in, len, &rtt);
	}
	if (c->opts->show_ping || typed) {
		if (rtt >= 0) {
			log_note("pong (%zu bytes), round trip %.3f ms", len, rtt);
		} else {
			log_note("pong (%zu bytes), unsolicited", len);
		}
	}
	if (c->opts->show_ping) {
		events_pong(c, in, len, rtt);
	}
}

// -P: the server's Ping (the connection answered it).
void keepalive_on_ping(void *u, const void *in, size_t len)
{
	struct wsc_client *c = u;
	char esc[6 * (125 + 4)];   // a control payload, escaped
	unsigned char pend[4];
	size_t npend = 0;

	closing_alive(c);
	if (!c->opts->show_ping) {
		return;
	}
	esc[output_escape(in, len, true, pend, &npend, esc)] = '\0';
	log_note("ping from the server (%zu bytes)%s%s", len, len ? ": " : "",
		esc);
	events_ping(c, in, len);
}
