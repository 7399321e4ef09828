/*
 * clientreq.c - what the client asks for, and where (clientreq.h): the
 * URL and its redirects, Host, Origin and Authorization, and the
 * connection parameters.
 */
#include "clientreq.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "headers.h"
#include "log.h"

static bool is_header(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) && line[n] == ':';
}

// Host: the URL's authority, or the -H Host given; Origin likewise.
static void setup_host(struct client_request *r)
{
	const struct wsc_opts *o = r->opts;

	url_authority(&r->url, r->host, sizeof(r->host), false);
	r->origin = o->origin;
	for (size_t i = 0; i < o->n_headers; i++) {
		const char *h = o->headers[i], *v;

		if (!is_header(h, "Host") && !is_header(h, "Origin")) {
			continue;
		}
		v = strchr(h, ':') + 1;
		while (*v == ' ' || *v == '\t') {
			v++;
		}
		if (is_header(h, "Host")) {
			snprintf(r->host, sizeof(r->host), "%s", v);
		} else {
			r->origin = v;
		}
	}
}

bool clientreq_init(struct client_request *r, const struct wsc_opts *o)
{
	r->opts = o;
	r->url = o->url;
	snprintf(r->url_text, sizeof(r->url_text), "%s", o->url_text);
	setup_host(r);
	if (o->auth_user && !headers_basic_auth(o->auth_user, o->auth_pass,
			r->authorization, sizeof(r->authorization))) {
		log_err("--auth: credentials too long");
		return false;
	}
	return true;
}

bool clientreq_redirect(struct client_request *r, const char *location)
{
	struct wsc_url next;
	const char *why;

	if (!url_resolve(&r->url, location, &next, &why)) {
		log_err("redirect to '%s': %s", location, why);
		return false;
	}
	if (r->url.tls && !next.tls) {
		log_err("redirect from %s to %s refused: it leaves TLS",
			r->url_text, location);
		return false;
	}
	r->url = next;
	url_format(&r->url, r->url_text, sizeof(r->url_text));
	setup_host(r);
	return true;
}

void clientreq_params(const struct client_request *r, struct tls_ctx *tls,
		struct wsc_conn_params *p)
{
	const struct wsc_opts *o = r->opts;

	memset(p, 0, sizeof(*p));
	p->net.host = r->url.host;
	p->net.port = r->url.port;
	p->net.unix_socket = o->unix_socket;
	p->net.proxy = o->proxy;
	p->net.tls = r->url.tls ? tls : NULL;
	p->net.tls_host = r->host;
	p->rq.host = r->url.host;
	p->rq.port = (unsigned)r->url.port;
	p->rq.tls = r->url.tls;
	p->rq.path = r->url.path;
	p->rq.origin = r->origin;
	p->rq.protocols = *o->protocols ? o->protocols : NULL;
	p->rq.authorization = *r->authorization ? r->authorization : NULL;
	p->rq.headers = o->headers;
	p->rq.n_headers = o->n_headers;
	p->deflate = o->deflate;
	p->http2 = o->http2;
	p->max_size = o->max_size;
}
