/*
 * client.h - the WebSocket client session: lws context, connection, the
 * protocol callback, and the close flow that loses nothing.
 */
#ifndef WSC_CLIENT_H
#define WSC_CLIENT_H

#include "options.h"
#include "state.h"
#include "wsc.h"

/* Run a whole client session; returns the exit status. */
enum wsc_exit client_run(const struct wsc_opts *opts, int sigfd);

/* Input queued something (or ended): get it written when possible. */
void client_wake(struct wsc *w);

/* A SIGINT, SIGTERM or SIGWINCH arrived. */
void client_signal(struct wsc *w, int signo);

/* Queue one whole message or control frame (the REPL's lines). */
void client_send(struct wsc *w, enum wsc_frame kind, const void *data,
		size_t len);

/* Input ended (Ctrl-D): send what is queued, close as at end of a pipe. */
void client_end_input(struct wsc *w);

/* Close with code and reason (after what is queued), then exit. */
void client_close(struct wsc *w, unsigned code, const char *reason);

#endif
