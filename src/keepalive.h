/*
 * keepalive.h - the client connection's keep-alive: a Ping every
 * --ping-interval, its Pong timed (-P prints the round trip) and awaited
 * for --ping-timeout; the server's Pings shown with -P; the round trip of
 * a Ping typed at the prompt (/ping) always shown.
 */
#ifndef WSC_KEEPALIVE_H
#define WSC_KEEPALIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

struct wsc_client;

/* A Ping that went out, to time its Pong. */
struct ping_out {
	unsigned char data[125];
	size_t len;
	int64_t sent_us;                // 0: no Pong awaited
};

struct keepalive {
	char next[32];                  // the --ping-interval Ping queued
	struct ping_out own;            // --ping-interval's last Ping
	struct ping_out typed;          // /ping's: its Pong is always shown
	lws_sorted_usec_list_t sul_ping;    // --ping-interval
	lws_sorted_usec_list_t sul_pong;    // --ping-timeout
};

/* The connection opened: Ping every --ping-interval (none: no Pings). */
void keepalive_start(struct wsc_client *c);

/* A Ping (not the end-of-input one) went out: time its Pong. One that
 * --ping-interval did not send was typed (/ping). */
void keepalive_sent(struct wsc_client *c, const void *p, size_t n);

/* The connection is over: no more Pings, no Pong awaited. */
void keepalive_stop(struct wsc_client *c);

/* The connection's ping() and pong() callbacks (conn.h); u is the client. */
void keepalive_on_ping(void *u, const void *p, size_t n);
void keepalive_on_pong(void *u, const void *p, size_t n);

#endif
