/*
 * room.h - inside the --listen room (server.h is its one outside call):
 * struct room, the session's endpoint, and struct wsc_peer, one
 * connection to it, with the few calls between the files that make the
 * room up. room.c is the room: relaying, flow control, the endpoint ops,
 * idle clients, joining and leaving; roomchat.c its chat mode: names,
 * /nick and what is told to the room; roompeer.c one connection: its
 * writes, deadlines, close and reads; roomhttp.c its HTTP side, up to the
 * 101; server.c listening, admission and running.
 */
#ifndef WSC_ROOM_H
#define WSC_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "admit.h"
#include "buf.h"
#include "deflate.h"
#include "httphead.h"
#include "linebudget.h"
#include "message.h"
#include "roombudget.h"
#include "roomfair.h"
#include "roommsg.h"
#include "roomname.h"
#include "roomq.h"
#include "roomrx.h"
#include "roomz.h"
#include "wsc.h"

struct listening;               // the listening addresses (server.c)

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
	char name[ROOMNAME_MAX + 1];    // its chat name, once joined
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
	lws_usec_t rx_at;       // its last bytes came then (from its join on)
	lws_usec_t tx_at;       // it last took bytes then (or we began closing)
	lws_usec_t close_at;    // our Close was written then
	lws_usec_t linger_at;   // we shut our write side then
	lws_sorted_usec_list_t sul; // its next deadline (roompeer.c)
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
	bool chat;              // names and announcements (not --plain, --echo)
	char name[ROOMNAME_MAX + 1];    // the console's chat name
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
	size_t in_lead;         // its first bytes: the console's "NAME: "
	bool in_dropped;        // it grew past --max-size: the rest is skipped
	lws_sorted_usec_list_t sul_close;   // --close-timeout
	char host[128];         // the HOST of --listen, for the Origin rule
	int port;               // and its PORT
	struct listening *listening;    // its addresses (server.c)
	struct admit_limits lim;
	unsigned long conns;    // connections counted against max_clients
	unsigned long surplus;  // connections being answered 503
	unsigned long turned_away;  // newcomers answered 503 while full
	bool full;              // the full-room line is printed
	struct linebudget lines;    // joins, leaves and refusals printed
	unsigned long hidden[4];    // those not printed: summed up later
	lws_sorted_usec_list_t sul_lines;
	lws_sorted_usec_list_t sul_idle;    // --idle-timeout ticks
	lws_usec_t idle_ticks[2];   // when the last two ticks ran
	bool idle_armed;
};

/* --- room.c --- */

extern const struct wsc_endpoint_ops room_endpoint;

/* The largest message: --max-size, else the room's default. */
unsigned long long room_max(const struct room *r);

/* The room a connection belongs to. */
struct room *room_of(struct lws *wsi);

enum room_line { LINE_JOIN, LINE_LEAVE, LINE_REFUSAL, LINE_RENAME };

/* May a line about one connection print now? If not, it is counted and
 * the count printed a second after the first one held back. */
bool room_line(struct room *r, enum room_line kind);

/* "refused a client from addr: ...", within the line budget. */
void room_refused(struct room *r, const char *addr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Hold or resume input and every client's reads as memory runs short
 * or frees up again. */
void room_update_flow(struct room *r);

/* m to the room: every client but from, or with --echo to from alone
 * (from NULL: input, to everyone). */
void room_broadcast(struct room *r, struct wsc_peer *from,
	struct roommsg *m);

/* p's 101 is queued (p->raw): it joins, with subprotocol proto ("" for
 * none); rest/n are the bytes that came after its request. */
void room_join(struct room *r, struct wsc_peer *p, const char *proto,
	unsigned char *rest, size_t n);

/* p's connection is closed: it leaves (and is freed); the room leaves
 * too once it is closing and empty. */
void room_gone(struct room *r, struct wsc_peer *p);

/* --- roompeer.c --- */

/* A newcomer on wsi, reading its request head (HEAD_SECS to send it);
 * NULL: out of memory. */
struct wsc_peer *peer_new(struct lws *wsi);

/* p becomes a WebSocket: its queue and readers, within the room's
 * budget and --max-size. */
void peer_open(struct room *r, struct wsc_peer *p);

/* Free p and what it holds. */
void peer_free(struct wsc_peer *p);

/* The room made p wait (flow control): that was not its silence. */
void peer_waited(struct room *r, struct wsc_peer *p, lws_usec_t now);

/* Queue our Close (code 0: none) after what is queued; with drop, the
 * data frames not yet begun go first (a client that failed or is too
 * slow). */
void peer_close(struct room *r, struct wsc_peer *p, unsigned code,
	const char *reason, bool drop);

/* Queue m for p (compressed for it when it agreed to permessage-deflate). */
void peer_push(struct room *r, struct wsc_peer *p, struct roommsg *m);

/* Write what the socket takes now; -1 when the connection is to be
 * closed. */
int peer_flush(struct room *r, struct wsc_peer *p);

/* Bytes from a joined client (unmasked in place). */
void peer_rx(struct room *r, struct wsc_peer *p, unsigned char *buf,
	size_t len);

/* Bytes while lingering: dropped, the silence starts again. */
void peer_linger_more(struct wsc_peer *p);

/* --- roomchat.c --- */

/* p joins (its id is set): named guest-ID; in chat mode it is welcomed
 * and the others are told. */
void roomchat_join(struct room *r, struct wsc_peer *p);

/* p, no longer among the peers, left: in chat mode the others are told. */
void roomchat_leave(struct room *r, struct wsc_peer *p);

/* What goes before a text of p (NULL: the console) relayed in chat mode,
 * "NAME: ", into lead; its length (0 outside chat mode). */
size_t roomchat_lead(const struct room *r, const struct wsc_peer *p,
	char lead[ROOMNAME_LEAD_MAX + 1]);

/* A text t[0..n) that p (NULL: the console) said in chat mode: when it is
 * a /nick request it is answered here and true is returned (it is not
 * relayed). */
bool roomchat_request(struct room *r, struct wsc_peer *p,
	const unsigned char *t, size_t n);

/* --- roomhttp.c --- */

/* Bytes of p's request head; answered when it is complete. -1: close it. */
int roomhttp_read(struct room *r, struct wsc_peer *p, unsigned char *in,
	size_t len);

/* Answer p with head and body (blen bytes), then linger. -1: no memory. */
int roomhttp_answer(struct wsc_peer *p, const char *head, const char *body,
	size_t blen);

/* --- server.c --- */

/* The endpoint's attach: listen on every address of --listen's HOST. */
struct lws_vhost *server_listen(void *ctx, struct lws_context *lc,
	struct lws_context_creation_info *info);

/* The addresses listened on, "127.0.0.1:8081 and [::1]:8081". */
const char *server_where(const struct listening *l);

/* p leaves: its place among max_clients (or the spare) is free again. */
void server_release(struct room *r, struct wsc_peer *p);

#endif
