/*
 * diagnose.h - why a connection failed or ended, in wsc's words: one
 * `wsc: ...` line (after the response shown for a rejected handshake), and
 * the -S/-j facts of the end. It only reads the client (client.h) and the
 * capture.
 */
#ifndef WSC_DIAGNOSE_H
#define WSC_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

struct wsc_client;
struct wsc_trace;

/* Why a connection could not be made, as its `wsc: ` line says it
 * (without the prefix), from what the trace recorded, lws's or rawconn's
 * short reason cce (or ""), whether --connect-timeout ended it and the
 * response status (0: none). Shared by the client and --check. */
void diagnose_cause(const struct wsc_trace *t, const struct wsc_opts *o,
		const char *url_text, const char *cce, bool timed_out,
		int status, char *out, size_t size);

/* The connection could not be made; cce is lws's short reason or "". */
void diagnose_connect_error(struct wsc_client *c, const char *cce);

/* The open connection ended: CLOSED state, -j close event, the cause of
 * an unclean end or of a server's error close code. */
void diagnose_closed(struct wsc_client *c);

#endif
