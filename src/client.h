/*
 * client.h - the client endpoint: its state (struct wsc_client, the
 * counterpart of the room), the session it runs in, and the calls its
 * parts share: client.c (connecting, --reconnect, sending, the endpoint
 * ops), clientreq.c (the request and -L redirects), clientrx.c (what is
 * received), clientclose.c (the close flow), keepalive.c (Pings) and
 * clientstats.c (--stats: the figures in struct wsc_stats, said at exit).
 */
#ifndef WSC_CLIENT_H
#define WSC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <libwebsockets.h>

#include "clientclose.h"
#include "clientreq.h"
#include "endpoint.h"
#include "keepalive.h"
#include "options.h"
#include "replay.h"
#include "rpc.h"
#include "script.h"
#include "state.h"
#include "stats.h"
#include "wsc.h"

struct wsc_conn;
struct wsc_trace;
struct wsc_mask;
struct tls_ctx;

/*
 * One connection attempt, its redirects included: what it negotiated,
 * how it closes, its Pings, its faults and its timers. A reconnect
 * finishes it and starts a new one from zero.
 */
struct client_attempt {
	unsigned redirects;             // followed so far (-L)
	int redirect_status;            // the last one's HTTP status
	char location[512];             // and its Location
	bool too_many_redirects;
	bool timed_out;                 // --connect-timeout ended it
	char protocol[128];             // the negotiated subprotocol
	char extensions[256];           // the negotiated extensions
	bool rx_skip;           // the message being received is not printed
	bool rx_failed;         // a received message failed the connection
	bool pong_timed_out;            // --ping-timeout ended it
	char dropped[256];      // why the transport ended, when it said
	struct client_closing close;
	struct keepalive ka;
	lws_sorted_usec_list_t sul_connect;  // --connect-timeout
};

struct wsc_client {
	struct wsc *w;          // the session: loop, send queue, output
	const struct wsc_opts *opts;
	struct wsc_input_calls input;   // what it may ask of input
	struct wsc_conn *conn;  // the WebSocket connection (conn.h)
	struct wsc_trace *trace;    // its handshake, byte for byte (trace.h)
	struct wsc_mask *keys;  // masking keys and nonces (mask.h)
	struct tls_ctx *tls;    // wss:// settings (tls.h)
	struct wsc_state st;

	struct client_request rq;   // what it asks for, and where
	struct wsc_script script;   // -x, --send-file, -e
	struct rpc rpc;             // --rpc
	struct wsc_replay replay;   // --replay

	bool tx_open;           // a message's start went out on this connection
	unsigned long long cut; // bytes of a cut message not sent (reconnect)
	unsigned long sent;     // complete messages written
	unsigned long queued;   // complete messages queued (or written)
	unsigned long received; // complete messages
	unsigned reconnects;    // attempts made so far
	struct wsc_stats stats; // the session's figures (--stats)
	int signals;            // SIGINT/SIGTERM seen
	bool flush_scheduled;
	lws_sorted_usec_list_t sul_flush;       // stdout batch flush
	lws_sorted_usec_list_t sul_reconnect;   // --reconnect backoff, -L

	struct client_attempt at;
};

/* Run a whole client session; returns the exit status. */
enum wsc_exit client_run(const struct wsc_opts *opts, int sigfd);

/* --- shared by the client's parts --- */

/* Run cb on sul after ms milliseconds. */
void client_schedule(struct wsc_client *c, lws_sorted_usec_list_t *sul,
		sul_cb_t cb, long ms);

/* Queue a piece of a message (or a control frame), as it is: false when
 * out of memory (said, and failed). Nothing is queued after our Close. */
bool client_queue(struct wsc_client *c, enum wsc_frame kind,
		const void *data, size_t len, bool first, bool last);

/* Queue one whole message or control frame and get it written (a text
 * message through --rpc's pairing). */
void client_send(struct wsc_client *c, enum wsc_frame kind,
		const void *data, size_t len);

/* Write what is queued to the connection (as far as it takes it). */
void client_pump(struct wsc_client *c);

/* The open connection is gone (conn_abort()ed, or its end was told). */
void client_conn_ended(struct wsc_client *c);

#endif
