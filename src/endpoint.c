/*
 * endpoint.c - the session's calls into its endpoint (endpoint.h).
 */
#include "endpoint.h"

#include "wsc.h"

bool endpoint_send(struct wsc *w, enum wsc_frame kind, const void *data,
	size_t len, bool first, bool last)
{
	return w->ep.ops->send(w->ep.ctx, kind, data, len, first, last);
}

void endpoint_wake(struct wsc *w)
{
	w->ep.ops->wake(w->ep.ctx);
}

enum wsc_flow endpoint_flow(struct wsc *w, bool resume)
{
	return w->ep.ops->flow(w->ep.ctx, resume);
}

unsigned endpoint_connection(struct wsc *w)
{
	return w->ep.ops->connection(w->ep.ctx);
}

void endpoint_close(struct wsc *w, unsigned code, const char *reason)
{
	w->ep.ops->close(w->ep.ctx, code, reason);
}

void endpoint_end_input(struct wsc *w)
{
	w->ep.ops->end_input(w->ep.ctx);
}

void endpoint_signal(struct wsc *w, int signo)
{
	w->ep.ops->signal(w->ep.ctx, signo);
}

void endpoint_describe(struct wsc *w)
{
	w->ep.ops->describe(w->ep.ctx);
}

void endpoint_send_message(struct wsc *w, enum wsc_frame kind,
	const void *data, size_t len)
{
	if (endpoint_send(w, kind, data, len, true, true)) {
		endpoint_wake(w);
	}
}
