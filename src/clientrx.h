/*
 * clientrx.h - what the client connection receives, to the output (see
 * clientrx.c): the connection's begin, data, end and error callbacks
 * (conn.h), and the flush of what is batched for stdout.
 */
#ifndef WSC_CLIENTRX_H
#define WSC_CLIENTRX_H

#include <stdbool.h>
#include <stddef.h>

struct wsc_client;

/* Write what waits for stdout; a reader gone closes the connection. */
void clientrx_flush(struct wsc_client *c);

/* Flush stdout and the recording before the loop next sleeps (batched). */
void clientrx_schedule_flush(struct wsc_client *c);

/* The connection's callbacks (conn.h); u is the client. */
void clientrx_on_begin(void *u, bool binary);
void clientrx_on_data(void *u, const void *p, size_t n);
void clientrx_on_end(void *u);
void clientrx_on_error(void *u, unsigned code, const char *why);

#endif
