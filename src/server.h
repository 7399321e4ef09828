/*
 * server.h - wsc --listen: a WebSocket chat room (or --echo) on the same
 * single lws loop, serving the built-in chat page at GET /.
 */
#ifndef WSC_SERVER_H
#define WSC_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "state.h"
#include "wsc.h"

/* Run the server until a signal, Ctrl-D or /quit; returns the exit status. */
enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd);

/* A piece of an input line or a REPL message: to every client. */
bool server_input(struct wsc *w, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last);

/* The next client in the list (for counting). */
struct wsc_peer *server_next(struct wsc_peer *p);

/* Close every client with code and leave once they are gone. */
void server_close(struct wsc *w, unsigned code, const char *reason);

#endif
