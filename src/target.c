/*
 * target.c - how a client connects (target.h): its TLS settings and its
 * libwebsockets context.
 */
#include "target.h"

#include <stdlib.h>
#include <string.h>

#include "tls.h"

struct tls_ctx *target_tls_new(const struct wsc_opts *o)
{
	struct tls_opts to = { 0 };

	to.ca = o->ca;
	to.cert = o->cert;
	to.key = o->key;
	to.insecure = o->insecure;
	return tls_ctx_new(&to);
}

void target_context_info(struct lws_context_creation_info *info,
		const struct wsc_opts *o)
{
	// Only --proxy chooses a proxy: lws would read http_proxy itself.
	unsetenv("http_proxy");
	unsetenv("https_proxy");

	memset(info, 0, sizeof(*info));
	info->port = CONTEXT_PORT_NO_LISTEN;
	// read the socket in large chunks (lws's default is 4 KiB)
	info->pt_serv_buf_size = 256 * 1024;
	info->fd_limit_per_thread = 64;
	info->timeout_secs = (unsigned)(o->connect_timeout_ms / 1000) + 5;
}
