/*
 * events.h - the -j event stream: open, close, error, state, pong, ping
 * and handshake objects, one line each on stdout, written through the output
 * layer so they never interleave with a message; and the stats event of
 * --stats (clientstats.c) goes through the same door.
 */
#ifndef WSC_EVENTS_H
#define WSC_EVENTS_H

#include <stddef.h>

#include "wsc.h"

struct wsc_client;

/* One event: body is the object's members after ts ("event":...). */
void events_emit(struct wsc *w, const char *body);

/* Hook error lines into the stream (no-op without -j). */
void events_init(struct wsc *w);

/* Hook the client's state changes into it (with -S; no-op without -j). */
void events_watch(struct wsc_client *c);

/* The client connection's events, from its facts. */
void events_open(struct wsc_client *c);
void events_close(struct wsc_client *c, const char *who, bool clean);
void events_pong(struct wsc_client *c, const void *data, size_t len,
		double rtt_ms);
void events_ping(struct wsc_client *c, const void *data, size_t len);
void events_handshake(struct wsc_client *c);

#endif
