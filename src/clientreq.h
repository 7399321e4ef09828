/*
 * clientreq.h - what the client asks for, and where: the URL (which -L
 * redirects change), the Host and Origin it sends (the URL's, or those
 * given with -H), the --auth Authorization, and the connection
 * parameters (conn.h) made of them and the options.
 */
#ifndef WSC_CLIENTREQ_H
#define WSC_CLIENTREQ_H

#include <stdbool.h>

#include "conn.h"
#include "options.h"
#include "url.h"

struct tls_ctx;

struct client_request {
	const struct wsc_opts *opts;
	struct wsc_url url;     // where we connect now (a redirect changes it)
	char url_text[WSC_URL_PATH_MAX + WSC_URL_HOST_MAX + 16];
	char host[WSC_URL_HOST_MAX + 16];   // Host header value
	const char *origin;
	char authorization[1024];
};

/* The request of opts' URL. False after saying why. */
bool clientreq_init(struct client_request *r, const struct wsc_opts *opts);

/* Go where a redirect's Location points next. False after saying why
 * (it does not resolve, or it would leave TLS); r is unchanged then. */
bool clientreq_redirect(struct client_request *r, const char *location);

/* The parameters of a connection to where r points now (tls: the wss://
 * settings, used for a wss:// URL only). */
void clientreq_params(const struct client_request *r, struct tls_ctx *tls,
		struct wsc_conn_params *p);

#endif
