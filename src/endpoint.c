/*
 * endpoint.c - the session's calls into its endpoint (endpoint.h).
 */
#include "endpoint.h"

void endpoint_start(const struct wsc_endpoint *ep)
{
	if (ep->ops->start) {
		ep->ops->start(ep->ctx);
	}
}

void endpoint_stop(const struct wsc_endpoint *ep)
{
	if (ep->ops->stop) {
		ep->ops->stop(ep->ctx);
	}
}

bool endpoint_send(const struct wsc_endpoint *ep, enum wsc_frame kind,
	const void *data, size_t len, bool first, bool last)
{
	return ep->ops->send(ep->ctx, kind, data, len, first, last);
}

void endpoint_wake(const struct wsc_endpoint *ep)
{
	ep->ops->wake(ep->ctx);
}

enum wsc_flow endpoint_flow(const struct wsc_endpoint *ep, bool resume)
{
	return ep->ops->flow(ep->ctx, resume);
}

unsigned endpoint_connection(const struct wsc_endpoint *ep)
{
	return ep->ops->connection(ep->ctx);
}

void endpoint_close(const struct wsc_endpoint *ep, unsigned code,
	const char *reason)
{
	ep->ops->close(ep->ctx, code, reason);
}

void endpoint_end_input(const struct wsc_endpoint *ep)
{
	ep->ops->end_input(ep->ctx);
}

bool endpoint_connecting(const struct wsc_endpoint *ep)
{
	return ep->ops->connecting(ep->ctx);
}

void endpoint_signal(const struct wsc_endpoint *ep, int signo)
{
	ep->ops->signal(ep->ctx, signo);
}

void endpoint_interrupt(const struct wsc_endpoint *ep)
{
	if (ep->ops->interrupt) {
		ep->ops->interrupt(ep->ctx);
	} else {
		ep->ops->close(ep->ctx, 1000, "");
	}
}

void endpoint_describe(const struct wsc_endpoint *ep)
{
	ep->ops->describe(ep->ctx);
}

void endpoint_send_message(const struct wsc_endpoint *ep,
	enum wsc_frame kind, const void *data, size_t len)
{
	if (endpoint_send(ep, kind, data, len, true, true)) {
		endpoint_wake(ep);
	}
}
