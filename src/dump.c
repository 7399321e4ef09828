/*
 * dump.c - rendering a connection's trace (trace.h). Request and response
 * heads are shown line by line in the server's own order and spelling,
 * with control characters escaped; what the response means is read from
 * the head httphead.c parsed, the Accept expected from handshake.c.
 * Nothing here touches the connection.
 */
#define _GNU_SOURCE  // memmem
#include "dump.h"

#include <stdio.h>
#include <string.h>

#include "handshake.h"
#include "httphead.h"
#include "log.h"
#include "output.h"
#include "trace.h"

#define BODY_SHOWN 1024

// One head or body line, escaped so it cannot drive the terminal.
static void show_line(const char *mark, const char *p, size_t n)
{
	char esc[6 * (WSC_OUTPUT_ESCAPE_MAX + 4)];
	unsigned char pend[4];
	size_t npend = 0;

	if (n > WSC_OUTPUT_ESCAPE_MAX) {
		n = WSC_OUTPUT_ESCAPE_MAX;
	}
	esc[output_escape((const unsigned char *)p, n, true, pend, &npend,
		esc)] = '\0';
	log_raw("%s%s", mark, esc);
}

// Show one head (lines up to the blank one); returns the bytes it used.
static size_t show_head(const char *mark, const char *p, size_t n)
{
	const char *end = memmem(p, n, "\r\n\r\n", 4);
	size_t len = end ? (size_t)(end - p) + 4 : n;
	const char *q = p, *stop = p + (end ? (size_t)(end - p) : n);

	while (q < stop) {
		const char *eol = memmem(q, (size_t)(stop - q), "\r\n", 2);
		size_t l = eol ? (size_t)(eol - q) : (size_t)(stop - q);

		show_line(mark, q, l);
		q += l + (eol ? 2 : 0);
	}
	if (end) {
		log_raw("%s", mark[0] == '>' ? ">" : "<");
	} else {
		log_raw("%s(incomplete)", mark);
	}
	return len;
}

void dump_exchange(const struct wsc_trace *w, bool request, bool response)
{
	const char *req = w->req + w->req_upgrade;
	const char *resp = w->resp + w->resp_server;

	// a proxy's CONNECT and its answer come first
	if (request && w->req_upgrade) {
		show_head("> ", w->req, w->req_upgrade);
	}
	if (response && w->resp_server) {
		show_head("< ", w->resp, w->resp_server);
	}
	if (request && w->req_len > w->req_upgrade) {
		show_head("> ", req, w->req_len - w->req_upgrade);
	}
	if (response && w->resp_len > w->resp_server) {
		show_head("< ", resp, w->resp_len - w->resp_server);
	}
}

void dump_verdict(const struct wsc_trace *w, const char *offered)
{
	char expected[HANDSHAKE_ACCEPT_LEN + 1];
	const char *got = httphead_get(&w->head, "Sec-WebSocket-Accept");
	const char *proto = httphead_get(&w->head, "Sec-WebSocket-Protocol");
	const char *ext = httphead_get(&w->head, "Sec-WebSocket-Extensions");

	handshake_accept(w->key, expected);
	if (w->http2) {
		// RFC 8441 5: not used over HTTP/2, so a stray one is ignored
		log_raw("* HTTP/2 :status 200: the stream carries the WebSocket "
			"(RFC 8441: no Sec-WebSocket-Accept%s)", got ? "; the "
			"server's is ignored" : "");
	} else if (got && !strcmp(got, expected)) {
		log_raw("* Sec-WebSocket-Accept %s matches the key sent", expected);
	} else {
		log_raw("* Sec-WebSocket-Accept does not match: expected %s",
			expected);
	}
	if (!proto) {
		proto = "";
	}
	if (*offered) {
		log_raw("* subprotocol: offered %s; server chose %s", offered,
			*proto ? proto : "none");
	} else {
		log_raw("* subprotocol: none offered%s%s", *proto ?
			"; server chose " : "", proto);
	}
	log_raw("* extensions: %s", ext && *ext ? ext : "none");
}

bool dump_rejected(const struct wsc_trace *w)
{
	// the proxy's answer when it refused, else the server's
	size_t start = trace_proxy_refused(w) ? 0 : w->resp_server;
	const char *h = w->resp + start;
	size_t n = w->resp_len - start, body;
	const char *end = memmem(h, n, "\r\n\r\n", 4);

	if (!n) {
		return false;
	}
	show_head("< ", h, n);
	if (!end) {
		return true;
	}
	end += 4;   // the body: as much as connhs.c waited for
	body = (size_t)(w->resp + w->resp_len - end);
	if (body) {
		const char *p = end, *stop = end + (body > BODY_SHOWN ?
			BODY_SHOWN : body);

		while (p < stop) {
			const char *eol = memchr(p, '\n', (size_t)(stop - p));
			size_t l = eol ? (size_t)(eol - p) : (size_t)(stop - p);

			show_line("< ", p, l && p[l - 1] == '\r' ? l - 1 : l);
			p += l + (eol ? 1 : 0);
		}
		if (body > BODY_SHOWN) {
			log_raw("< ... (body cut after %d bytes)", BODY_SHOWN);
		}
	}
	return true;
}

static double ms(int64_t a, int64_t b)
{
	return a && b && b >= a ? (double)(b - a) / 1000.0 : 0.0;
}

void dump_timing(const struct wsc_trace *w)
{
	int64_t tcp_end = w->t_tls_start ? w->t_tls_start : w->t_request;
	char tcp[sizeof(w->attempts) + 40];

	// several addresses tried: each, and what came of it
	snprintf(tcp, sizeof(tcp), "tcp %.3f ms%s%s%s", ms(w->t_connect,
		tcp_end), *w->attempts ? " (" : "", w->attempts,
		*w->attempts ? ")" : "");
	if (w->t_tls_start) {
		log_raw("* timing: dns %.3f ms, %s, tls %.3f ms, "
			"handshake %.3f ms", ms(w->t_start, w->t_connect), tcp,
			ms(w->t_tls_start, w->t_tls_done),
			ms(w->t_request, w->t_response));
	} else {
		log_raw("* timing: dns %.3f ms, %s, handshake %.3f ms",
			ms(w->t_start, w->t_connect), tcp,
			ms(w->t_request, w->t_response));
	}
}
