/*
 * server.c - the --listen mode, on libwebsockets' raw listening sockets
 * with wsc's own codec: lws accepts and polls, wsc reads the
 * request head (httphead.h), answers it (handshake.h: a 101, the chat
 * page, a 404 or a refusal with its reason), decodes client frames
 * (frame.h, server role: masked frames only, UTF-8 checked, Pings
 * answered) and writes its frames itself with sendmsg() from each client's
 * bounded queue, never through lws_write() (which copies without bound and
 * stops reads while it drains).
 *
 * Each connection is a struct wsc_peer; one that completed the handshake
 * joins the room (struct room, the session's endpoint: endpoint.h). A
 * message from one is printed and relayed to the others (or echoed with
 * --echo); input goes to all. A message is held once for all its
 * recipients (roommsg.h, each client's queue: roomq.h), and everything
 * the room holds counts against one memory budget (roombudget.h): the
 * room stops reading while half of it waits in queues. A client that does
 * not take what is queued for it in time is dropped with 1008
 * (roomfair.h), and is not read while more than its allowance is queued;
 * one that leaves a message unfinished too long is closed with 1008 too.
 * Whenever the room closes a client after our Close, it shuts its write
 * side and reads until the client's FIN (or silence), so that nothing
 * unread turns the close into a reset that loses the Close.
 *
 * permessage-deflate (deflate.h), with --deflate, when a client offers it:
 * the room answers server_no_context_takeover, so what it sends does not
 * depend on a client's history and one compressor per window size (not
 * one per client: ~320 KiB each) compresses a relayed message once for
 * all (roomz.h). Each compressing client gets its own inflater (message.h:
 * ~100 KiB, made at its first compressed message, kept while it takes its
 * context over, freed after each message with client_no_context_takeover);
 * --max-size judges the inflated size.
 *
 * Admission (admit.h): at most max_clients connections, with spare
 * descriptors to answer newcomers 503 and the open file limit set to match
 * (so lws never fails an accept); browser pages from the room's own origin
 * only (403); clients silent for --idle-timeout pinged, then closed; lines
 * about single connections within a budget (linebudget.h).
 */
#include "server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "buf.h"
#include "chatpage.h"
#include "deflate.h"
#include "frame.h"
#include "handshake.h"
#include "httphead.h"
#include "jsonl.h"
#include "linebudget.h"
#include "log.h"
#include "message.h"
#include "roombudget.h"
#include "roomfair.h"
#include "roommsg.h"
#include "roomq.h"
#include "roomrx.h"
#include "roomz.h"
#include "wsc.h"

#define PEER_MESSAGE_MAX (16 * 1024 * 1024)  // default largest message
#define PEER_UNFINISHED_SECS 10         // silence inside a message
#define LISTEN_MAX 8                    // addresses one host name may give
#define HEAD_MAX 4096                   // largest request head taken
#define HEAD_SECS 10                    // to send the request head
#define CLOSE_ACK_SECS 5                // silence: our Close out, theirs in
#define LINGER_SECS 2                   // silence: for the client's FIN
#define LINGER_MAX_SECS 30              // in all: for the client's FIN
#define IOV_MAX_FRAMES 64               // frames per sendmsg()
#define USEC 1000000

enum peer_state {
	PEER_HEAD,              // reading the request head
	PEER_ANSWER,            // writing an HTTP answer, then linger
	PEER_OPEN,              // a WebSocket: a member of the room
	PEER_LINGER,            // all written, write side shut: wait for EOF
};

struct wsc_peer {
	struct wsc_peer *next;  // in the room's peers (joined ones only)
	struct lws *wsi;
	int fd;
	enum peer_state state;
	unsigned id;            // 0 until joined
	char addr[64];
	struct wsc_httphead *head;
	size_t head_bytes;      // request bytes received so far
	char *raw;              // bytes to write before any frame
	size_t raw_len, raw_off;
	struct roomq q;
	struct roomfair fair;
	struct msg_reader in;   // its frames, folded into messages
	bool kill;              // too slow: closed with 1008
	bool unread;            // not read: more than its allowance behind
	bool closing;           // our Close is queued: nothing more after it
	bool close_sent;        // our Close is written
	bool close_got;         // the client's Close arrived (or it failed)
	struct roomrx rx;       // the message being received
	uint64_t max;           // --max-size (inflated, when compressed)
	bool pmd;               // permessage-deflate agreed
	struct deflate_params pmdp;
	bool counted;           // one of the room's max_clients connections
	bool surplus;           // over them: answered 503 (one of the spare)
	bool heard;             // bytes came since the last idle tick
	unsigned quiet;         // idle ticks without a byte from it
	lws_usec_t rx_at;       // its last bytes came then
	lws_usec_t tx_at;       // it last took bytes then (or we began closing)
	lws_usec_t close_at;    // our Close was written then
	lws_usec_t linger_at;   // we shut our write side then
	lws_sorted_usec_list_t sul; // its next deadline (peer_deadlines())
	lws_usec_t sul_at;      // when that is, 0: none
};

/*
 * The room: the endpoint the session's input goes to (endpoint.h), and
 * its clients. The session (loop, input, output) is reached through w.
 */
struct room {
	struct wsc *w;
	struct wsc_input_calls input;   // what it may ask of input
	const struct wsc_opts *opts;
	struct wsc_peer *peers; // joined clients, newest first
	unsigned next_id;
	unsigned long received; // messages from clients
	bool hold_input;        // memory is short: input and clients wait
	struct roombudget budget;
	struct roomz z;         // compresses each relayed message once
	bool closing;           // our Closes are queued: leave once all left
	char *page;             // chatpage_render(): offers our subprotocols
	size_t page_len;
	struct wsc_buf in_msg;  // an input line being assembled
	bool in_dropped;        // it grew past --max-size: the rest is skipped
	lws_sorted_usec_list_t sul_close;   // --close-timeout
	char host[128];         // the HOST of --listen, for the Origin rule
	int port;               // and its PORT
	struct admit_limits lim;
	unsigned long conns;    // connections counted against max_clients
	unsigned long surplus;  // connections being answered 503
	unsigned long turned_away;  // newcomers answered 503 while full
	bool full;              // the full-room line is printed
	struct linebudget lines;    // joins, leaves and refusals printed
	unsigned long hidden[3];    // those not printed: summed up later
	lws_sorted_usec_list_t sul_lines;
	lws_sorted_usec_list_t sul_idle;    // --idle-timeout ticks
	bool idle_armed;
};

// The largest message: --max-size, else the room's default.
static unsigned long long room_max(const struct room *r)
{
	return r->opts->max_size ? r->opts->max_size : PEER_MESSAGE_MAX;
}

static struct room *ctx_room(struct lws *wsi)
{
	struct wsc *w = lws_context_user(lws_get_context(wsi));

	return w->ep.ctx;
}

static void leave_when_empty(struct room *r)
{
	if (r->closing && !r->peers) {
		r->w->done = true;
		lws_cancel_service(r->w->ctx);
	}
}

static void peer_address(struct lws *wsi, char *addr, size_t size)
{
	lws_get_peer_simple(wsi, addr, size);
	if (!strncmp(addr, "::ffff:", 7)) {
		// an IPv4 client of a dual-stack socket
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
	}
}

/* --- lines about single connections: within a budget (linebudget.h) --- */

enum room_line { LINE_JOIN, LINE_LEAVE, LINE_REFUSAL };

static void lines_summary_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_lines);
	const unsigned long *h = r->hidden;

	log_info("not shown (over %d such lines a second): %lu join%s, %lu "
		"leave%s, %lu refusal%s", LINEBUDGET_RATE, h[LINE_JOIN],
		h[LINE_JOIN] == 1 ? "" : "s", h[LINE_LEAVE],
		h[LINE_LEAVE] == 1 ? "" : "s", h[LINE_REFUSAL],
		h[LINE_REFUSAL] == 1 ? "" : "s");
	memset(r->hidden, 0, sizeof(r->hidden));
}

/* May a line about one connection print now? If not, it is counted and
 * the count printed a second after the first one held back. */
static bool room_line(struct room *r, enum room_line kind)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (linebudget_take(&r->lines, (long long)ts.tv_sec * 1000 +
			ts.tv_nsec / 1000000)) {
		return true;
	}
	if (!r->hidden[LINE_JOIN] && !r->hidden[LINE_LEAVE] &&
			!r->hidden[LINE_REFUSAL]) {
		lws_sul_schedule(r->w->ctx, 0, &r->sul_lines, lines_summary_cb,
			LWS_US_PER_SEC);
	}
	r->hidden[kind]++;
	return false;
}

static void refused(struct room *r, const char *addr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refused(struct room *r, const char *addr, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (!room_line(r, LINE_REFUSAL)) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_info("refused a client from %s: %s", *addr ? addr : "?", why);
}

/* --- flow control and deadlines --- */

static void peer_arm(struct room *r, struct wsc_peer *p, lws_usec_t at);

/*
 * Stop reading stdin and every client while the memory held for relay is
 * past half the budget, resume below a quarter: a burst waits instead of
 * growing without end. Readers that are merely slower are waited for;
 * one that stays behind is dropped (peer_deadlines()), which frees what
 * only it still needed.
 */
static void update_flow(struct room *r)
{
	bool hold = roombudget_pause(&r->budget, r->hold_input);
	lws_usec_t now = lws_now_usecs();

	if (hold == r->hold_input) {
		return;
	}
	r->hold_input = hold;
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		if (p->state == PEER_OPEN && !p->close_got && !p->unread) {
			lws_rx_flow_control(p->wsi, hold ? 0 : 1);
		}
		if (!hold) {
			p->rx_at = now;     // the room made them wait, not silent
			if (p->rx.msg) {
				peer_arm(r, p, now +
					(lws_usec_t)PEER_UNFINISHED_SECS * USEC);
			}
		}
	}
	if (!hold) {
		r->input.resume(r->input.ctx);
	}
}

/*
 * A client more than its allowance behind is not read until it is back
 * under half of it: what it sends (its Pings, say) would only queue more
 * for it. Only its own reads wait; a closing client is read (and what it
 * sends dropped) until it closes.
 */
static void peer_reads(struct room *r, struct wsc_peer *p)
{
	bool unread = p->state == PEER_OPEN && !p->closing &&
		(p->unread ? p->q.backlog > ROOMFAIR_ALLOWANCE / 2 :
		p->q.backlog > ROOMFAIR_ALLOWANCE);

	if (unread == p->unread) {
		return;
	}
	p->unread = unread;
	if (!unread) {
		p->rx_at = lws_now_usecs();     // we made it wait, not silent
		if (p->rx.msg) {
			peer_arm(r, p, p->rx_at +
				(lws_usec_t)PEER_UNFINISHED_SECS * USEC);
		}
	}
	if (!r->hold_input && !p->close_got) {
		lws_rx_flow_control(p->wsi, unread ? 0 : 1);
	}
}

static void deadline_cb(lws_sorted_usec_list_t *sul);
static int peer_flush(struct room *r, struct wsc_peer *p);

/* Have peer_deadlines() run at `at` (usec) or before. */
static void peer_arm(struct room *r, struct wsc_peer *p, lws_usec_t at)
{
	lws_usec_t now = lws_now_usecs();

	if (!at || (p->sul_at && p->sul_at <= at)) {
		return;
	}
	p->sul_at = at;
	lws_sul_schedule(r->w->ctx, 0, &p->sul, deadline_cb,
		at > now ? at - now : 1);
}

/* --- sending to clients --- */

/*
 * Queue our Close (code 0: none) after what is queued; with drop, the data
 * frames not yet begun go first (a client that failed or is too slow).
 */
static void peer_close(struct room *r, struct wsc_peer *p, unsigned code,
		const char *reason, bool drop)
{
	unsigned char pl[FRAME_CONTROL_MAX];
	size_t n = 0, rlen = reason ? strlen(reason) : 0;
	struct roommsg *m;

	if (p->closing) {
		return;
	}
	p->closing = true;
	peer_reads(r, p);
	p->tx_at = lws_now_usecs();
	if (drop) {
		roomq_discard(&p->q);
	}
	if (code) {
		pl[n++] = (unsigned char)(code >> 8);
		pl[n++] = (unsigned char)code;
		rlen = rlen < sizeof(pl) - n ? rlen : sizeof(pl) - n;
		if (rlen) {
			memcpy(pl + n, reason, rlen);
		}
		n += rlen;
	}
	m = roommsg_make(&r->budget, FRAME_FIN | FRAME_CLOSE, pl, n);
	if (!m || !roomq_push(&p->q, m)) {
		p->close_sent = p->close_got = true;    // no memory: just end
	}
	if (m) {
		roommsg_unref(m);
	}
	peer_arm(r, p, p->tx_at + CLOSE_ACK_SECS * USEC);
	update_flow(r);
	lws_callback_on_writable(p->wsi);
}

/* A client that failed: nothing more is read from it; our Close follows
 * what is queued for it (or, when it is already closing, ends that). */
static void peer_fail(struct room *r, struct wsc_peer *p, unsigned code,
		const char *reason)
{
	p->close_got = true;
	roomrx_abort(&p->rx);
	if (p->closing) {
		lws_callback_on_writable(p->wsi);
	} else {
		peer_close(r, p, code, reason, true);
	}
}

static void peer_push(struct room *r, struct wsc_peer *p, struct roommsg *m)
{
	unsigned op = roommsg_opcode(m);

	if (p->kill || p->closing) {
		return;
	}
	if (p->pmd && (op == FRAME_TEXT || op == FRAME_BINARY)) {
		struct roommsg *z = roomz_get(&r->z, &p->pmdp, m);

		m = z ? z : m;
	}
	if (!roomq_push(&p->q, m)) {
		p->kill = true;
		log_err("client #%u: out of memory", p->id);
		peer_close(r, p, 1011, "out of memory", true);
		return;
	}
	roomfair_queued(&p->fair, p->q.backlog, lws_now_usecs());
	peer_arm(r, p, roomfair_deadline(&p->fair));
	peer_reads(r, p);
	lws_callback_on_writable(p->wsi);
}

/* m to the room: every client but from, or with --echo to from alone
 * (from NULL: input, to everyone). */
static void broadcast(struct room *r, struct wsc_peer *from,
		struct roommsg *m)
{
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		if (!from || (r->opts->echo ? p == from : p != from)) {
			peer_push(r, p, m);
		}
	}
	roomz_reset(&r->z);     // queues hold what they need of it
	update_flow(r);
}

/* --- the endpoint: input, /close, signals, /status --- */

static unsigned opcode_of(enum wsc_frame kind)
{
	switch (kind) {
	case WSC_FRAME_TEXT: return FRAME_TEXT;
	case WSC_FRAME_BINARY: return FRAME_BINARY;
	case WSC_FRAME_PING: return FRAME_PING;
	case WSC_FRAME_PONG: return FRAME_PONG;
	case WSC_FRAME_CLOSE: return FRAME_CLOSE;
	}
	return FRAME_BINARY;
}

// A piece of an input line or a REPL message: to every client.
static bool room_send(void *ctx, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	struct room *r = ctx;
	struct roommsg *m;

	if (kind == WSC_FRAME_PING || kind == WSC_FRAME_PONG) {
		m = roommsg_make(&r->budget, FRAME_FIN | opcode_of(kind), data,
			len);
		if (!m) {
			log_err("out of memory");
			return false;
		}
		broadcast(r, NULL, m);
		roommsg_unref(m);
		return true;
	}
	// a long line arrives in pieces: relay it whole, never interleaved;
	// one longer than a client may send is not sent at all
	if (first) {
		buf_clear(&r->in_msg);
		r->in_dropped = false;
	}
	if (!r->in_dropped && len > room_max(r) - r->in_msg.len) {
		log_err("an input line longer than %llu bytes (--max-size) is "
			"not sent", room_max(r));
		r->in_dropped = true;
		buf_free(&r->in_msg);
	}
	if (r->in_dropped) {
		return true;
	}
	if (!buf_append(&r->in_msg, data, len, room_max(r))) {
		log_err("out of memory");
		return false;
	}
	if (last) {
		m = roommsg_make(&r->budget, FRAME_FIN | opcode_of(kind),
			r->in_msg.p, r->in_msg.len);
		if (!m) {
			log_err("out of memory");
			return false;
		}
		// --echo has no sender here: input still reaches everyone
		broadcast(r, NULL, m);
		roommsg_unref(m);
	}
	return true;
}

static void close_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_close);

	log_err("clients still connected after %.3g s (--close-timeout)",
		(double)r->opts->close_timeout_ms / 1000.0);
	r->w->done = true;
	lws_cancel_service(r->w->ctx);
}

// Close every client with code and leave once they are gone.
static void room_close(void *ctx, unsigned code, const char *reason)
{
	struct room *r = ctx;

	if (r->closing) {
		r->w->done = true;     // asked twice: leave now
		lws_cancel_service(r->w->ctx);
		return;
	}
	r->closing = true;
	r->input.stop(r->input.ctx);
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		peer_close(r, p, code, reason, false);
	}
	lws_sul_schedule(r->w->ctx, 0, &r->sul_close, close_timeout_cb,
		(lws_usec_t)r->opts->close_timeout_ms * 1000);
	leave_when_empty(r);
}

// room_send() queued it for each client, who is already asked to write.
static void room_wake(void *ctx)
{
	(void)ctx;
}

static enum wsc_flow room_flow(void *ctx, bool resume)
{
	struct room *r = ctx;

	(void)resume;   // update_flow() resumes input
	return r->closing ? WSC_FLOW_CLOSED : r->hold_input ? WSC_FLOW_FULL :
		WSC_FLOW_GO;
}

// Input goes to the room, whoever is in it: there is no reconnecting.
static unsigned room_connection(void *ctx)
{
	(void)ctx;
	return 0;
}

// Ctrl-D: the room closes (end of a pipe leaves it running).
static void room_end_input(void *ctx)
{
	room_close(ctx, 1000, "");
}

// SIGINT or SIGTERM (the session kept Ctrl-C at the prompt for the REPL).
static void room_signal(void *ctx, int signo)
{
	(void)signo;
	room_close(ctx, 1001, "");
}

// The room is there from the start: never connecting.
static bool room_connecting(void *ctx)
{
	(void)ctx;
	return false;
}

static void room_describe(void *ctx)
{
	struct room *r = ctx;
	unsigned n = 0;

	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		n++;
	}
	log_note("listening on %s, %u client%s, %lu message%s received",
		r->opts->listen, n, n == 1 ? "" : "s", r->received,
		r->received == 1 ? "" : "s");
}

static struct lws_vhost *room_attach(void *ctx, struct lws_context *lc,
		struct lws_context_creation_info *info);

// Nothing to begin: clients come to the room.
static void room_start(void *ctx)
{
	(void)ctx;
}

// Who is still in the room goes with the context.
static void room_stop(void *ctx)
{
	(void)ctx;
}

static const struct wsc_endpoint_ops room_endpoint = {
	.attach = room_attach, .start = room_start, .stop = room_stop,
	.send = room_send, .wake = room_wake, .flow = room_flow,
	.connection = room_connection, .connecting = room_connecting,
	.close = room_close, .end_input = room_end_input,
	.signal = room_signal, .describe = room_describe,
};

/*
 * Everything is written: shut the write side, then read and discard until
 * the client's FIN, LINGER_SECS of silence or LINGER_MAX_SECS in all.
 * Closing a socket with unread data sends a reset, and a reset makes the
 * client's system drop what it has not read yet: our Close.
 */
static void linger(struct wsc_peer *p)
{
	p->state = PEER_LINGER;
	p->linger_at = lws_now_usecs();
	shutdown(p->fd, SHUT_WR);
	lws_rx_flow_control(p->wsi, 1);
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LINGER_SECS);
}

// Bytes while lingering are dropped; the silence starts again.
static void linger_more(struct wsc_peer *p)
{
	if (lws_now_usecs() - p->linger_at < (lws_usec_t)LINGER_MAX_SECS * USEC) {
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LINGER_SECS);
	}
}

/*
 * A joined client's deadlines, the time they are due: a message left
 * unfinished for PEER_UNFINISHED_SECS of silence (1008); behind without
 * taking its allowance in time (roomfair.h: 1008, "too slow"); our Close
 * not out after CLOSE_ACK_SECS without progress (cut: it reads nothing);
 * its Close not in CLOSE_ACK_SECS after ours (linger).
 */
static void peer_deadlines(struct room *r, struct wsc_peer *p)
{
	lws_usec_t now = lws_now_usecs(), at;

	p->sul_at = 0;
	if (p->state != PEER_OPEN) {
		return;
	}
	if (!p->closing && p->rx.msg && !r->hold_input && !p->unread) {
		at = p->rx_at + (lws_usec_t)PEER_UNFINISHED_SECS * USEC;
		if (at <= now) {
			log_err("client #%u (%s) left a message unfinished for %d s: "
				"closing it with 1008", p->id, p->addr,
				PEER_UNFINISHED_SECS);
			peer_fail(r, p, 1008, "message unfinished for too long");
		} else {
			peer_arm(r, p, at);
		}
	}
	at = roomfair_deadline(&p->fair);
	if (!p->closing && at) {
		if (at <= now) {
			p->kill = true;
			log_err("client #%u (%s) is too slow: closing it with 1008",
				p->id, p->addr);
			peer_close(r, p, 1008, "too slow", true);
		} else {
			peer_arm(r, p, at);
		}
	}
	if (p->closing && !p->close_sent) {
		// its socket may take a little without saying it is writable
		if (peer_flush(r, p) < 0) {
			lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
			return;
		}
		if (p->state != PEER_OPEN || p->close_sent) {
			return;
		}
		at = p->tx_at + (lws_usec_t)CLOSE_ACK_SECS * USEC;
		if (at <= now) {
			lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
			return;
		}
		peer_arm(r, p, at < now + USEC ? at : now + USEC);
	} else if (p->close_sent && !p->close_got) {
		at = p->close_at + (lws_usec_t)CLOSE_ACK_SECS * USEC;
		if (at <= now) {
			p->close_got = true;
			linger(p);
			return;
		}
		peer_arm(r, p, at);
	}
}

static void deadline_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_peer *p = lws_container_of(sul, struct wsc_peer, sul);

	peer_deadlines(ctx_room(p->wsi), p);
}

/*
 * Write what the socket takes now: the pending HTTP bytes, then frames,
 * many per sendmsg(). Returns -1 when the connection is to be closed.
 */
static int peer_flush(struct room *r, struct wsc_peer *p)
{
	size_t taken = 0;
	lws_usec_t now;

	while (p->raw_off < p->raw_len) {
		ssize_t n = send(p->fd, p->raw + p->raw_off,
			p->raw_len - p->raw_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
					errno == EINTR) {
				lws_callback_on_writable(p->wsi);
				return 0;
			}
			return -1;
		}
		p->raw_off += (size_t)n;
	}
	if (p->raw) {
		free(p->raw);
		p->raw = NULL;
		p->raw_len = p->raw_off = 0;
	}
	if (p->state == PEER_ANSWER) {
		linger(p);
		return 0;
	}
	if (p->state != PEER_OPEN) {
		return 0;
	}
	while (!p->close_sent) {
		struct iovec iov[IOV_MAX_FRAMES];
		struct msghdr mh;
		size_t k = roomq_iov(&p->q, iov, IOV_MAX_FRAMES), want = 0;
		ssize_t n;

		if (!k) {
			break;
		}
		for (size_t i = 0; i < k; i++) {
			want += iov[i].iov_len;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = k;
		n = sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
					errno == EINTR) {
				break;
			}
			return -1;
		}
		taken += (size_t)n;
		if (roomq_written(&p->q, (size_t)n)) {
			p->close_sent = true;
			p->close_at = lws_now_usecs();
		}
		if ((size_t)n < want) {
			break;      // the socket is full
		}
	}
	now = lws_now_usecs();
	if (taken) {
		p->tx_at = now;
	}
	roomfair_wrote(&p->fair, taken, p->q.backlog, now);
	peer_arm(r, p, roomfair_deadline(&p->fair));
	peer_reads(r, p);
	update_flow(r);
	if (p->close_sent) {
		if (p->close_got) {
			linger(p);
		} else {
			peer_arm(r, p, p->close_at + (lws_usec_t)CLOSE_ACK_SECS * USEC);
		}
	} else if (!roomq_empty(&p->q)) {
		lws_callback_on_writable(p->wsi);
	}
	return 0;
}

/* --- receiving from clients --- */

static void deliver(struct room *r, struct wsc_peer *p)
{
	struct roommsg *m = roomrx_take(&p->rx);
	char who[32];

	snprintf(who, sizeof(who), "#%u", p->id);
	r->w->out.peer = who;
	r->w->out.peer_id = p->id;
	output_begin(&r->w->out, roommsg_opcode(m) == FRAME_BINARY);
	output_data(&r->w->out, roommsg_payload(m), m->len);
	output_end(&r->w->out);
	r->w->out.peer = NULL;
	r->w->out.peer_id = 0;
	if (r->w->out.tty && !r->w->out.sink) {
		output_flush(&r->w->out);
	} else if (output_pending(&r->w->out)) {
		output_flush(&r->w->out);
	}
	r->received++;
	broadcast(r, p, m);
	roommsg_unref(m);
}

/* A message could not be taken in: say why and fail the client. */
static void rx_failed(struct room *r, struct wsc_peer *p,
		enum roomrx_status st)
{
	if (st == ROOMRX_BUDGET) {
		log_err("client #%u (%s) sent a message larger than what is left "
			"of the room's memory (%zu of %zu bytes in use): closing it "
			"with 1009", p->id, p->addr, r->budget.inbound +
			r->budget.held, r->budget.limit);
		peer_fail(r, p, 1009, "room memory full");
	} else {
		log_err("client #%u: out of memory", p->id);
		peer_fail(r, p, 1011, "out of memory");
	}
}

/* The client broke the protocol or passed --max-size: say so, fail it. */
static void peer_error(struct room *r, struct wsc_peer *p,
		const struct msg_event *ev)
{
	if (ev->code == 1009) {
		log_err("client #%u sent a message larger than %llu bytes%s: "
			"closing it with 1009", p->id, (unsigned long long)p->max,
			ev->compressed ? " (inflated)" : "");
	} else if (ev->code == 1011) {
		log_err("client #%u: out of memory", p->id);
	} else {
		log_err("client #%u (%s) broke the protocol (%s): closing it "
			"with %u", p->id, p->addr, ev->why, ev->code);
	}
	peer_fail(r, p, ev->code, ev->code == 1009 ? "message too big" :
		ev->code == 1011 ? "out of memory" : NULL);
}

struct peer_rx {
	struct room *r;
	struct wsc_peer *p;
};

/* One event of a joined client's messages (message.h). */
static bool on_message(void *arg, const struct msg_event *ev)
{
	struct room *r = ((struct peer_rx *)arg)->r;
	struct wsc_peer *p = ((struct peer_rx *)arg)->p;
	enum roomrx_status st = ROOMRX_OK;
	struct roommsg *m;

	switch (ev->type) {
	case MSG_EV_START:
		st = roomrx_start(&p->rx, ev->binary);
		if (st == ROOMRX_OK) {
			peer_arm(r, p, p->rx_at +
				(lws_usec_t)PEER_UNFINISHED_SECS * USEC);
		}
		break;
	case MSG_EV_DATA:
		st = roomrx_data(&p->rx, ev->data, ev->len);
		break;
	case MSG_EV_END:
		deliver(r, p);
		break;
	case MSG_EV_PING:
		m = roommsg_make(&r->budget, FRAME_FIN | FRAME_PONG, ev->data,
			ev->len);
		if (!m) {
			st = ROOMRX_NOMEM;
			break;
		}
		peer_push(r, p, m);
		roommsg_unref(m);
		update_flow(r);
		break;
	case MSG_EV_PONG:
		break;
	case MSG_EV_CLOSE:
		if (ev->fault) {
			struct msg_event e = { .code = ev->fault, .why = ev->why };

			peer_error(r, p, &e);
			break;
		}
		// answer with its code after what is queued for it
		p->close_got = true;
		roomrx_abort(&p->rx);
		if (p->closing) {
			lws_callback_on_writable(p->wsi);
		} else {
			peer_close(r, p, ev->code == 1005 ? 0 : ev->code, NULL,
				false);
		}
		break;
	case MSG_EV_ERROR:
		peer_error(r, p, ev);
		break;
	}
	if (st != ROOMRX_OK) {
		rx_failed(r, p, st);
	}
	return !p->close_got;
}

/* Frames from a joined client (buf is unmasked in place). */
static void on_frames(struct room *r, struct wsc_peer *p, unsigned char *buf,
		size_t len)
{
	struct peer_rx to = { r, p };

	p->rx_at = lws_now_usecs();
	if (!p->close_got) {
		msg_read(&p->in, buf, len, on_message, &to);
	}
}

/* --- idle clients: a Ping, then closed (--idle-timeout) --- */

static void idle_arm(struct room *r);

/*
 * Every half --idle-timeout: a client that sent no byte since the last
 * tick gets a Ping; one still silent at the next is closed with 1001, so
 * sockets that handshake and then say nothing cannot keep the room full.
 * While the room holds its clients' reads (flow control) none counts.
 */
static void idle_tick_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_idle);

	r->idle_armed = false;
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		if (p->closing) {
			continue;
		}
		if (p->heard || r->hold_input) {
			p->heard = false;
			p->quiet = 0;
		} else if (++p->quiet == 1) {
			struct roommsg *m = roommsg_make(&r->budget,
				FRAME_FIN | FRAME_PING, "", 0);

			if (m) {
				peer_push(r, p, m);
				roommsg_unref(m);
			}
		} else {
			if (room_line(r, LINE_LEAVE)) {
				log_info("client #%u (%s) sent nothing, not even a Pong, "
					"for %.3g s (--idle-timeout): closing it with 1001",
					p->id, p->addr,
					(double)r->opts->idle_timeout_ms / 1000.0);
			}
			// (peer_close() cuts it if it does not read)
			peer_close(r, p, 1001, "idle", true);
		}
	}
	idle_arm(r);
}

static void idle_arm(struct room *r)
{
	if (r->idle_armed || !r->peers || !r->opts->idle_timeout_ms) {
		return;
	}
	r->idle_armed = true;
	lws_sul_schedule(r->w->ctx, 0, &r->sul_idle, idle_tick_cb,
		(lws_usec_t)r->opts->idle_timeout_ms * 500);
}

/* --- HTTP: the request, the chat page --- */


static int answer(struct wsc_peer *p, const char *head, const char *body,
		size_t blen)
{
	size_t hl = strlen(head);

	p->raw = malloc(hl + blen);
	if (!p->raw) {
		return -1;
	}
	memcpy(p->raw, head, hl);
	if (blen) {
		memcpy(p->raw + hl, body, blen);
	}
	p->raw_len = hl + blen;
	p->raw_off = 0;
	p->state = PEER_ANSWER;
	lws_callback_on_writable(p->wsi);
	return 0;
}

/* Answer status with why as a plain-text body and report it; -1: no
 * memory (close it). */
static int refuse(struct wsc_peer *p, int status, const char *why, bool tag)
{
	char buf[1024];
	ssize_t n = handshake_write_refusal(buf, sizeof(buf), status, why);

	if (tag) {
		refused(ctx_room(p->wsi), p->addr, "%s (HTTP %d)", why, status);
	} else {
		refused(ctx_room(p->wsi), p->addr, "%s", why);
	}
	return n > 0 ? answer(p, buf, NULL, 0) : -1;
}

static int serve_http(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE",
		"PATCH", "OPTIONS", "TRACE", "CONNECT" };
	bool head = !strcmp(h->method, "HEAD");
	size_t tl = strcspn(h->target, "?#");
	char hdr[512];

	if (!head && strcmp(h->method, "GET")) {
		for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
			if (!strcmp(h->method, methods[i])) {
				return refuse(p, 405, "the method is not GET", true);
			}
		}
		return refuse(p, 403, "malformed HTTP request", false);
	}
	if (!(tl == 1 && h->target[0] == '/') &&
			!(tl == 11 && !strncmp(h->target, "/index.html", 11))) {
		static const char body[] = "404 Not Found\n";

		snprintf(hdr, sizeof(hdr), "HTTP/1.1 404 Not Found\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n",
			sizeof(body) - 1);
		return answer(p, hdr, body, head ? 0 : sizeof(body) - 1);
	}
	// not a CSP: the page runs its own inline script
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Length: %zu\r\nCache-Control: no-store\r\n"
		"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
		r->page_len);
	return answer(p, hdr, r->page, head ? 0 : r->page_len);
}

/*
 * The room's state, then the request as handshake_check_request() judges
 * it, then the Origin, then the subprotocol: the first the client offers
 * that is ours, else none (or a refusal with --require-subprotocol).
 * Returns false when it was refused.
 */
static bool check_upgrade(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h, char *proto, size_t size)
{
	const char *v, *offered;
	struct wsc_handshake_offer offer;
	char why[400];
	int rc;

	if (r->closing) {
		refuse(p, 503, "the server is shutting down", true);
		return false;
	}
	rc = handshake_check_request(h, &offer, why, sizeof(why));
	if (rc != 101) {
		refuse(p, rc ? rc : 400, rc ? why : "not a WebSocket "
			"request", true);
		return false;
	}
	v = httphead_get(h, "Origin");
	if (!admit_origin(v, httphead_get(h, "Host"), r->host,
			r->opts->allow_origin, r->opts->n_allow_origin)) {
		// the value is the client's: shown terminal-safe, cut short
		unsigned char pend[4];
		size_t npend = 0, n = strlen(v) < 60 ? strlen(v) : 60;
		char shown[6 * (60 + 4) + 1];

		shown[output_escape((const unsigned char *)v, n, true, pend,
			&npend, shown)] = '\0';
		snprintf(why, sizeof(why), "Origin %.340s is not the room's own page",
			shown);
		refuse(p, 403, why, true);
		return false;
	}
	*proto = '\0';
	offered = httphead_get(h, "Sec-WebSocket-Protocol");
	if (!handshake_choose_protocol(h, r->opts->protocols, proto, size)) {
		*proto = '\0';
		if (r->opts->require_protocol) {
			if (offered) {
				snprintf(why, sizeof(why), "it offered subprotocol "
					"%.126s, none of %.200s", offered,
					r->opts->protocols);
			} else {
				snprintf(why, sizeof(why), "it offered no subprotocol "
					"(--require-subprotocol %.200s)",
					r->opts->protocols);
			}
			refuse(p, 400, why, true);
		return false;
		}
	}
	return true;
}

/*
 * With --deflate: the client's permessage-deflate offers (all its
 * Sec-WebSocket-Extensions fields, joined) judged by deflate.h into
 * resp; false when none is taken (or there is none).
 */
static bool choose_deflate(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h, char *resp, size_t size)
{
	// ours is reset per message: one compressor serves every client
	static const struct deflate_config policy = {
		.server_no_context_takeover = true,
	};
	char value[HTTPHEAD_MAX], why[160];
	size_t n = 0;

	if (!r->opts->deflate || !httphead_count(h, "Sec-WebSocket-Extensions")) {
		return false;
	}
	for (size_t i = 0; i < h->nfields; i++) {
		size_t l = strlen(h->field[i].value);

		if (strcasecmp(h->field[i].name, "Sec-WebSocket-Extensions") ||
				l + 2 >= sizeof(value) - n) {
			continue;
		}
		if (n) {
			value[n++] = ',';
		}
		memcpy(value + n, h->field[i].value, l);
		n += l;
	}
	if (!deflate_server_choose(value, n, &policy, &p->pmdp, resp, size, why,
			sizeof(why))) {
		log_info("client from %s: permessage-deflate not used: %s",
			p->addr, why);
		return false;
	}
	return true;
}

/* The head is complete: answer it; rest/n are the bytes after it. */
static int on_request(struct room *r, struct wsc_peer *p, unsigned char *rest,
		size_t n)
{
	const struct wsc_httphead *h = p->head;
	const char *up = httphead_get(h, "Upgrade");
	unsigned long long max = room_max(r);
	char proto[128], buf[1024], why[128], ext[256];
	ssize_t len;

	if (up && !httphead_has_token(h, "Upgrade", "websocket")) {
		snprintf(why, sizeof(why), "unsupported Upgrade: %.64s", up);
		return refuse(p, 403, why, true);
	}
	if (!up) {
		return serve_http(r, p, h);
	}
	if (!check_upgrade(r, p, h, proto, sizeof(proto))) {
		return p->raw ? 0 : -1;
	}
	p->pmd = choose_deflate(r, p, h, ext, sizeof(ext));
	len = handshake_write_response(buf, sizeof(buf),
		httphead_get(h, "Sec-WebSocket-Key"), *proto ? proto : NULL,
		p->pmd ? ext : NULL);
	if (len < 0 || !(p->raw = malloc((size_t)len))) {
		return -1;
	}
	memcpy(p->raw, buf, (size_t)len);
	p->raw_len = (size_t)len;
	p->raw_off = 0;

	// it joins
	p->state = PEER_OPEN;
	p->id = ++r->next_id;
	roomq_init(&p->q, &r->budget);
	p->max = max;
	roomrx_init(&p->rx, &r->budget, max);
	msg_init(&p->in, &(struct msg_params){ .role = FRAME_ROLE_SERVER,
		.pmd = p->pmd ? &p->pmdp : NULL, .max_size = max });
	p->next = r->peers;
	r->peers = p;
	lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	p->heard = true;
	idle_arm(r);
	if (room_line(r, LINE_JOIN)) {
		log_info("client #%u joined from %s%s%s%s", p->id, p->addr,
			*proto ? ", subprotocol " : "", proto,
			p->pmd ? ", permessage-deflate" : "");
	}
	free(p->head);
	p->head = NULL;
	if (r->hold_input) {
		lws_rx_flow_control(p->wsi, 0);
	}
	lws_callback_on_writable(p->wsi);
	on_frames(r, p, rest, n);
	return 0;
}

static int on_head_bytes(struct room *r, struct wsc_peer *p, unsigned char *in,
		size_t len)
{
	enum wsc_httphead_status st;
	size_t used = 0;

	p->head_bytes += len;
	st = httphead_feed(p->head, (const char *)in, len, &used);
	if (st == HTTPHEAD_DONE) {
		if (p->head->len > HEAD_MAX) {
			char why[64];

			snprintf(why, sizeof(why), "request too large (%zu bytes)",
				p->head_bytes);
			return refuse(p, 431, why, false);
		}
		return on_request(r, p, in + used, len - used);
	}
	if (st == HTTPHEAD_ERROR || p->head_bytes > HEAD_MAX) {
		char why[160];

		if (p->head_bytes > HEAD_MAX) {
			snprintf(why, sizeof(why), "request too large (%zu bytes)",
				p->head_bytes);
			return refuse(p, 431, why, false);
		}
		snprintf(why, sizeof(why), "malformed HTTP request (%s)",
			p->head->why);
		return refuse(p, 400, why, false);
	}
	return 0;
}

/* --- admission: at most max_clients connections --- */

static const char full_why[] = "the room is full (--max-clients); try again "
	"later";

static void note_full(struct room *r)
{
	r->turned_away++;
	if (!r->full) {
		r->full = true;
		if (room_line(r, LINE_REFUSAL)) {
			log_info("the room is full (%lu connections, --max-clients): "
				"newcomers get HTTP 503", r->lim.max_clients);
		}
	}
}

/*
 * A newcomer: one of max_clients, else answered 503 (and its request
 * ignored) while one of the spare descriptors is free, else sent the 503
 * and closed at once. So the room never runs out of descriptors and every
 * newcomer hears why.
 */
static int adopt(struct room *r, struct lws *wsi)
{
	bool full = r->conns >= r->lim.max_clients;
	struct wsc_peer *p;
	char buf[256];
	ssize_t n = handshake_write_refusal(buf, sizeof(buf), 503, full_why);

	if (full && r->surplus >= r->lim.spare) {
		note_full(r);
		if (n > 0) {
			(void)send(lws_get_socket_fd(wsi), buf, (size_t)n,
				MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->head = malloc(sizeof(*p->head)))) {
		free(p);
		return -1;
	}
	httphead_init(p->head, true);
	p->wsi = wsi;
	p->fd = lws_get_socket_fd(wsi);
	p->state = PEER_HEAD;
	peer_address(wsi, p->addr, sizeof(p->addr));
	lws_set_opaque_user_data(wsi, p);
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, HEAD_SECS);
	if (!full) {
		p->counted = true;
		r->conns++;
		return 0;
	}
	p->surplus = true;
	r->surplus++;
	note_full(r);
	return n > 0 ? answer(p, buf, NULL, 0) : -1;
}

/* --- the callback --- */

static void peer_gone(struct room *r, struct wsc_peer *p)
{
	if (p->state == PEER_HEAD && p->head_bytes) {
		refused(r, p->addr, "incomplete request (closed or timed out after "
			"%zu bytes)", p->head_bytes);
	}
	if (p->id) {
		for (struct wsc_peer **pp = &r->peers; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
		if (room_line(r, LINE_LEAVE)) {
			log_info("client #%u (%s) left", p->id, p->addr);
		}
		roomq_finish(&p->q);
		roomrx_finish(&p->rx);
		msg_finish(&p->in);
	}
	lws_sul_cancel(&p->sul);
	r->conns -= p->counted;
	r->surplus -= p->surplus;
	if (r->full && r->conns < r->lim.max_clients) {
		r->full = false;
		if (room_line(r, LINE_REFUSAL)) {
			log_info("the room has space again (%lu newcomer%s turned away "
				"while it was full)", r->turned_away,
				r->turned_away == 1 ? " was" : "s were");
		}
		r->turned_away = 0;
	}
	free(p->head);
	free(p->raw);
	free(p);
	update_flow(r);
	leave_when_empty(r);
}

static int server_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct room *r = ctx_room(wsi);
	struct wsc_peer *p = lws_get_opaque_user_data(wsi);

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		return adopt(r, wsi);

	case LWS_CALLBACK_RAW_RX:
		if (!p || !in) {
			return 0;
		}
		switch (p->state) {
		case PEER_HEAD:
			return on_head_bytes(r, p, in, len);
		case PEER_OPEN:
			p->heard = true;
			on_frames(r, p, in, len);
			return 0;
		case PEER_LINGER:
			linger_more(p);
			return 0;
		default:
			return 0;   // after the answer or our Close: not read
		}

	case LWS_CALLBACK_RAW_WRITEABLE:
		return p ? peer_flush(r, p) : 0;

	case LWS_CALLBACK_RAW_CLOSE:
		if (p) {
			lws_set_opaque_user_data(wsi, NULL);
			peer_gone(r, p);
		}
		return 0;

	default:
		return 0;
	}
}

/* --- running --- */

/*
 * --- where to listen ---
 *
 * HOST is an address (bound exactly: 127.0.0.1 is not every interface) or
 * a name, resolved with getaddrinfo(); wsc listens on every address a name
 * gives (localhost: 127.0.0.1 and ::1 where both resolve), skipping those
 * this machine cannot bind (no IPv6, say) while one is left, all on one
 * port. An IPv6 socket is IPv6-only, so [::] is every IPv6 interface and
 * 0.0.0.0 every IPv4 one.
 */
struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char numeric[INET6_ADDRSTRLEN];
};

static const char *resolve(const char *host, struct listen_addr *a,
		size_t *n)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		return rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
	}
	*n = 0;
	for (ai = res; ai && *n < LISTEN_MAX; ai = ai->ai_next) {
		struct listen_addr *x = &a[*n];
		bool dup = false;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
				ai->ai_addrlen > sizeof(x->sa) ||
				getnameinfo(ai->ai_addr, ai->ai_addrlen, x->numeric,
				sizeof(x->numeric), NULL, 0, NI_NUMERICHOST)) {
			continue;
		}
		for (size_t k = 0; k < *n; k++) {
			dup = dup || !strcmp(a[k].numeric, x->numeric);
		}
		if (!dup) {
			memcpy(&x->sa, ai->ai_addr, ai->ai_addrlen);
			x->len = ai->ai_addrlen;
			(*n)++;
		}
	}
	freeaddrinfo(res);
	return *n ? NULL : "no IPv4 or IPv6 address";
}

/*
 * Can a socket like the one lws makes (SO_REUSEADDR; IPv6-only) bind a at
 * port? 0 or the errno: lws itself only says that it failed.
 */
static int probe(struct listen_addr *a, int port)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1,
		e = 0;

	if (fd < 0) {
		return errno;
	}
	if (a->sa.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a->sa, a->len)) {
		e = errno;
	}
	close(fd);
	return e;
}

static bool is_literal(const char *host)
{
	unsigned char b[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, b) == 1 ||
		inet_pton(AF_INET6, host, b) == 1;
}

/*
 * Create one vhost per address of host (all on one port: port 0 takes the
 * first one's); print "listening on" for each, or one error and false.
 */
static bool listen_all(struct lws_context *ctx, const char *host, int port,
		struct lws_context_creation_info *info, struct lws_vhost **first)
{
	// lws keeps pointers to the vhost's name and iface
	static struct listen_addr a[LISTEN_MAX];
	static char vname[LISTEN_MAX][24];
	struct lws_vhost *vhs[LISTEN_MAX];
	const bool v6host = strchr(host, ':') != NULL;
	size_t n = 0, bound = 0, idx[LISTEN_MAX];
	const char *why = resolve(host, a, &n);
	int err = 0;

	for (size_t i = 0; !why && i < n; i++) {
		const bool v6 = a[i].sa.ss_family == AF_INET6;
		int e = probe(&a[i], port);

		if (e && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT) &&
				!is_literal(host) && (bound || i + 1 < n)) {
			err = err ? err : e;
			continue;   // a name's address this machine lacks
		}
		if (e) {
			why = strerror(e);
			break;
		}
		snprintf(vname[i], sizeof(vname[i]), "wsc%zu", i);
		info->vhost_name = vname[i];
		info->iface = a[i].numeric;
		info->port = port;
		// every accepted socket is a raw one, bound to the room
		info->options = LWS_SERVER_OPTION_ONLY_RAW |
			LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | (v6 ?
			LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
			LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE :
			LWS_SERVER_OPTION_DISABLE_IPV6);
		vhs[bound] = lws_create_vhost(ctx, info);
		if (!vhs[bound]) {
			e = probe(&a[i], port);
			why = e ? strerror(e) : "libwebsockets could not listen";
			break;
		}
		if (!port) {
			port = lws_get_vhost_listen_port(vhs[bound]);
		}
		idx[bound++] = i;
	}
	if (!why && !bound) {
		why = strerror(err);
	}
	if (why) {
		log_err("cannot listen on %s%s%s:%d: %s", v6host ? "[" : "", host,
			v6host ? "]" : "", port, why);
		return false;
	}
	for (size_t i = 0; i < bound; i++) {
		const struct listen_addr *x = &a[idx[i]];
		const bool v6 = x->sa.ss_family == AF_INET6;

		log_note("listening on %s%s%s:%d", v6 ? "[" : "", x->numeric,
			v6 ? "]" : "", lws_get_vhost_listen_port(vhs[i]));
	}
	*first = vhs[0];
	return true;
}

/* Descriptors open now (those inherited, stdio, the signalfd, ...). */
static unsigned long open_files(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned long n = 0;

	if (!d) {
		return 64;      // no /proc: a generous guess
	}
	while (readdir(d)) {
		n++;
	}
	closedir(d);
	return n > 3 ? n - 3 : 0;   // ".", ".." and the directory's own
}

/*
 * How many connections the room takes (admit.h), with the soft open file
 * limit set to match and libwebsockets told the same (its table of
 * descriptors is as large as the limit: no descriptor it cannot hold).
 * Besides what is open now the room opens lws's pipe (2) and up to
 * LISTEN_MAX listening sockets.
 */
static bool set_limits(struct room *r, unsigned long requested)
{
	struct rlimit rl;
	unsigned long hard;
	char why[200];

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max = 1024;
	}
	// unlimited counts as plenty; the hard limit itself is left as it is
	hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1UL << 24) ?
		1UL << 24 : (unsigned long)rl.rlim_max;
	if (!admit_limits(hard, open_files() + 2 + LISTEN_MAX, requested,
			&r->lim, why, sizeof(why))) {
		log_err("%s", why);
		return false;
	}
	rl.rlim_cur = r->lim.nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		log_err("cannot set the open file limit to %lu: %s", r->lim.nofile,
			strerror(errno));
		return false;
	}
	return true;
}

// The loop exists: listen on every address of --listen's HOST.
static struct lws_vhost *room_attach(void *ctx, struct lws_context *lc,
		struct lws_context_creation_info *info)
{
	struct room *r = ctx;
	struct lws_vhost *vh = NULL;

	return listen_all(lc, r->host, r->port, info, &vh) ? vh : NULL;
}

enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd)
{
	const struct lws_protocols own[] = {
		// the room: every accepted socket, raw (wsc speaks HTTP and
		// WebSocket)
		{ "wsc-room", server_cb, 0, 0, 0, NULL, 0 },
	};
	struct lws_context_creation_info info;
	enum wsc_exit rc;
	struct room room;
	struct wsc w;

	memset(&room, 0, sizeof(room));
	room.w = &w;
	room.opts = opts;
	snprintf(room.host, sizeof(room.host), "%s", opts->listen_host);
	room.port = opts->listen_port;
	roombudget_init(&room.budget, room_max(&room));
	if (!wsc_init(&w, opts, &room_endpoint, &room, &room.input)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	room.page = chatpage_render(opts->protocols, &room.page_len);
	if (!room.page) {
		log_err("out of memory");
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	if (!set_limits(&room, opts->max_clients)) {
		free(room.page);
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = (unsigned)room.lim.nofile;
	info.timeout_secs = 10;
	info.pt_serv_buf_size = 256 * 1024;     // what one RAW_RX may bring
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = "wsc-room";
	rc = wsc_run(&w, &info, own, 1, sigfd) ? WSC_EXIT_OK :
		WSC_EXIT_FAILURE;
	free(room.page);
	roomz_free(&room.z);
	buf_free(&room.in_msg);
	wsc_finish(&w);
	return rc;
}
