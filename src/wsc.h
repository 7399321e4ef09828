/*
 * wsc.h - struct wsc, the session: the loop, input (stdin, the REPL,
 * /send) and output, and the endpoint input goes to (endpoint.h: the
 * client connection or the room). It lives on client_run()'s (or
 * server_run()'s) stack and reaches lws callbacks as the context user
 * pointer. The room keeps its own state (server.c); the client
 * connection's fields are still here, below the session's.
 */
#ifndef WSC_WSC_H
#define WSC_WSC_H

#include <stdbool.h>

#include <libwebsockets.h>

#include "endpoint.h"
#include "options.h"
#include "output.h"
#include "sendq.h"
#include "split.h"
#include "state.h"

#define WSC_SENDQ_BUDGET (1024 * 1024)  // stdin pauses above this
#define WSC_READ_CHUNK (64 * 1024)      // stdin read size and max fragment

struct wsc_conn;
struct wsc_trace;
struct wsc_mask;
struct tls_ctx;

struct wsc {
	const struct wsc_opts *opts;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct wsc_conn *conn;  // the WebSocket connection (conn.h)
	struct wsc_trace *trace;    // its handshake, byte for byte (trace.h)
	struct wsc_mask *keys;  // masking keys and nonces (mask.h)
	struct tls_ctx *tls;    // wss:// settings (tls.h)
	struct lws *in;         // stdin, adopted as a raw file
	struct lws *sig;        // signalfd, adopted as a raw file

	struct wsc_sendq q;     // stdin -> socket
	struct wsc_split split;
	struct wsc_output out;  // socket -> stdout
	struct wsc_state st;
	struct wsc_endpoint ep; // where input goes: the connection or the room

	struct wsc_file *file;  // /send or /sendbin in progress (sendfile.c)

	bool interactive;       // stdin is a terminal: the readline REPL
	bool repl_started;      // readline installed (terminal to restore)
	bool repl_active;       // taking typed input, prompt on screen
	bool input_done;        // nothing more will be queued from input
	bool in_paused;         // stdin unwatched while the queue is full
	bool closing;           // our Close is queued (or sent)
	unsigned close_code;    // the Close asked for while still connecting
	char close_reason[124];
	bool done;              // leave the loop
	int signals;            // SIGINT/SIGTERM seen

	bool tx_open;           // a message's start went out on this connection
	unsigned long long cut; // bytes of a cut message not sent (reconnect)
	unsigned long sent;             // complete messages written
	unsigned long received;         // complete messages
	char protocol[128];             // the negotiated subprotocol
	char extensions[256];           // the negotiated extensions

	unsigned char ping_data[125];   // our last Ping, to time its Pong
	// end of input: the Ping whose Pong shows the server read it all,
	// then a quiet spell before our Close (see maybe_finish)
	enum { WSC_DRAIN_OFF, WSC_DRAIN_PONG, WSC_DRAIN_QUIET } drain;
	char drain_ping[32];
	size_t drain_ping_len;
	int64_t drain_ping_us;          // that Ping was written
	int64_t drain_pong_us;          // its Pong came
	int64_t last_rx_us;             // last sign of life while closing
	unsigned long long rx_seen;     // wire bytes received at last check
	int drain_unsent;               // SIOCOUTQ at the last check
	size_t ping_len;
	int64_t ping_us;                // 0: no Ping outstanding
	unsigned reconnects;            // attempts made so far
	bool rx_skip;           // the message being received is not printed

	unsigned redirects;
	int redirect_status;
	char location[512];
	bool too_many_redirects;
	bool timed_out;
	bool close_timed_out;
	int close_unsent;       // bytes the server had not read at the last check
	bool pong_timed_out;
	char close_fault[96];   // what was wrong with the server's Close
	bool rx_failed;         // a received message failed the connection
	bool hinted;            // the REPL's how-to-leave line was shown

	struct wsc_url url;     // where we connect now (a redirect changes it)
	char url_text[WSC_URL_PATH_MAX + WSC_URL_HOST_MAX + 16];
	bool follow;            // -L: a redirect to follow was accepted
	char host[WSC_URL_HOST_MAX + 16];   // Host header value
	const char *origin;
	char authorization[1024];

	lws_sorted_usec_list_t sul_connect;  // --connect-timeout
	lws_sorted_usec_list_t sul_close;    // --close-timeout
	lws_sorted_usec_list_t sul_wait;     // --wait
	lws_sorted_usec_list_t sul_drain;    // end of input: Pong, quiet
	lws_sorted_usec_list_t sul_flush;    // stdout batch flush
	lws_sorted_usec_list_t sul_ping;     // --ping-interval
	lws_sorted_usec_list_t sul_pong;     // --ping-timeout
	lws_sorted_usec_list_t sul_reconnect;  // --reconnect backoff
	bool flush_scheduled;
};

/* Set up w for a session whose input goes to the endpoint ops with ctx
 * (false after printing an error); w is zeroed. */
bool wsc_init(struct wsc *w, const struct wsc_opts *opts,
		const struct wsc_endpoint_ops *ops, void *ctx);

/* Free what wsc_init() and the session allocated. */
void wsc_finish(struct wsc *w);

#endif
