/*
 * dump.h - -D and -v: the handshake as it crossed the wire (trace.h),
 * the verdict on it, rejected responses, and the timing line. Writes to
 * stderr through log.c only. It renders; the facts of the response
 * (status, headers) are read from the trace's parsed head (trace.h).
 */
#ifndef WSC_DUMP_H
#define WSC_DUMP_H

#include <stdbool.h>

struct wsc_trace;

/* Print the recorded request(s) and response(s) so far ("> ", "< "). */
void dump_exchange(const struct wsc_trace *t, bool request, bool response);

/*
 * The verdict after a 101: whether the Accept is the one handshake.c
 * expects for the key sent, the subprotocol offered and chosen, the
 * extensions.
 */
void dump_verdict(const struct wsc_trace *t, const char *offered);

/*
 * For a rejected handshake: the response head and the start of its body
 * (up to 1 KiB), when there was a response. True if anything was shown.
 */
bool dump_rejected(const struct wsc_trace *t);

/* -v: DNS, TCP connect, TLS and handshake times in ms. */
void dump_timing(const struct wsc_trace *t);

#endif
