/*
 * dump.c - rendering a connection's trace (trace.h). Request and response heads are
 * shown line by line in the server's own order and spelling, with control
 * characters escaped; nothing here touches the connection.
 */
#define _GNU_SOURCE  // memmem
#include "dump.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

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
	size_t ri = 0, si = 0;

	// alternate: a proxy's CONNECT and its answer come first
	while ((request && ri < w->req_len) || (response && si < w->resp_len)) {
		if (request && ri < w->req_len) {
			ri += show_head("> ", w->req + ri, w->req_len - ri);
		}
		if (response && si < w->resp_len) {
			const char *s = w->resp + si;
			size_t used = show_head("< ", s, w->resp_len - si);

			si += used;
			if (!strncmp(s, "HTTP/1.1 101", 12) ||
					!strncmp(s, "HTTP/1.0 101", 12)) {
				break;  // what follows is WebSocket frames
			}
			if (strncmp(s, "HTTP/1.1 200", 12) || !request ||
					strncmp(w->req, "CONNECT ", 8)) {
				break;  // only a proxy's 200 is followed by more
			}
		}
	}
}

// Did a proxy accept our CONNECT? Then its answer is not the server's.
static bool proxy_accepted(const struct wsc_trace *w)
{
	return !strncmp(w->req, "CONNECT ", 8) && w->resp_len > 12 &&
		!strncmp(w->resp + 9, "2", 1);
}

// The server's response head: after a proxy's 2xx, what follows it
// (possibly nothing yet); otherwise the response itself.
static const char *last_head(const struct wsc_trace *w, size_t *len)
{
	const char *p = w->resp, *end = w->resp + w->resp_len;

	if (proxy_accepted(w)) {
		const char *e = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);

		p = e ? e + 4 : end;
	}
	*len = (size_t)(end - p);
	return p;
}

static bool find_header(const char *head, size_t n, const char *name,
		char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *q = head, *end = head + n;

	while (q < end) {
		const char *eol = memmem(q, (size_t)(end - q), "\r\n", 2);
		size_t l = eol ? (size_t)(eol - q) : (size_t)(end - q);

		if (!l) {
			break;
		}
		if (l > nl && q[nl] == ':' && !strncasecmp(q, name, nl)) {
			const char *v = q + nl + 1;
			size_t vl;

			while (v < q + l && (*v == ' ' || *v == '\t')) {
				v++;
			}
			vl = (size_t)(q + l - v);
			if (vl >= size) {
				vl = size - 1;
			}
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
		q += l + 2;
	}
	*out = '\0';
	return false;
}

void dump_response_header(const struct wsc_trace *w, const char *name,
		char *out, unsigned size)
{
	size_t n;
	const char *h = last_head(w, &n);

	find_header(h, n, name, out, size);
}

bool dump_proxy_refused(const struct wsc_trace *w)
{
	return !strncmp(w->req, "CONNECT ", 8) && w->resp_len &&
		!proxy_accepted(w);
}

bool dump_server_answered(const struct wsc_trace *w)
{
	size_t n;

	last_head(w, &n);
	return n > 0;
}

int dump_status(const struct wsc_trace *w)
{
	size_t n;
	const char *h = last_head(w, &n);
	int status = 0;

	if (n > 12 && !strncmp(h, "HTTP/1.", 7)) {
		sscanf(h + 9, "%3d", &status);
	}
	return status;
}

bool dump_accept_matches(const struct wsc_trace *w, char *expected,
		unsigned size)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char key[128], got[128], buf[256];
	unsigned char sha[20];
	const char *req = w->req;
	size_t rn = w->req_len;

	// the WebSocket request, after any CONNECT
	if (!strncmp(req, "CONNECT ", 8)) {
		const char *e = memmem(req, rn, "\r\n\r\n", 4);

		if (e) {
			rn -= (size_t)(e + 4 - req);
			req = e + 4;
		}
	}
	if (!find_header(req, rn, "Sec-WebSocket-Key", key, sizeof(key))) {
		snprintf(expected, size, "?");
		return false;
	}
	snprintf(buf, sizeof(buf), "%s%s", key, guid);
	lws_SHA1((const unsigned char *)buf, strlen(buf), sha);
	lws_b64_encode_string((const char *)sha, 20, expected, (int)size);
	dump_response_header(w, "Sec-WebSocket-Accept", got, sizeof(got));
	return !strcmp(got, expected);
}

void dump_verdict(const struct wsc_trace *w, const char *offered)
{
	char expected[64], proto[256], ext[512];

	if (dump_accept_matches(w, expected, sizeof(expected))) {
		log_raw("* Sec-WebSocket-Accept %s matches the key sent", expected);
	} else {
		log_raw("* Sec-WebSocket-Accept does not match: expected %s",
			expected);
	}
	dump_response_header(w, "Sec-WebSocket-Protocol", proto, sizeof(proto));
	if (*offered) {
		log_raw("* subprotocol: offered %s; server chose %s", offered,
			*proto ? proto : "none");
	} else {
		log_raw("* subprotocol: none offered%s%s", *proto ?
			"; server chose " : "", proto);
	}
	dump_response_header(w, "Sec-WebSocket-Extensions", ext, sizeof(ext));
	log_raw("* extensions: %s", *ext ? ext : "none");
}

bool dump_rejected(const struct wsc_trace *w)
{
	size_t n, body;
	const char *h = last_head(w, &n);
	const char *end = memmem(h, n, "\r\n\r\n", 4);

	if (!n) {
		return false;
	}
	show_head("< ", h, n);
	if (!end) {
		return true;
	}
	end += 4;   // the body: as much as conn.c waited for
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
