/*
 * roompeer.c - one connection to the --listen room (struct wsc_peer,
 * room.h): made when lws accepts it, opened as a WebSocket when it joins,
 * freed when it is gone; its writes, its deadlines, its close and what
 * it sends.
 *
 * wsc writes a client's frames itself with sendmsg() from its bounded
 * queue (roomq.h), never through lws_write() (which copies without bound
 * and stops reads while it drains). A client that does not take what is
 * queued for it in time is dropped with 1008 (roomfair.h), and is not
 * read while more than its allowance is queued; one that leaves a message
 * unfinished too long is closed with 1008 too. Whenever the room closes a
 * client after our Close, it shuts its write side and reads until the
 * client's FIN (or silence), so that nothing unread turns the close into
 * a reset that loses the Close.
 *
 * Its frames are read through the message layer (message.h, server role:
 * masked frames only, UTF-8 checked, Pings answered). Each compressing
 * client gets its own inflater there (~100 KiB, made at its first
 * compressed message, kept while it takes its context over, freed after
 * each message with client_no_context_takeover); --max-size judges the
 * inflated size.
 */
#include "room.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "frame.h"
#include "log.h"
#include "output.h"

#define HEAD_SECS 10                    // to send the request head
#define PEER_UNFINISHED_SECS 10         // silence inside a message
#define CLOSE_ACK_SECS 5                // silence: our Close out, theirs in
#define LINGER_SECS 2                   // silence: for the client's FIN
#define LINGER_MAX_SECS 30              // in all: for the client's FIN
#define IOV_MAX_FRAMES 64               // frames per sendmsg()
#define USEC 1000000

static void deadline_cb(lws_sorted_usec_list_t *sul);

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

/* --- its life: accepted, joined, gone --- */

static void peer_address(struct lws *wsi, char *addr, size_t size)
{
	lws_get_peer_simple(wsi, addr, size);
	if (!strncmp(addr, "::ffff:", 7)) {
		// an IPv4 client of a dual-stack socket
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
	}
}

struct wsc_peer *peer_new(struct lws *wsi)
{
	struct wsc_peer *p = calloc(1, sizeof(*p));

	if (!p || !(p->head = malloc(sizeof(*p->head)))) {
		free(p);
		return NULL;
	}
	httphead_init(p->head, true);
	p->wsi = wsi;
	p->fd = lws_get_socket_fd(wsi);
	p->state = PEER_HEAD;
	peer_address(wsi, p->addr, sizeof(p->addr));
	lws_set_opaque_user_data(wsi, p);
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, HEAD_SECS);
	return p;
}

void peer_open(struct room *r, struct wsc_peer *p)
{
	p->state = PEER_OPEN;
	p->max = room_max(r);
	roomq_init(&p->q, &r->budget);
	roomrx_init(&p->rx, &r->budget, p->max);
	msg_init(&p->in, &(struct msg_params){ .role = FRAME_ROLE_SERVER,
		.pmd = p->pmd ? &p->pmdp : NULL, .max_size = p->max });
}

void peer_free(struct wsc_peer *p)
{
	if (p->id) {
		roomq_finish(&p->q);
		roomrx_finish(&p->rx);
		msg_finish(&p->in);
	}
	lws_sul_cancel(&p->sul);
	free(p->head);
	free(p->raw);
	free(p);
}

/* --- flow control --- */

void peer_waited(struct room *r, struct wsc_peer *p, lws_usec_t now)
{
	p->rx_at = now;
	if (p->rx.msg) {
		peer_arm(r, p, now + (lws_usec_t)PEER_UNFINISHED_SECS * USEC);
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
		peer_waited(r, p, lws_now_usecs());
	}
	if (!r->hold_input && !p->close_got) {
		lws_rx_flow_control(p->wsi, unread ? 0 : 1);
	}
}

/* --- sending --- */

void peer_close(struct room *r, struct wsc_peer *p, unsigned code,
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
	room_update_flow(r);
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

void peer_push(struct room *r, struct wsc_peer *p, struct roommsg *m)
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

/* --- closing: deadlines, linger --- */

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

void peer_linger_more(struct wsc_peer *p)
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

	peer_deadlines(room_of(p->wsi), p);
}

/* --- writing --- */

/* The pending HTTP bytes, then frames, many per sendmsg(). */
int peer_flush(struct room *r, struct wsc_peer *p)
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
	room_update_flow(r);
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

/* --- receiving --- */

/*
 * A message from p is complete: printed, then relayed (in chat mode a
 * text has "NAME: " in front already, unless it is a /nick request, which
 * is answered instead). The console shows the sender as "[#3]" (by
 * number) or, in chat mode, by name.
 */
static void deliver(struct room *r, struct wsc_peer *p)
{
	size_t lead = p->rx.lead;
	struct roommsg *m = roomrx_take(&p->rx);
	const unsigned char *said = roommsg_payload(m) + lead;
	char who[32];

	r->received++;
	if (lead && roomchat_request(r, p, said, m->len - lead)) {
		roommsg_unref(m);
		return;
	}
	snprintf(who, sizeof(who), "#%u", p->id);
	r->w->out.peer = r->chat ? p->name : who;
	r->w->out.peer_named = r->chat;
	r->w->out.peer_id = p->id;
	output_begin(&r->w->out, roommsg_opcode(m) == FRAME_BINARY);
	output_data(&r->w->out, said, m->len - lead);
	output_end(&r->w->out);
	r->w->out.peer = NULL;
	r->w->out.peer_named = false;
	r->w->out.peer_id = 0;
	if (r->w->out.tty && !r->w->out.sink) {
		output_flush(&r->w->out);
	} else if (output_pending(&r->w->out)) {
		output_flush(&r->w->out);
	}
	room_broadcast(r, p, m);
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
	case MSG_EV_START: {
		// in chat mode a text starts with its sender's "NAME: "
		char lead[ROOMNAME_LEAD_MAX + 1];
		size_t n = ev->binary ? 0 : roomchat_lead(r, p, lead);

		st = roomrx_start(&p->rx, ev->binary, lead, n);
		if (st == ROOMRX_OK) {
			peer_arm(r, p, p->rx_at +
				(lws_usec_t)PEER_UNFINISHED_SECS * USEC);
		}
		break;
	}
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
		room_update_flow(r);
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

void peer_rx(struct room *r, struct wsc_peer *p, unsigned char *buf,
		size_t len)
{
	struct peer_rx to = { r, p };

	p->rx_at = lws_now_usecs();
	if (!p->close_got) {
		msg_read(&p->in, buf, len, on_message, &to);
	}
}

