/*
 * target.h - how a client connects, shared by the session's client
 * (client.c) and --check (check.c), so that both reach a server alike:
 * the TLS settings of --ca, --cert, --key and --insecure, and the
 * libwebsockets context a client runs in (no listening socket, reads in
 * large chunks, a proxy from --proxy only). Where it connects and what it
 * asks for (URL, Host, Origin, Authorization) is clientreq.h's.
 */
#ifndef WSC_TARGET_H
#define WSC_TARGET_H

#include <libwebsockets.h>

#include "options.h"

struct tls_ctx;

/* The TLS settings of the options (the OpenSSL context is built by the
 * first wss:// connection only); NULL when out of memory. */
struct tls_ctx *target_tls_new(const struct wsc_opts *o);

/* A client's context settings into info (cleared first). It also drops
 * http_proxy and https_proxy from the environment: lws would read them. */
void target_context_info(struct lws_context_creation_info *info,
		const struct wsc_opts *o);

#endif
