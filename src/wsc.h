/*
 * wsc.h - struct wsc, the session: the options, the loop, input (stdin,
 * the REPL, /send) and output, and the endpoint input goes to (endpoint.h:
 * the client connection or the room, each with its own state). It lives
 * on client_run()'s (or server_run()'s) stack and reaches lws callbacks
 * as the context user pointer.
 */
#ifndef WSC_WSC_H
#define WSC_WSC_H

#include <stdbool.h>

#include <libwebsockets.h>

#include "endpoint.h"
#include "options.h"
#include "output.h"
#include "replsize.h"
#include "sendq.h"
#include "split.h"

struct wsc_record;

#define WSC_SENDQ_BUDGET (1024 * 1024)  // stdin pauses above this
#define WSC_READ_CHUNK (64 * 1024)      // stdin read size and max fragment

struct wsc {
	const struct wsc_opts *opts;
	struct lws_context *ctx;
	struct lws_vhost *vh;   // where stdin is adopted
	bool done;              // leave the loop

	struct lws *in;         // stdin, adopted as a raw file
	struct lws *sig;        // signalfd, adopted as a raw file
	struct wsc_sendq q;     // stdin -> the client's socket
	struct wsc_split split;
	struct wsc_file *file;  // /send or /sendbin in progress (sendfile.c)
	bool input_done;        // nothing more will be queued from input
	bool in_paused;         // stdin unwatched while the queue is full

	struct wsc_output out;  // socket -> stdout
	struct wsc_record *rec; // --record: the second sink of events, or NULL

	bool interactive;       // stdin is a terminal: the readline REPL
	bool repl_started;      // readline installed (terminal to restore)
	bool repl_active;       // taking typed input, prompt on screen
	bool hinted;            // the REPL's how-to-leave line was shown
	size_t complete_next;   // the REPL's command completion: next to try
	struct replsize rs;     // the REPL's input around a resize's redraw

	struct wsc_endpoint ep; // where input goes: the connection or the room
};

/* Set up w for a session whose input goes to the endpoint ops with ctx
 * (false after printing an error); w is zeroed. *calls is what the
 * endpoint may ask of the session's input. */
bool wsc_init(struct wsc *w, const struct wsc_opts *opts,
		const struct wsc_endpoint_ops *ops, void *ctx,
		struct wsc_input_calls *calls);

/*
 * Run the session: the lws context from info (the endpoint's settings)
 * with the endpoint's protocols (n of them) and the session's own (stdin,
 * signals, the REPL), the endpoint attached, input started (sigfd: the
 * signalfd, -1 for none), the endpoint started, the loop until done; then
 * the endpoint stopped, output flushed, the terminal restored and the
 * context destroyed. False when the loop or its input could not be set up
 * (said why).
 */
bool wsc_run(struct wsc *w, struct lws_context_creation_info *info,
		const struct lws_protocols *own, size_t n, int sigfd);

/* Leave the loop. The poll may be about to sleep with no timer left, so
 * it is woken: lws_service() returns and the loop sees done. */
void wsc_leave(struct wsc *w);

/* Free what wsc_init() and the session allocated. */
void wsc_finish(struct wsc *w);

#endif
