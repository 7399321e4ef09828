/*
 * wsc.c - setting up and tearing down struct wsc, shared by the client
 * and the server: state, send queue, input splitter, output, lws logging.
 */
#include "wsc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sendfile.h"

static void lws_log_sink(int level, const char *line)
{
	(void)level;
	(void)line;
}

bool wsc_init(struct wsc *w, const struct wsc_opts *opts,
		const struct wsc_endpoint_ops *ops, void *ctx)
{
	const char *d = getenv("WSC_LWS_DEBUG");
	const bool debug = d && *d && strcmp(d, "0");

	memset(w, 0, sizeof(*w));
	w->opts = opts;
	w->ep.ops = ops;
	w->ep.ctx = ctx;
	state_init(&w->st, opts->show_state);
	sendq_init(&w->q, WSC_SENDQ_BUDGET, 0);
	w->interactive = isatty(STDIN_FILENO) && !opts->n_execute;
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
