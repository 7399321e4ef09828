/*
 * clientclose.h - how the client connection ends without losing anything:
 * our Close queued after what is sent (or held while connecting), the
 * end-of-input drain before it, -w, the server's Close answered, the wait
 * for the server to close TCP, and --close-timeout counted as silence.
 */
#ifndef WSC_CLIENTCLOSE_H
#define WSC_CLIENTCLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

struct wsc_client;

/*
 * End of input with no -w and no -n: a Ping after the last message, whose
 * Pong (TCP keeps order) shows the server read it all, then a quiet spell
 * before our Close (clientclose.c says how long).
 */
struct close_drain {
	enum { DRAIN_OFF, DRAIN_PONG, DRAIN_QUIET } stage;
	char ping[32];
	size_t ping_len;
	int64_t ping_us;                // that Ping was written
	int64_t pong_us;                // its Pong came
	int unsent;                     // SIOCOUTQ at the last check
	lws_sorted_usec_list_t sul;
};

/* One connection's closing: its Close, what it heard, its timers. */
struct client_closing {
	bool closing;                   // our Close is queued (or sent)
	unsigned code;                  // the Close asked for while connecting
	char reason[124];
	bool timed_out;                 // --close-timeout ended it
	char fault[96];                 // what was wrong with the server's Close
	int64_t last_rx_us;             // last sign of life while closing
	unsigned long long rx_seen;     // wire bytes received at last check
	int unsent;                     // bytes the server had not read
	struct close_drain drain;
	lws_sorted_usec_list_t sul_close;   // --close-timeout
	lws_sorted_usec_list_t sul_wait;    // --wait
};

/* Queue our Close (code, reason) after what is queued; while connecting,
 * hold it until the connection opens. Input stops. */
void closing_start(struct wsc_client *c, unsigned code, const char *reason);

/* The connection opened: a Close asked for while connecting goes now. */
void closing_opened(struct wsc_client *c);

/* Input is over and all of it went out: close now, later, or never (-w);
 * with neither -w nor an -n still to reach, once the server is done. */
void closing_maybe_finish(struct wsc_client *c);

/* Something arrived: while draining or after our Close, a sign of life. */
void closing_alive(struct wsc_client *c);

/* A Ping went out: true (and timed) when it is the end-of-input one. */
bool closing_drain_sent(struct wsc_client *c, const void *p, size_t n);

/* A Pong came: true when it answers the end-of-input Ping; *rtt_ms its
 * round trip. */
bool closing_drain_pong(struct wsc_client *c, const void *p, size_t n,
		double *rtt_ms);

/* Our Close went to the connection: time the server's answer. */
void closing_sent(struct wsc_client *c);

/* The server's Close and its verdict (message.h): note it, and answer
 * it. */
struct msg_event;
void closing_received(struct wsc_client *c, const struct msg_event *ev);

/* Nothing more to say or hear: end once the server closed TCP. */
void closing_hang_up(struct wsc_client *c);

/* The connection is over: its timers stop. */
void closing_stop(struct wsc_client *c);

#endif
