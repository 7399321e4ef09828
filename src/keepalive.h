/*
 * keepalive.h - the client connection's keep-alive: a Ping every
 * --ping-interval, its Pong timed (-P prints the round trip) and awaited
 * for --ping-timeout; the server's Pings shown with -P.
 */
#ifndef WSC_KEEPALIVE_H
#define WSC_KEEPALIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

struct wsc_client;

struct keepalive {
	unsigned char data[125];        // our last Ping, to time its Pong
	size_t len;
	int64_t sent_us;                // 0: no Ping outstanding
	lws_sorted_usec_list_t sul_ping;    // --ping-interval
	lws_sorted_usec_list_t sul_pong;    // --ping-timeout
};

/* The connection opened: Ping every --ping-interval (none: no Pings). */
void keepalive_start(struct wsc_client *c);

/* A Ping of ours (not the end-of-input one) went out: time its Pong. */
void keepalive_sent(struct wsc_client *c, const void *p, size_t n);

/* The connection is over: no more Pings, no Pong awaited. */
void keepalive_stop(struct wsc_client *c);

/* The connection's ping() and pong() callbacks (conn.h); u is the client. */
void keepalive_on_ping(void *u, const void *p, size_t n);
void keepalive_on_pong(void *u, const void *p, size_t n);

#endif
