/*
 * dump.h - -D and -v: the handshake as it crossed the wire (from wire.c),
 * the verdict on it, rejected responses, and the timing line. Writes to
 * stderr through log.c only.
 */
#ifndef WSC_DUMP_H
#define WSC_DUMP_H

#include <stdbool.h>

/* Print the recorded request(s) and response(s) so far ("> ", "< "). */
void dump_exchange(bool request, bool response);

/*
 * The verdict after a 101: Accept recomputed from the key sent, the
 * subprotocol offered and chosen, the extensions.
 */
void dump_verdict(const char *offered);

/*
 * For a rejected handshake: the response head and the start of its body
 * (up to 1 KiB), when there was a response. True if anything was shown.
 */
bool dump_rejected(void);

/* Whether Sec-WebSocket-Accept in the response matches the key sent. */
bool dump_accept_matches(char *expected, unsigned size);

/* Whether an HTTP proxy answered our CONNECT with something but 2xx. */
bool dump_proxy_refused(void);

/* Whether any bytes of the server's own response arrived. */
bool dump_server_answered(void);

/* The HTTP status of the (last) response, 0 when none arrived. */
int dump_status(void);

/* The value of a response header by name ("" when absent). */
void dump_response_header(const char *name, char *out, unsigned size);

/* -v: DNS, TCP connect, TLS and handshake times in ms. */
void dump_timing(void);

#endif
