/*
 * endpoint.h - what the session's input talks to, and what it may ask of
 * the session in turn: the client connection (client.c) or the room of
 * --listen (room.c). The stdin reader (input.c), the REPL (repl.c) and
 * /send (sendfile.c) call only the ops, so they know neither the
 * connection nor the room; an endpoint calls back only through the
 * wsc_input_calls it is given at set-up, so it knows neither stdin nor
 * the REPL: there is no cycle and no server_mode.
 *
 * The data path: input pieces go to send() (the client queues them for
 * its socket, the room relays a whole line to its clients), flow() says
 * whether input may read on, and the endpoint calls resume() when it
 * may again.
 */
#ifndef WSC_ENDPOINT_H
#define WSC_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include <libwebsockets.h>

#include "sendq.h"

enum wsc_flow {
	WSC_FLOW_GO,            // take more input
	WSC_FLOW_FULL,          // pause until resume()
	WSC_FLOW_CLOSED,        // closing: nothing more will be sent
};

/* What an endpoint may ask of the session's input (given at set-up). */
struct wsc_input_calls {
	void *ctx;                  // the session
	void (*stop)(void *ctx);    // stop reading for good (closing)
	void (*resume)(void *ctx);  // there is room again: read on
	void (*opened)(void *ctx);  // a connection opened (the REPL's hint)
};

struct wsc_endpoint_ops {
	/* The loop exists (lc, made from info): listen, say which vhost
	 * input is adopted on. NULL after saying why. */
	struct lws_vhost *(*attach)(void *ctx, struct lws_context *lc,
		struct lws_context_creation_info *info);
	/* Input is started: begin (connect). NULL: nothing to begin. */
	void (*start)(void *ctx);
	/* The loop is over: end what is left, before the context goes.
	 * NULL: nothing to end. */
	void (*stop)(void *ctx);
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
	/* Still connecting: there is nothing to close yet, so Ctrl-C ends
	 * the session even at the prompt. */
	bool (*connecting)(void *ctx);
	/* Close with code and reason after what was sent, then leave. */
	void (*close)(void *ctx, unsigned code, const char *reason);
	/* The person at the prompt ended input (Ctrl-D, /quit): close after
	 * what was typed, at once (not as at the end of a pipe). */
	void (*end_input)(void *ctx);
	/* SIGINT or SIGTERM not taken by the REPL. */
	void (*signal)(void *ctx, int signo);
	/* Ctrl-C on an empty prompt line: close and leave. NULL: close with
	 * 1000, the person at the prompt is done. */
	void (*interrupt)(void *ctx);
	/* One line for /status. */
	void (*describe)(void *ctx);
};

struct wsc_endpoint {
	const struct wsc_endpoint_ops *ops;
	void *ctx;              // the connection's or the room's state
};

/* The calls, on an endpoint. */
void endpoint_start(const struct wsc_endpoint *ep);
void endpoint_stop(const struct wsc_endpoint *ep);
bool endpoint_send(const struct wsc_endpoint *ep, enum wsc_frame kind,
	const void *data, size_t len, bool first, bool last);
void endpoint_wake(const struct wsc_endpoint *ep);
enum wsc_flow endpoint_flow(const struct wsc_endpoint *ep, bool resume);
unsigned endpoint_connection(const struct wsc_endpoint *ep);
void endpoint_close(const struct wsc_endpoint *ep, unsigned code,
	const char *reason);
void endpoint_end_input(const struct wsc_endpoint *ep);
bool endpoint_connecting(const struct wsc_endpoint *ep);
void endpoint_signal(const struct wsc_endpoint *ep, int signo);
void endpoint_interrupt(const struct wsc_endpoint *ep);
void endpoint_describe(const struct wsc_endpoint *ep);

/* A whole message or control frame (the REPL's lines), sent at once. */
void endpoint_send_message(const struct wsc_endpoint *ep,
	enum wsc_frame kind, const void *data, size_t len);

#endif
