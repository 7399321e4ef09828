/*
 * wsc.c - the session's life, shared by the client and the server:
 * setting up struct wsc (send queue, input splitter, output, lws logging),
 * the loop with its input, and tearing it down.
 */
#include "wsc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "input.h"
#include "log.h"
#include "repl.h"
#include "sendfile.h"

#define OWN_PROTOCOLS_MAX 4     // the endpoint's, besides the session's

static void lws_log_sink(int level, const char *line)
{
	(void)level;
	(void)line;
}

/* --- what an endpoint may ask of input (endpoint.h) --- */

static void call_stop(void *ctx)
{
	input_stop(ctx);
}

static void call_resume(void *ctx)
{
	input_resume(ctx);
}

static void call_opened(void *ctx)
{
	repl_opened(ctx);
}

bool wsc_init(struct wsc *w, const struct wsc_opts *opts,
		const struct wsc_endpoint_ops *ops, void *ctx,
		struct wsc_input_calls *calls)
{
	const char *d = getenv("WSC_LWS_DEBUG");
	const bool debug = d && *d && strcmp(d, "0");

	memset(w, 0, sizeof(*w));
	w->opts = opts;
	w->ep.ops = ops;
	w->ep.ctx = ctx;
	*calls = (struct wsc_input_calls){ w, call_stop, call_resume,
		call_opened };
	sendq_init(&w->q, WSC_SENDQ_BUDGET);
	w->interactive = isatty(STDIN_FILENO) && !opts->n_steps &&
		!opts->replay;
	output_init(&w->out, STDOUT_FILENO, isatty(STDOUT_FILENO), opts->delim,
		opts->timestamps, opts->color_out);
	w->out.pretty = opts->pretty;
	if (opts->jsonl) {
		output_set_jsonl(&w->out);
	}
	// libwebsockets logs only when asked: WSC_LWS_DEBUG
	lws_set_log_level(debug ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO |
		LLL_CLIENT : 0, debug ? NULL : lws_log_sink);
	// one byte more than a frame: a 64 KiB line and its newline fit
	if (!split_init(&w->split, opts->delim, WSC_READ_CHUNK + 1)) {
		log_err("out of memory");
		return false;
	}
	return true;
}

bool wsc_run(struct wsc *w, struct lws_context_creation_info *info,
		const struct lws_protocols *own, size_t n, int sigfd)
{
	struct lws_protocols protocols[OWN_PROTOCOLS_MAX + 4];
	struct lws_vhost *vh;
	bool ok = false;

	if (n > OWN_PROTOCOLS_MAX) {
		log_err("too many protocols");
		return false;
	}
	memcpy(protocols, own, n * sizeof(*own));
	protocols[n++] = input_protocol_stdin;
	protocols[n++] = input_protocol_signal;
	protocols[n++] = repl_protocol;
	protocols[n] = (struct lws_protocols){ NULL, NULL, 0, 0, 0, NULL, 0 };
	info->protocols = protocols;
	info->user = w;

	w->ctx = lws_create_context(info);
	if (!w->ctx) {
		log_err("cannot create the libwebsockets context");
		return false;
	}
	vh = w->ep.ops->attach(w->ep.ctx, w->ctx, info);
	if (vh) {
		events_init(w);
		ok = input_start(w, vh, sigfd);
	}
	if (ok) {
		endpoint_start(&w->ep);
		while (!w->done) {
			if (lws_service(w->ctx, 0) < 0) {
				break;
			}
		}
	}
	if (vh) {
		endpoint_stop(&w->ep);
		output_flush(&w->out);
		repl_finish(w);
	}
	lws_context_destroy(w->ctx);
	w->ctx = NULL;
	return ok;
}

void wsc_leave(struct wsc *w)
{
	w->done = true;
	if (w->ctx) {
		lws_cancel_service(w->ctx);
	}
}

void wsc_finish(struct wsc *w)
{
	if (!w) {
		return;
	}
	sendq_finish(&w->q);
	split_finish(&w->split);
	output_finish(&w->out);
	sendfile_stop(w);
}
