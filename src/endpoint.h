/*
 * endpoint.h - what the session's input talks to: the client connection
 * (client.c) or the room of --listen (server.c). The stdin reader
 * (input.c), the REPL (repl.c) and /send (sendfile.c) call only these, so
 * they know neither the connection nor the room, and neither of those
 * calls back into a mode switch: there is no cycle and no server_mode.
 *
 * The data path: input pieces go to send() (the client queues them for
 * its socket, the room relays a whole line to its clients), flow() says
 * whether input may read on, and the endpoint calls input_resume() when it
 * may again.
 */
#ifndef WSC_ENDPOINT_H
#define WSC_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "sendq.h"

struct wsc;

enum wsc_flow {
	WSC_FLOW_GO,            // take more input
	WSC_FLOW_FULL,          // pause until input_resume()
	WSC_FLOW_CLOSED,        // closing: nothing more will be sent
};

struct wsc_endpoint_ops {
	/* Take a piece of a message (first, last: its ends; a control frame
	 * is one whole piece). False after saying why (out of memory). */
	bool (*send)(void *ctx, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last);
	/* What send() took (or the end of input) may go out now. */
	void (*wake)(void *ctx);
	/* May input read on? resume: it is paused and asks to start again
	 * (the endpoint may want more room then, so it does not flap). */
	enum wsc_flow (*flow)(void *ctx, bool resume);
	/* Which connection input now goes to: it changes when a new one
	 * begins, and a message begun on one cannot go on on another. */
	unsigned (*connection)(void *ctx);
	/* Close with code and reason after what was sent, then leave. */
	void (*close)(void *ctx, unsigned code, const char *reason);
	/* The user ended input (Ctrl-D): finish as at the end of a pipe. */
	void (*end_input)(void *ctx);
	/* SIGINT, SIGTERM or SIGWINCH. */
	void (*signal)(void *ctx, int signo);
	/* One line for /status. */
	void (*describe)(void *ctx);
};

struct wsc_endpoint {
	const struct wsc_endpoint_ops *ops;
	void *ctx;              // the connection's or the room's state
};

/* The calls, on the session's endpoint. */
bool endpoint_send(struct wsc *w, enum wsc_frame kind, const void *data,
	size_t len, bool first, bool last);
void endpoint_wake(struct wsc *w);
enum wsc_flow endpoint_flow(struct wsc *w, bool resume);
unsigned endpoint_connection(struct wsc *w);
void endpoint_close(struct wsc *w, unsigned code, const char *reason);
void endpoint_end_input(struct wsc *w);
void endpoint_signal(struct wsc *w, int signo);
void endpoint_describe(struct wsc *w);

/* A whole message or control frame (the REPL's lines), sent at once. */
void endpoint_send_message(struct wsc *w, enum wsc_frame kind,
	const void *data, size_t len);

#endif
