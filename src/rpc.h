/*
 * rpc.h - --rpc: JSON-RPC requests paired with their replies. Each text
 * message the client sends that is a JSON object with a "method" member
 * is a request: one without an "id" gets one (counting up from 1,
 * inserted right after its '{' so every byte the user wrote stays as it
 * was). A received JSON object whose "id" equals an outstanding request's
 * (as JSON values: jsonpath.h) is its reply: its round trip is said on
 * stderr (or, with -j, as fields of its message event), one with an
 * "error" member is said and counted. A reply that does not come within
 * --expect-timeout of its request being written ends the run (exit 4);
 * at the end of input the client waits for every outstanding reply, then
 * closes.
 *
 * Bounded: at most RPC_WINDOW requests are outstanding before input
 * pauses (one read of input may overshoot it, as the send queue's budget
 * is); a message is read for its id up to RPC_MSG_MAX bytes.
 */
#ifndef WSC_RPC_H
#define WSC_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "buf.h"
#include "options.h"
#include "sendq.h"

#define RPC_WINDOW 1024             // outstanding requests: input pauses
#define RPC_MSG_MAX (16 * 1024 * 1024)
#define RPC_ID_MAX 64               // a longer id of the user's: unpaired
#define RPC_METHOD_SHOW 48          // bytes of a method name shown

struct wsc_client;

struct rpc_request {
	char id[RPC_ID_MAX];        // the id's JSON text
	size_t id_len;
	char method[RPC_METHOD_SHOW + 4];   // shown: its start, on one line
	unsigned long seq;          // the client's message number (sent after)
	int64_t sent_us;            // written to the connection; 0: not yet
	bool answered;
};

/* A reply, as the client learns it: what its line, its -j fields and
 * --stats take. */
struct rpc_reply {
	const char *id;             // the request's id, JSON text
	size_t id_len;
	const char *method;
	int64_t rtt_us;             // written to answered
	double rtt_ms;              // the same, for the line and -j
	bool error;                 // it has an "error" member
	const char *error_text;     // that member's JSON text (its start)
	size_t error_len;
};

struct rpc {
	bool on;
	long timeout_ms;            // --expect-timeout
	unsigned long long next_id;
	struct rpc_request *req;    // in the order written: [head, n)
	size_t head, n, cap;
	size_t unstamped;           // the first not yet written
	size_t open;                // of them not answered
	unsigned long requests, replies, errors;
	bool lost;                  // a reply did not come: exit 4
	bool id_too_long_said;
	struct wsc_buf tx;          // a message of several pieces, gathered
	bool tx_passing;            // too long to gather: its rest goes as is
	struct wsc_buf out;         // a request with its id inserted
	struct wsc_buf rx;          // the text message being received
	struct wsc_buf said;        // reply lines held for the stdout batch
	bool rx_on;                 // it is gathered (text, not too long)
	unsigned long long rx_read; // the connection's bytes at that read
	int64_t rx_read_us;         // and when it was handled
	lws_sorted_usec_list_t sul; // the oldest request's deadline
};

/* Set up from the options (off without --rpc). */
void rpc_init(struct rpc *r, const struct wsc_opts *opts);
void rpc_finish(struct rpc *r);

/* A piece of an outgoing message: through the pairing to the client's
 * queue (client_queue()). False as client_queue() is. */
bool rpc_send(struct wsc_client *c, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last);

/* The client wrote its messages up to number sent - 1: time the requests
 * among them. */
void rpc_written(struct wsc_client *c);

/* Whether input must wait (resume: whether it may go on again). */
bool rpc_full(const struct rpc *r, bool resume);

/* Replies are still awaited: the close waits for them. */
static inline bool rpc_waiting(const struct rpc *r)
{
	return r->open > 0;
}

/* A received message begins, goes on, ends: true at its end when it is
 * a reply, described in *rep (valid until the next message). */
void rpc_rx_begin(struct wsc_client *c, bool binary);
void rpc_rx_data(struct wsc_client *c, const void *p, size_t n);
bool rpc_rx_end(struct wsc_client *c, struct rpc_reply *rep);

/* The -j fields of a reply's message event: ,"id":..,"rtt_ms":.. */
void rpc_fields(const struct rpc_reply *rep, char *out, size_t size);

/* The reply is printed: its line (held with the stdout batch it follows:
 * log_hold()), input may go on, maybe the end. */
void rpc_replied(struct wsc_client *c, const struct rpc_reply *rep);

/* The connection is over: replies still awaited did not come. */
void rpc_conn_over(struct wsc_client *c);

/* The run is over: how many replies were errors, in one line. */
void rpc_summary(const struct rpc *r);

#endif
