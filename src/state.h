/*
 * state.h - the connection's readyState (CONNECTING 0, OPEN 1, CLOSING 2,
 * CLOSED 3), what moved it, and the exit status that follows from it.
 */
#ifndef WSC_STATE_H
#define WSC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wsc_exit {
	WSC_EXIT_OK = 0,
	WSC_EXIT_FAILURE = 1,
	WSC_EXIT_USAGE = 2,
	WSC_EXIT_PEER_CLOSE = 3,
	WSC_EXIT_EXPECT = 4,    // an -e expectation was not met
	WSC_EXIT_RPC_ERROR = 5, // --rpc: every reply came, some were errors
};

enum wsc_ready {
	WSC_CONNECTING = 0,
	WSC_OPEN = 1,
	WSC_CLOSING = 2,
	WSC_CLOSED = 3,
};

struct wsc_state {
	enum wsc_ready ready;
	bool announced;         // the current state was shown
	bool show;              // -S
	int64_t t0_us;

	bool opened;            // reached OPEN at some point
	bool failed;            // a runtime failure was reported
	bool close_sent;        // our Close went out
	unsigned sent_code;
	bool close_received;    // the server's Close arrived
	unsigned code;          // its code, 1005 when it had none
	char reason[128];
	bool quiet_exit;        // stdout went away: exit 0 without fuss

	// -j: also told of each transition shown
	void (*hook)(void *ctx, enum wsc_ready to, const char *why);
	void *hook_ctx;
};

void state_init(struct wsc_state *s, bool show);

/* A new connection begins (--reconnect): CONNECTING again, close facts
 * forgotten; the start time stays. */
void state_restart(struct wsc_state *s);

/* Move to a new readyState; with -S print it and why (printf format). */
void state_set(struct wsc_state *s, enum wsc_ready to, const char *why_fmt,
		...) __attribute__((format(printf, 3, 4)));

/* "CONNECTING", "OPEN", ... */
const char *state_name(enum wsc_ready r);

/* Name of a close code ("normal closure", ...), "" when unknown. */
const char *state_close_name(unsigned code);

/* The exit status for the way the session ended (the man page's EXIT
 * STATUS table). */
enum wsc_exit state_exit_status(const struct wsc_state *s);

#endif
