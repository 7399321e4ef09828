/*
 * server.c - the --listen mode. Each client is a struct wsc_peer (lws
 * per-session data) with its own bounded send queue; a message from one is
 * printed and relayed to the others (or echoed with --echo); input goes to
 * all. A client whose queue overflows is closed with 1008 so it cannot
 * stall the others. GET / serves the chat page; other paths get 404.
 */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chatpage.h"
#include "events.h"
#include "headers.h"
#include "input.h"
#include "jsonl.h"
#include "log.h"
#include "repl.h"
#include "wire.h"

#define PEER_QUEUE_MAX (1024 * 1024)    // bytes queued for one client
#define PEER_HIGH (256 * 1024)          // above: pause every source
#define PEER_LOW (64 * 1024)            // all below: resume them
#define PEER_STUCK_SECS 2               // behind, no progress: dropped
#define PEER_MESSAGE_MAX (16 * 1024 * 1024)  // default largest message

struct wsc_peer {
	struct wsc_peer *next;
	struct lws *wsi;
	unsigned id;
	char addr[64];
	struct wsc_sendq q;
	bool kill;              // too slow: close with 1008
	bool stuck;             // behind: dropped unless it catches up in time
	bool closing;           // close with close_code once drained
	unsigned close_code;
	char *rx;               // the message being received
	size_t rx_len, rx_cap;
	bool rx_binary;
};

struct wsc_peer *server_next(struct wsc_peer *p)
{
	return p->next;
}

static struct wsc *ctx_wsc(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static void leave_when_empty(struct wsc *w)
{
	if (w->closing && !w->peers) {
		w->done = true;
		lws_cancel_service(w->ctx);
	}
}

/* --- flow control --- */

static bool any_peer_above(struct wsc *w, size_t mark)
{
	for (struct wsc_peer *p = w->peers; p; p = p->next) {
		if (!p->kill && p->q.cost > mark) {
			return true;
		}
	}
	return false;
}

/*
 * While a client's queue is above PEER_HIGH, stop reading stdin and every
 * client, so a burst waits instead of overflowing a reader that is merely
 * slower; resume when all are below PEER_LOW. A client that is behind and
 * takes nothing for PEER_STUCK_SECS is dropped, which bounds the stall for
 * the others.
 */
static void update_flow(struct wsc *w)
{
	bool hold = w->hold_input ? any_peer_above(w, PEER_LOW) :
		any_peer_above(w, PEER_HIGH);

	if (hold == w->hold_input) {
		return;
	}
	w->hold_input = hold;
	for (struct wsc_peer *p = w->peers; p; p = p->next) {
		lws_rx_flow_control(p->wsi, hold ? 0 : 1);
	}
	if (!hold) {
		input_resume(w);
	}
}

static void stuck_deadline(struct wsc *w, struct wsc_peer *p, bool on)
{
	if (on == p->stuck) {
		return;
	}
	p->stuck = on;
	if (on) {
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, PEER_STUCK_SECS);
	} else {
		lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	}
}

/* --- sending to clients --- */

static void peer_push(struct wsc *w, struct wsc_peer *p, enum wsc_frame kind,
		const void *data, size_t len)
{
	if (p->kill || p->closing) {
		return;
	}
	// one message may be big; a queue that is already behind may not grow
	if (!sendq_empty(&p->q) && p->q.cost + len > PEER_QUEUE_MAX) {
		p->kill = true;
		log_err("client #%u (%s) is too slow: closing it with 1008", p->id,
			p->addr);
		// it may never read again: do not wait for it to be writable
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, PEER_STUCK_SECS);
	} else if (!sendq_push(&p->q, kind, true, true, data, len)) {
		p->kill = true;
		log_err("client #%u: out of memory", p->id);
	} else if (p->q.cost > PEER_HIGH) {
		stuck_deadline(w, p, true);
		update_flow(w);
	}
	lws_callback_on_writable(p->wsi);
}

static void broadcast(struct wsc *w, struct wsc_peer *from,
		enum wsc_frame kind, const void *data, size_t len)
{
	for (struct wsc_peer *p = w->peers; p; p = p->next) {
		if (w->opts->echo ? p == from : p != from) {
			peer_push(w, p, kind, data, len);
		}
	}
}

bool server_input(struct wsc *w, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	if (kind == WSC_FRAME_PING || kind == WSC_FRAME_PONG) {
		for (struct wsc_peer *p = w->peers; p; p = p->next) {
			peer_push(w, p, kind, data, len);
		}
		return true;
	}
	// a long line arrives in pieces: relay it whole, never interleaved
	if (first) {
		w->in_len = 0;
	}
	if (len > w->in_cap - w->in_len) {
		size_t cap = (w->in_len + len) * 2;
		char *n = realloc(w->in_msg, cap);

		if (!n) {
			log_err("out of memory");
			return false;
		}
		w->in_msg = n;
		w->in_cap = cap;
	}
	memcpy(w->in_msg + w->in_len, data, len);
	w->in_len += len;
	if (last) {
		broadcast(w, NULL, kind, w->in_msg, w->in_len);
		if (w->opts->echo) {
			// --echo has no sender here: input still reaches everyone
			for (struct wsc_peer *p = w->peers; p; p = p->next) {
				peer_push(w, p, kind, w->in_msg, w->in_len);
			}
		}
	}
	return true;
}

static void close_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = lws_container_of(sul, struct wsc, sul_close);

	log_err("clients still connected after %.3g s (--close-timeout)",
		(double)w->opts->close_timeout_ms / 1000.0);
	w->done = true;
	lws_cancel_service(w->ctx);
}

void server_close(struct wsc *w, unsigned code, const char *reason)
{
	if (w->closing) {
		w->done = true;     // asked twice: leave now
		lws_cancel_service(w->ctx);
		return;
	}
	w->closing = true;
	input_stop(w);
	for (struct wsc_peer *p = w->peers; p; p = p->next) {
		p->closing = true;
		p->close_code = code;
		lws_callback_on_writable(p->wsi);
	}
	lws_sul_schedule(w->ctx, 0, &w->sul_close, close_timeout_cb,
		(lws_usec_t)w->opts->close_timeout_ms * 1000);
	leave_when_empty(w);
}

/* --- receiving from clients --- */

static void deliver(struct wsc *w, struct wsc_peer *p)
{
	char who[32];

	snprintf(who, sizeof(who), "#%u", p->id);
	w->out.peer = who;
	w->out.peer_id = p->id;
	output_begin(&w->out, p->rx_binary);
	output_data(&w->out, p->rx, p->rx_len);
	output_end(&w->out);
	w->out.peer = NULL;
	w->out.peer_id = 0;
	if (w->out.tty && !w->out.sink) {
		output_flush(&w->out);
	} else if (output_pending(&w->out)) {
		output_flush(&w->out);
	}
	w->received++;
	broadcast(w, p, p->rx_binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT,
		p->rx, p->rx_len);
}

static int on_receive(struct wsc *w, struct wsc_peer *p, struct lws *wsi,
		const void *in, size_t len)
{
	unsigned long long max = w->opts->max_size ? w->opts->max_size :
		PEER_MESSAGE_MAX;

	if (lws_is_first_fragment(wsi)) {
		p->rx_len = 0;
		p->rx_binary = lws_frame_is_binary(wsi);
	}
	if (p->rx_len + len + lws_remaining_packet_payload(wsi) > max) {
		log_err("client #%u sent a message larger than %llu bytes: "
			"closing it with 1009", p->id, max);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			(unsigned char *)"message too big", 15);
		return -1;
	}
	if (len > p->rx_cap - p->rx_len) {
		size_t cap = (p->rx_len + len) * 2;
		char *n = realloc(p->rx, cap);

		if (!n) {
			return -1;
		}
		p->rx = n;
		p->rx_cap = cap;
	}
	memcpy(p->rx + p->rx_len, in, len);
	p->rx_len += len;
	if (lws_is_final_fragment(wsi)) {
		deliver(w, p);
	}
	return 0;
}

static int peer_write(struct wsc *w, struct wsc_peer *p, struct lws *wsi)
{
	struct wsc_sendq_item *it;

	if (p->kill) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			(unsigned char *)"too slow", 8);
		return -1;
	}
	// as many frames as the socket takes now, not one per wake-up
	for (int budget = 64; budget-- && (it = sendq_peek(&p->q));) {
		if (!wsc_write_frame(wsi, &p->q, it)) {
			return -1;
		}
		sendq_pop(&p->q);
		if (lws_send_pipe_choked(wsi)) {
			break;
		}
	}
	if (p->stuck) {
		if (p->q.cost <= PEER_LOW) {
			stuck_deadline(w, p, false);
			update_flow(w);
		} else {
			// it is reading: what counts is 2 s without progress
			lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, PEER_STUCK_SECS);
		}
	} else if (w->hold_input && p->q.cost <= PEER_LOW) {
		update_flow(w);
	}
	if (!sendq_empty(&p->q)) {
		lws_callback_on_writable(wsi);
	} else if (p->closing) {
		lws_close_reason(wsi, (enum lws_close_status)p->close_code,
			NULL, 0);
		return -1;
	}
	return 0;
}

static void flush_before_close(struct wsc_peer *p, struct lws *wsi)
{
	struct wsc_sendq_item *it;

	while ((it = sendq_peek(&p->q)) && !p->kill &&
			!lws_send_pipe_choked(wsi)) {
		if ((it->kind == WSC_FRAME_TEXT || it->kind == WSC_FRAME_BINARY) &&
				!wsc_write_frame(wsi, &p->q, it)) {
			return;
		}
		sendq_pop(&p->q);
	}
}

/* --- HTTP: the chat page --- */

static int serve_http(struct lws *wsi, const char *path)
{
	unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof(buf) - 1;

	if (strcmp(path, "/") && strcmp(path, "/index.html")) {
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL)) {
			return -1;
		}
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK,
			"text/html; charset=utf-8", chatpage_len, &p, end) ||
			lws_add_http_header_by_name(wsi,
			(const unsigned char *)"cache-control:",
			(const unsigned char *)"no-store", 8, &p, end) ||
			lws_add_http_header_by_name(wsi,
			(const unsigned char *)"x-content-type-options:",
			(const unsigned char *)"nosniff", 7, &p, end) ||
			lws_finalize_write_http_header(wsi, start, &p, end)) {
		return -1;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_page(struct lws *wsi)
{
	unsigned char *buf = malloc(LWS_PRE + chatpage_len);
	int n;

	if (!buf) {
		return -1;
	}
	memcpy(buf + LWS_PRE, chatpage_html, chatpage_len);
	n = lws_write(wsi, buf + LWS_PRE, chatpage_len, LWS_WRITE_HTTP_FINAL);
	free(buf);
	if (n < (int)chatpage_len) {
		return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* --- subprotocols --- */

// Does the client's Sec-WebSocket-Protocol list name one of ours?
static bool offers_ours(const struct wsc_opts *o, const char *list, size_t n)
{
	char name[128];
	size_t i = 0;

	while (i < n) {
		size_t k = 0;

		while (i < n && (list[i] == ' ' || list[i] == ',' ||
				list[i] == '\t')) {
			i++;
		}
		while (i < n && list[i] != ',' && list[i] != ' ' &&
				list[i] != '\t' && list[i] != '\r') {
			if (k < sizeof(name) - 1) {
				name[k++] = list[i];
			}
			i++;
		}
		name[k] = '\0';
		if (k && headers_protocol_offered(o->protocols, name)) {
			return true;
		}
		if (i < n && list[i] == '\r') {
			break;
		}
	}
	return false;
}

static struct wsc *filter_wsc;  // the wire filter has no user pointer

/*
 * libwebsockets 4.1 refuses a client whose Sec-WebSocket-Protocol names
 * none of the server's protocols; the contract accepts it without one.
 * Renaming the header (same length) in the bytes lws reads makes lws see
 * no offer, so it binds the default protocol and answers without one.
 */
static void request_filter(int fd, char *buf, size_t n)
{
	static const char h[] = "\r\nsec-websocket-protocol:";
	const size_t hl = sizeof(h) - 1;

	if (!filter_wsc || filter_wsc->opts->require_protocol || n < 4 ||
			memcmp(buf, "GET ", 4)) {
		return;
	}
	for (size_t i = 0; i + hl <= n; i++) {
		if (!strncasecmp(buf + i, h, hl)) {
			char *v = buf + i + hl;

			if (!offers_ours(filter_wsc->opts, v, n - i - hl)) {
				buf[i + hl - 2] = 'X';  // sec-websocket-protocoX:
			}
			return;
		}
	}
}

/* --- the callback --- */

static int server_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct wsc *w = ctx_wsc(wsi);
	struct wsc_peer *p = user, **pp;
	char proto[256];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return serve_http(wsi, in ? (const char *)in : "/");

	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_page(wsi);

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (w->closing) {
			return -1;
		}
		if (w->opts->require_protocol) {
			int l = lws_hdr_copy(wsi, proto, sizeof(proto),
				WSI_TOKEN_PROTOCOL);

			if (l <= 0 || !offers_ours(w->opts, proto, (size_t)l)) {
				lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
					"no supported subprotocol offered");
				return 1;
			}
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof(*p));
		p->wsi = wsi;
		p->id = ++w->next_id;
		sendq_init(&p->q, PEER_QUEUE_MAX, LWS_PRE);
		lws_get_peer_simple(wsi, p->addr, sizeof(p->addr));
		if (!strncmp(p->addr, "::ffff:", 7)) {
			// an IPv4 client of a dual-stack socket
			memmove(p->addr, p->addr + 7, strlen(p->addr + 7) + 1);
		}
		p->next = w->peers;
		w->peers = p;
		log_info("client #%u joined from %s%s%s", p->id, p->addr,
			*lws_get_protocol(wsi)->name ? ", subprotocol " : "",
			lws_get_protocol(wsi)->name);
		return 0;

	case LWS_CALLBACK_RECEIVE:
		return on_receive(w, p, wsi, in, len);

	case LWS_CALLBACK_SERVER_WRITEABLE:
		return peer_write(w, p, wsi);

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		// lws answers the Close as soon as this returns: first send what
		// is still queued for this client (its echoes, say), as far as the
		// socket takes it now
		flush_before_close(p, wsi);
		return 0;

	case LWS_CALLBACK_CLOSED:
		for (pp = &w->peers; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
		if (!p->kill && p->stuck) {
			log_err("client #%u (%s) is too slow: it stopped reading; "
				"dropped after %d s", p->id, p->addr, PEER_STUCK_SECS);
		}
		log_info("client #%u (%s) left", p->id, p->addr);
		sendq_finish(&p->q);
		free(p->rx);
		p->rx = NULL;
		update_flow(w);
		leave_when_empty(w);
		return 0;

	default:
		return 0;
	}
}

/* --- running --- */

static bool parse_listen(const char *arg, char *host, size_t size, int *port)
{
	const char *colon = strrchr(arg, ':');
	unsigned long long v;
	const char *why, *ps = colon ? colon + 1 : arg;

	if (colon) {
		size_t hl = (size_t)(colon - arg);

		if (hl && arg[0] == '[' && arg[hl - 1] == ']') {
			arg++;
			hl -= 2;
		}
		if (!hl || hl >= size) {
			return false;
		}
		memcpy(host, arg, hl);
		host[hl] = '\0';
	} else {
		snprintf(host, size, "127.0.0.1");
	}
	if (!options_parse_uint(ps, 0, 65535, &v, &why)) {
		return false;
	}
	*port = (int)v;
	return true;
}

enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd)
{
	struct lws_protocols protocols[WSC_MAX_LIST + 3];
	struct lws_context_creation_info info;
	char names[WSC_PROTOCOLS_MAX];
	struct lws_vhost *vh;
	size_t n = 0;
	struct wsc w;
	char host[128];
	int port;

	if (!parse_listen(opts->listen, host, sizeof(host), &port)) {
		log_err("--listen: expected [HOST:]PORT: '%s'", opts->listen);
		return WSC_EXIT_USAGE;
	}
	if (!wsc_init(&w, opts, true)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}

	// protocol 0 has no name: HTTP, and clients that offer none of ours
	protocols[n++] = (struct lws_protocols){ "", server_cb,
		sizeof(struct wsc_peer), WSC_READ_CHUNK, 0, NULL, 0 };
	snprintf(names, sizeof(names), "%s", opts->protocols);
	for (char *s = names, *save = NULL, *t; (t = strtok_r(s, ",", &save));
			s = NULL) {
		if (n < WSC_MAX_LIST) {
			protocols[n++] = (struct lws_protocols){ t, server_cb,
				sizeof(struct wsc_peer), WSC_READ_CHUNK, 0, NULL, 0 };
		}
	}
	protocols[n++] = input_protocol_stdin;
	protocols[n++] = input_protocol_signal;
	protocols[n++] = repl_protocol;
	protocols[n] = (struct lws_protocols){ NULL, NULL, 0, 0, 0, NULL, 0 };

	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.user = &w;
	// not HEADERS_SECURITY_BEST_PRACTICES_ENFORCE: its CSP forbids the
	// page's own inline script
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.fd_limit_per_thread = 1024;
	info.timeout_secs = 10;

	filter_wsc = &w;
	wire_set_request_filter(request_filter);
	w.ctx = lws_create_context(&info);
	if (!w.ctx) {
		log_err("--listen: cannot listen on %s:%d", host, port);
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	vh = lws_get_vhost_by_name(w.ctx, "default");
	log_note("listening on %s%s%s:%d", strchr(host, ':') ? "[" : "",
		host, strchr(host, ':') ? "]" : "", lws_get_vhost_listen_port(vh));
	events_init(&w);
	w.st.ready = WSC_OPEN;
	if (input_start(&w, vh, sigfd)) {
		while (!w.done) {
			if (lws_service(w.ctx, 0) < 0) {
				break;
			}
		}
	}
	output_flush(&w.out);
	repl_finish(&w);
	lws_context_destroy(w.ctx);
	wire_set_request_filter(NULL);
	filter_wsc = NULL;
	wsc_finish(&w);
	return WSC_EXIT_OK;
}
