/*
 * events.h - the -j event stream: open, close, error, state, pong, ping
 * and handshake objects, one line each on stdout, written through the output
 * layer so they never interleave with a message.
 */
#ifndef WSC_EVENTS_H
#define WSC_EVENTS_H

#include <stddef.h>

#include "wsc.h"

/* Hook state changes and error lines into the stream (no-op without -j). */
void events_init(struct wsc *w);

void events_open(struct wsc *w);
void events_close(struct wsc *w, const char *who, bool clean);
void events_pong(struct wsc *w, const void *data, size_t len, double rtt_ms);
void events_ping(struct wsc *w, const void *data, size_t len);
void events_handshake(struct wsc *w);

#endif
