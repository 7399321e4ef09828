/*
 * dump.h - -D and -v: the handshake as it crossed the wire (trace.h),
 * the verdict on it, rejected responses, and the timing line. Writes to
 * stderr through log.c only.
 */
#ifndef WSC_DUMP_H
#define WSC_DUMP_H

#include <stdbool.h>

struct wsc_trace;

/* Print the recorded request(s) and response(s) so far ("> ", "< "). */
void dump_exchange(const struct wsc_trace *t, bool request, bool response);

/*
 * The verdict after a 101: Accept recomputed from the key sent, the
 * subprotocol offered and chosen, the extensions.
 */
void dump_verdict(const struct wsc_trace *t, const char *offered);

/*
 * For a rejected handshake: the response head and the start of its body
 * (up to 1 KiB), when there was a response. True if anything was shown.
 */
bool dump_rejected(const struct wsc_trace *t);

/* Whether Sec-WebSocket-Accept in the response matches the key sent. */
bool dump_accept_matches(const struct wsc_trace *t, char *expected,
		unsigned size);

/* Whether an HTTP proxy answered our CONNECT with something but 2xx. */
bool dump_proxy_refused(const struct wsc_trace *t);

/* Whether any bytes of the server's own response arrived. */
bool dump_server_answered(const struct wsc_trace *t);

/* The HTTP status of the (last) response, 0 when none arrived. */
int dump_status(const struct wsc_trace *t);

/* The value of a response header by name ("" when absent). */
void dump_response_header(const struct wsc_trace *t, const char *name,
		char *out, unsigned size);

/* -v: DNS, TCP connect, TLS and handshake times in ms. */
void dump_timing(const struct wsc_trace *t);

#endif
