/*
 * checkrun.h - the runner of wsc --check: one case (checkcase.h) on its
 * own connection (rawconn.h), or with --http2 on the one stream of its
 * own HTTP/2 connection (h2.h). It writes the Upgrade request, or the
 * extended CONNECT (handshake.h; edited for the handshake cases), then the frames the case's kind
 * prepares, valid or deliberately broken (frame.h), and feeds what comes
 * back to a client-role message reader (message.h). The kind's judge sees
 * each observation (the response head, a message, a Ping, Pong or Close,
 * an invalid frame, the end of the connection, CHECK_CASE_LIMIT_MS of
 * silence) and gives the verdict.
 *
 * The functions below are what the kinds (checkkinds.c) use: the frames
 * they send, what they expect back, their verdict.
 */
#ifndef WSC_CHECKRUN_H
#define WSC_CHECKRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "checkcase.h"
#include "clientreq.h"
#include "deflate.h"
#include "handshake.h"
#include "mask.h"
#include "message.h"
#include "report.h"

#define CHECK_CASE_LIMIT_MS 5000

enum obs_type { O_HEAD, O_MSG, O_PING, O_PONG, O_CLOSE, O_ERROR, O_END,
	O_TIMEOUT };

struct obs {
	enum obs_type type;
	unsigned opcode;
	unsigned code;          // a Close's code; for O_MSG: 1 if compressed
	const unsigned char *data;
	size_t len;
	const char *why;
};

/* What every case shares: where to connect, the loop, the keys. */
struct checker {
	const struct wsc_opts *opts;
	struct client_request rq;       // URL, Host, Origin, Authorization
	struct lws_context *ctx;
	struct tls_ctx *tls;
	struct wsc_mask mask;
	struct wsc_httphead *head;      // each case's response: the trace's
	int conn_failures;              // in a row
	int mute_cases;                 // in a row: timed out, no byte read
	bool echo_tried;                // a case that needs an echo ran
	bool no_echo;                   // ... and none came: those are not run
	char last_fail[300];
	// the first case's connection: the causes of a failure to make it
	struct wsc_trace *trace;
};

struct expect {
	unsigned op;
	unsigned char *data;
	size_t len;
};

/* One case being run. */
struct run {
	struct checker *k;
	const struct ccase *cs;
	struct rawconn *rc;             // the connection, or with --http2
	struct h2 *h2;                  // the extended CONNECT's stream
	unsigned ends;                  // how that stream ended (h2_ends())
	bool sent, early;               // the CONNECT went; before SETTINGS
	bool opened, head_done, done;
	bool heard;                     // a byte came from the server
	bool silence;                   // ended by CHECK_CASE_LIMIT_MS of it
	unsigned messages;              // messages that came back
	bool first;                     // the first case: k->trace records it
	int64_t t0;
	char key[HANDSHAKE_KEY_LEN + 1];
	char req[8192];
	size_t req_len;
	char offer[HANDSHAKE_EXT_MAX];
	struct msg_reader in;           // what comes back, as messages
	struct wsc_buf tx;              // frames to send, sent up to tx_off
	size_t tx_off;
	struct wsc_buf msg;             // the message being received, its
					// first 2 MiB (what judges compare)
	uint64_t msg_total;
	unsigned msg_op;
	bool msg_rsv1, nostore;
	// what the judge waits for
	struct expect exp[4];
	size_t nexp, got;
	bool need_pong, got_pong;
	unsigned char *pong;
	size_t pong_len;
	// permessage-deflate
	struct deflate_config dcfg;
	bool deflated;
	struct deflate_params dp;
	struct deflate_tx *def;
	// the info cases
	int iter, sent_n;
	int64_t t_sent;
	unsigned char *block;           // the message sent again and again
	double samples[CHECK_RTT_N];
	// the verdict
	enum check_verdict v;
	char observed[700];
};

/* Run one case to its verdict (in the run returned; NULL: out of
 * memory). first: the first case, whose connection k->trace records. */
struct run *run_case(struct checker *k, const struct ccase *cs, bool first);

void run_free(struct run *r);

/* The verdict (the first one counts); the connection is closed. */
void verdict(struct run *r, enum check_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One frame, b0 as given (FIN, RSV bits, opcode), masked unless !masked;
 * any length, control or not. Queued: pump() sends. */
void put_frame(struct run *r, unsigned b0, const void *data, size_t len,
		bool masked);
void put_close(struct run *r, unsigned code, const char *reason,
		size_t rlen);
/* A message in frames of frag bytes (0: one frame). */
void put_message(struct run *r, unsigned op, const unsigned char *p,
		size_t len, size_t frag);
/* A compressed message, one frame with RSV1; false if it failed. */
bool put_deflated(struct run *r, unsigned op, const unsigned char *p,
		size_t len);
/* Send what is queued, as far as the connection takes it. */
void pump(struct run *r);
/* The status that opens the WebSocket: 101, or 200 with --http2. */
int open_status(const struct run *r);
/* Bytes queued and not yet taken by the connection. */
size_t tx_pending(const struct run *r);

/* Observations every judge treats alike: an invalid frame, the end,
 * silence; true when o was one (the verdict is given, naming waiting:
 * what the case was still waiting for). */
bool common(struct run *r, const struct obs *o, const char *waiting);

/* "text", "binary". */
const char *op_name(unsigned op);

/* The subprotocols offered by the case that offers some: -s's, or two
 * of its own. */
const char *offered_protocols(const struct wsc_opts *o);

/* The test payload of len bytes (letters for text); the caller frees. */
unsigned char *payload(unsigned op, size_t len);
/* An echo of data expected next (r owns data then). */
void expect_msg(struct run *r, unsigned op, unsigned char *data,
		size_t len);

#endif
