/*
 * room.c - the --listen room (struct room, room.h): the session's
 * endpoint (endpoint.h) and its clients. Each connection is a struct
 * wsc_peer (roompeer.c); one that completed the handshake (roomhttp.c)
 * joins the room. A message from one is printed and relayed to the others
 * (or echoed with --echo); input goes to all. In chat mode (roomchat.c) a
 * text carries its sender's name, and a /nick request is answered, not
 * relayed. A message is held once for
 * all its recipients (roommsg.h, each client's queue: roomq.h), and
 * everything the room holds counts against one memory budget
 * (roombudget.h): the room stops reading while half of it waits in
 * queues. Clients silent for --idle-timeout are pinged, then closed;
 * lines about single connections stay within a budget (linebudget.h).
 */
#include "room.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"

#define PEER_MESSAGE_MAX (16 * 1024 * 1024)  // default largest message

unsigned long long room_max(const struct room *r)
{
	return r->opts->max_size ? r->opts->max_size : PEER_MESSAGE_MAX;
}

struct room *room_of(struct lws *wsi)
{
	struct wsc *w = lws_context_user(lws_get_context(wsi));

	return w->ep.ctx;
}

static void leave_when_empty(struct room *r)
{
	if (r->closing && !r->peers) {
		wsc_leave(r->w);
	}
}

/* --- lines about single connections: within a budget (linebudget.h) --- */

static void lines_summary_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_lines);
	const unsigned long *h = r->hidden;

	char renames[48] = "";

	if (h[LINE_RENAME]) {
		snprintf(renames, sizeof(renames), ", %lu rename%s",
			h[LINE_RENAME], h[LINE_RENAME] == 1 ? "" : "s");
	}
	log_info("not shown (over %d such lines a second): %lu join%s, %lu "
		"leave%s, %lu refusal%s%s", LINEBUDGET_RATE, h[LINE_JOIN],
		h[LINE_JOIN] == 1 ? "" : "s", h[LINE_LEAVE],
		h[LINE_LEAVE] == 1 ? "" : "s", h[LINE_REFUSAL],
		h[LINE_REFUSAL] == 1 ? "" : "s", renames);
	memset(r->hidden, 0, sizeof(r->hidden));
}

bool room_line(struct room *r, enum room_line kind)
{
	if (linebudget_take(&r->lines, (long long)(lws_now_usecs() / 1000))) {
		return true;
	}
	if (!r->hidden[LINE_JOIN] && !r->hidden[LINE_LEAVE] &&
			!r->hidden[LINE_REFUSAL] && !r->hidden[LINE_RENAME]) {
		lws_sul_schedule(r->w->ctx, 0, &r->sul_lines, lines_summary_cb,
			LWS_US_PER_SEC);
	}
	r->hidden[kind]++;
	return false;
}

void room_refused(struct room *r, const char *addr, const char *fmt, ...)
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

/* --- flow control and relaying --- */

/*
 * Stop reading stdin and every client while the memory held for relay is
 * past half the budget, resume below a quarter: a burst waits instead of
 * growing without end. Readers that are merely slower are waited for;
 * one that stays behind is dropped (roompeer.c), which frees what
 * only it still needed.
 */
void room_update_flow(struct room *r)
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
			peer_waited(r, p, now);
		}
	}
	if (!hold) {
		r->input.resume(r->input.ctx);
	}
}

void room_broadcast(struct room *r, struct wsc_peer *from,
		struct roommsg *m)
{
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		if (!from || (r->opts->echo ? p == from : p != from)) {
			peer_push(r, p, m);
		}
	}
	roomz_reset(&r->z);     // queues hold what they need of it
	room_update_flow(r);
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

/* A whole message or control frame from input, to every client (--echo
 * has no sender here: input still reaches everyone). */
static bool send_all(struct room *r, enum wsc_frame kind, const void *data,
		size_t len)
{
	struct roommsg *m = roommsg_make(&r->budget, FRAME_FIN | opcode_of(kind),
		data, len);

	if (!m) {
		log_err("out of memory");
		return false;
	}
	room_broadcast(r, NULL, m);
	roommsg_unref(m);
	return true;
}

// A piece of an input line or a REPL message: to every client.
static bool room_send(void *ctx, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	struct room *r = ctx;

	if (kind == WSC_FRAME_PING || kind == WSC_FRAME_PONG) {
		return send_all(r, kind, data, len);
	}
	// a long line arrives in pieces: relay it whole, never interleaved;
	// one longer than a client may send is not sent at all. In chat mode
	// a text goes out as "NAME: TEXT", unless it is a /nick request.
	if (first) {
		char lead[ROOMNAME_LEAD_MAX + 1];

		buf_clear(&r->in_msg);
		r->in_dropped = false;
		r->in_lead = kind == WSC_FRAME_TEXT ?
			roomchat_lead(r, NULL, lead) : 0;
		if (r->in_lead && !buf_append(&r->in_msg, lead, r->in_lead,
				room_max(r) + r->in_lead)) {
			log_err("out of memory");
			return false;
		}
	}
	if (!r->in_dropped && len > room_max(r) -
			(r->in_msg.len - r->in_lead)) {
		log_err("an input line longer than %llu bytes (--max-size) is "
			"not sent", room_max(r));
		r->in_dropped = true;
		buf_free(&r->in_msg);
	}
	if (r->in_dropped) {
		return true;
	}
	if (!buf_append(&r->in_msg, data, len, room_max(r) + r->in_lead)) {
		log_err("out of memory");
		return false;
	}
	if (!last || (r->in_lead && roomchat_request(r, NULL,
			r->in_msg.p + r->in_lead,
			r->in_msg.len - r->in_lead))) {
		return true;
	}
	return send_all(r, kind, r->in_msg.p, r->in_msg.len);
}

static void close_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_close);

	log_err("clients still connected after %.3g s (--close-timeout)",
		(double)r->opts->close_timeout_ms / 1000.0);
	wsc_leave(r->w);
}

// Close every client with code and leave once they are gone.
static void room_close(void *ctx, unsigned code, const char *reason)
{
	struct room *r = ctx;

	if (r->closing) {
		wsc_leave(r->w);       // asked twice: leave now
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

	(void)resume;   // room_update_flow() resumes input
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

// Ctrl-C at the prompt: the server is going away, as on SIGINT.
static void room_interrupt(void *ctx)
{
	room_signal(ctx, SIGINT);
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
		server_where(r->listening), n, n == 1 ? "" : "s", r->received,
		r->received == 1 ? "" : "s");
}

/* No start or stop: clients come to the room, and who is still in it
 * goes with the context. */
const struct wsc_endpoint_ops room_endpoint = {
	.attach = server_listen,
	.send = room_send, .wake = room_wake, .flow = room_flow,
	.connection = room_connection, .connecting = room_connecting,
	.close = room_close, .end_input = room_end_input,
	.signal = room_signal, .interrupt = room_interrupt,
	.describe = room_describe,
};

/* --- idle clients: a Ping, then closed (--idle-timeout) --- */

static void idle_arm(struct room *r);

/*
 * Every half --idle-timeout: a client that sent no byte since the last
 * tick (its rx_at: its last bytes, or its join) gets a Ping; one still
 * silent at the next is closed with 1001, so sockets that handshake and
 * then say nothing cannot keep the room full. While the room holds its
 * clients' reads (flow control) none counts: their silence starts again
 * when it lets them talk (peer_waited()).
 */
static void idle_tick_cb(lws_sorted_usec_list_t *sul)
{
	struct room *r = lws_container_of(sul, struct room, sul_idle);
	const lws_usec_t *tick = r->idle_ticks;

	r->idle_armed = false;
	for (struct wsc_peer *p = r->peers; p; p = p->next) {
		if (p->closing || r->hold_input || p->rx_at >= tick[0]) {
			continue;
		}
		if (p->rx_at >= tick[1]) {
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
	r->idle_ticks[1] = r->idle_ticks[0];
	r->idle_ticks[0] = lws_now_usecs();
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

/* --- joining and leaving --- */

void room_join(struct room *r, struct wsc_peer *p, const char *proto,
		unsigned char *rest, size_t n)
{
	p->id = ++r->next_id;
	peer_open(r, p);
	p->rx_at = lws_now_usecs();
	p->next = r->peers;
	r->peers = p;
	lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	idle_arm(r);
	roomchat_join(r, p);
	if (room_line(r, LINE_JOIN)) {
		char how[200];

		snprintf(how, sizeof(how), "%s%s%s", *proto ? ", subprotocol " :
			"", proto, p->pmd ? ", permessage-deflate" : "");
		if (r->chat) {
			log_info("%s joined (client #%u from %s%s)", p->name, p->id,
				p->addr, how);
		} else {
			log_info("client #%u joined from %s%s", p->id, p->addr, how);
		}
	}
	free(p->head);
	p->head = NULL;
	if (r->hold_input) {
		lws_rx_flow_control(p->wsi, 0);
	}
	lws_callback_on_writable(p->wsi);
	peer_rx(r, p, rest, n);
}

void room_gone(struct room *r, struct wsc_peer *p)
{
	if (p->state == PEER_HEAD && p->head_bytes) {
		room_refused(r, p->addr, "incomplete request (closed or timed out "
			"after %zu bytes)", p->head_bytes);
	}
	if (p->id) {
		for (struct wsc_peer **pp = &r->peers; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
		if (room_line(r, LINE_LEAVE)) {
			if (r->chat) {
				log_info("%s left (client #%u from %s)", p->name, p->id,
					p->addr);
			} else {
				log_info("client #%u (%s) left", p->id, p->addr);
			}
		}
		roomchat_leave(r, p);
	}
	server_release(r, p);
	peer_free(p);
	room_update_flow(r);
	leave_when_empty(r);
}
