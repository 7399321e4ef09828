/*
 * trace.h - what crossed the socket while a client connection was being
 * made, byte for byte, and when: the request(s) wsc wrote (a proxy's
 * CONNECT, then the Upgrade), the response head(s) received (the proxy's
 * answer, then the server's, with the start of a refusal's body), the
 * times of each step and why a step failed; and the server's response
 * head as httphead.h parsed it, the one reading of it that the error
 * line, the redirect decision and -D use.
 *
 * Why: -D shows the exact bytes, -v the timing line, and the error line
 * names the cause; wsc writes and reads these bytes itself (rawconn.h,
 * conn.h), so it records them as it goes, nothing interposed.
 * Over HTTP/2 (--http2) nothing is raw text on the wire: req and resp
 * hold the exchange decoded, one "name: value" line per field (each side's
 * SETTINGS first, as one line), and head is parsed from the response's
 * fields, so every reader below works unchanged.
 * Filled by dial.c (resolve and connect causes, the addresses tried),
 * rawconn.c (the CONNECT exchange, TCP and TLS times, TLS causes), h2.c
 * (the SETTINGS, why HTTP/2 failed) and connhs.c (the Upgrade, the
 * response, parsed and raw); read by dump.c,
 * diagnose.c, events.c, client.c and --check (check.c).
 */
#ifndef WSC_TRACE_H
#define WSC_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "handshake.h"
#include "httphead.h"
#include "tls.h"

#define WSC_TRACE_MAX (32 * 1024)

struct wsc_trace {
	char req[WSC_TRACE_MAX];
	size_t req_len;
	size_t req_upgrade;     // where the Upgrade starts (after a CONNECT)
	char resp[WSC_TRACE_MAX];
	size_t resp_len;
	size_t resp_server;     // where the server's response starts (after
				//   the proxy's complete answer)
	size_t resp_head;       // resp through the server's blank line (0: none)
	int proxy_status;       // the proxy's answer to CONNECT; 0: none
	char key[HANDSHAKE_KEY_LEN + 1];    // the Sec-WebSocket-Key sent
	struct wsc_httphead head;   // the server's response head, parsed

	// monotonic microseconds; 0 when it did not happen
	int64_t t_start;        // connecting began
	int64_t t_connect;      // the name was resolved, connect() called
	int64_t t_tls_start;    // the TLS handshake began (TCP is up)
	int64_t t_tls_done;     // the TLS handshake succeeded
	int64_t t_request;      // the Upgrade request was written
	int64_t t_response;     // the response head was complete

	bool http2;             // the request went over HTTP/2 (RFC 8441)
	char h2_error[256];     // why HTTP/2 could not carry it (h2.h)
	char tls_error[256];    // why the TLS handshake failed
	enum tls_fault tls_fault;       // and what kind of failure that is
	int connect_errno;      // why connect() failed
	char resolve_error[128];  // why the name did not resolve
	char resolve_host[256];   // that name (the proxy's with --proxy)
	// when more than one address was tried: each, and what came of it
	// ("::1 port 80: Connection refused; 127.0.0.1 port 80: connected")
	char attempts[1024];
};

/* Start a new record (also for each redirect hop). */
static inline void trace_reset(struct wsc_trace *t, int64_t now_us)
{
	t->req_len = t->resp_len = t->resp_head = 0;
	t->req_upgrade = t->resp_server = 0;
	t->proxy_status = 0;
	t->key[0] = '\0';
	httphead_init(&t->head, false);
	t->t_connect = t->t_tls_start = t->t_tls_done = 0;
	t->t_request = t->t_response = 0;
	t->tls_error[0] = t->resolve_error[0] = t->attempts[0] = '\0';
	t->h2_error[0] = '\0';
	t->resolve_host[0] = '\0';
	t->connect_errno = 0;
	t->tls_fault = TLS_FAULT_OTHER;
	t->t_start = now_us;
}

/* Whether an HTTP proxy answered our CONNECT with something but 2xx. */
static inline bool trace_proxy_refused(const struct wsc_trace *t)
{
	return t->proxy_status && t->proxy_status / 100 != 2;
}

/* The status of the response that decided the connection: the proxy's
 * when it refused, else the server's (0: no status line arrived). */
static inline int trace_status(const struct wsc_trace *t)
{
	return trace_proxy_refused(t) ? t->proxy_status : t->head.status;
}

/* The status that opens the WebSocket: 101, or 200 over HTTP/2. */
static inline int trace_open_status(const struct wsc_trace *t)
{
	return t->http2 ? 200 : 101;
}

/* Append bytes to one side of the record (cut at WSC_TRACE_MAX). */
static inline void trace_add(char *buf, size_t *len, const void *p, size_t n)
{
	if (n > WSC_TRACE_MAX - *len) {
		n = WSC_TRACE_MAX - *len;
	}
	memcpy(buf + *len, p, n);
	*len += n;
}

#endif
