/*
 * input.h - what goes out: stdin lines (or -x messages) to the session's
 * endpoint (endpoint.h), and signals through a signalfd, routed to the
 * REPL or the endpoint, both inside the lws loop.
 */
#ifndef WSC_INPUT_H
#define WSC_INPUT_H

#include <stdbool.h>

#include "wsc.h"

/* The lws protocols for the adopted stdin and signalfd descriptors. */
extern const struct lws_protocols input_protocol_stdin;
extern const struct lws_protocols input_protocol_signal;

/*
 * Start reading: queue the -x messages, or adopt stdin into the loop.
 * Adopt the signalfd (already created by the caller, -1 for none).
 * False after printing an error.
 */
bool input_start(struct wsc *w, struct lws_vhost *vh, int sigfd);

/* The endpoint has room again: go on with /send, resume reading stdin if
 * it was paused. */
void input_resume(struct wsc *w);

/* Stop reading stdin for good (closing, or the session is over). */
void input_stop(struct wsc *w);

#endif
