/*
 * server.c - the --listen mode. Each client is a struct wsc_peer (lws
 * per-session data) with its own bounded send queue; a message from one is
 * printed and relayed to the others (or echoed with --echo); input goes to
 * all. A client whose queue overflows is closed with 1008 so it cannot
 * stall the others. GET / serves the chat page; other paths get 404.
 */
#include "server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
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
#define LISTEN_MAX 8                    // addresses one host name may give
#define HEAD_MAX 4096                   // lws's header buffer (ah_data)

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

/*
 * --- connections before the handshake ---
 *
 * Every refused handshake is reported with the peer's address and why.
 * wsc refuses most itself (handshake_check()); what libwebsockets drops on
 * its own (a malformed request, headers too large, another Upgrade) only
 * shows as a connection that sent request bytes and went away without
 * being answered, so each accepted socket is followed by its fd: the
 * address, the bytes of the pending request (from the wire filter) and
 * whether its head ended.
 */
struct conn {
	bool open;              // accepted, not yet destroyed
	bool done;              // a WebSocket now: no longer followed
	bool confirmed;         // handshake_check() let it through
	size_t bytes;           // request bytes not answered yet
	unsigned crlf;          // how much of "\r\n\r\n" was just seen
	bool head_end;
	char upgrade[32];       // its Upgrade header, if any
	char addr[64];
};

static struct conn *conns;      // by fd
static size_t n_conns;

static struct conn *conn_of(int fd, bool create)
{
	if (fd < 0) {
		return NULL;
	}
	if ((size_t)fd >= n_conns) {
		size_t n = (size_t)fd + 64;
		struct conn *c;

		if (!create || !(c = realloc(conns, n * sizeof(*c)))) {
			return NULL;
		}
		memset(c + n_conns, 0, (n - n_conns) * sizeof(*c));
		conns = c;
		n_conns = n;
	}
	return &conns[fd];
}

static void peer_address(struct lws *wsi, char *addr, size_t size)
{
	lws_get_peer_simple(wsi, addr, size);
	if (!strncmp(addr, "::ffff:", 7)) {
		// an IPv4 client of a dual-stack socket
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
	}
}

static void conn_accepted(struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi);
	struct conn *c = conn_of(fd, true);

	if (c) {
		memset(c, 0, sizeof(*c));
		c->open = true;
		peer_address(wsi, c->addr, sizeof(c->addr));
		lws_set_opaque_user_data(wsi, (void *)(intptr_t)(fd + 1));
	}
}

static struct conn *conn_of_wsi(struct lws *wsi)
{
	intptr_t k = (intptr_t)lws_get_opaque_user_data(wsi);
	struct conn *c = k > 0 ? conn_of((int)(k - 1), false) : NULL;

	return c && c->open ? c : NULL;
}

// A request was answered (served, or refused with a reason): forget it.
static void conn_answered(struct lws *wsi)
{
	struct conn *c = conn_of_wsi(wsi);

	if (c) {
		c->bytes = 0;
		c->crlf = 0;
		c->head_end = false;
		c->confirmed = false;
		c->upgrade[0] = '\0';
	}
}

static void conn_saw(struct conn *c, const char *buf, size_t n)
{
	static const char end[] = "\r\n\r\n", up[] = "\r\nupgrade:";
	const size_t ul = sizeof(up) - 1;

	c->bytes += n;
	for (size_t i = 0; i < n && !c->head_end; i++) {
		c->crlf = buf[i] == end[c->crlf] ? c->crlf + 1 :
			buf[i] == '\r' ? 1 : 0;
		if (c->crlf == 4) {
			c->head_end = true;
		}
		if (buf[i] == '\r' && n - i >= ul &&
				!strncasecmp(buf + i, up, ul)) {
			const char *v = buf + i + ul;
			size_t k = 0, left = n - i - ul;

			while (left && (*v == ' ' || *v == '\t')) {
				v++;
				left--;
			}
			while (k < left && k < sizeof(c->upgrade) - 1 &&
					v[k] != '\r' && v[k] != '\n') {
				c->upgrade[k] = v[k];
				k++;
			}
			c->upgrade[k] = '\0';
		}
	}
}

static void refused(const char *addr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refused(const char *addr, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_info("refused a client from %s: %s", *addr ? addr : "?", why);
}

// The socket is gone: was a request left unanswered?
static void conn_destroyed(struct lws *wsi)
{
	struct conn *c = conn_of_wsi(wsi);

	if (!c) {
		return;
	}
	if (!c->done && c->bytes) {
		if (c->confirmed) {
			refused(c->addr, "libwebsockets refused the handshake");
		} else if (c->bytes >= HEAD_MAX) {
			refused(c->addr, "request too large (%zu bytes)", c->bytes);
		} else if (!c->head_end) {
			refused(c->addr, "incomplete request (closed or timed out "
				"after %zu bytes)", c->bytes);
		} else if (*c->upgrade && strcasecmp(c->upgrade, "websocket")) {
			refused(c->addr, "unsupported Upgrade: %s (HTTP 403)",
				c->upgrade);
		} else {
			refused(c->addr, "malformed HTTP request");
		}
	}
	c->open = false;
	lws_set_opaque_user_data(wsi, NULL);
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

static char *page;              // chatpage_render(): offers our subprotocols
static size_t page_len;

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
			"text/html; charset=utf-8", page_len, &p, end) ||
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
	unsigned char *buf = malloc(LWS_PRE + page_len);
	int n;

	if (!buf) {
		return -1;
	}
	memcpy(buf + LWS_PRE, page, page_len);
	n = lws_write(wsi, buf + LWS_PRE, page_len, LWS_WRITE_HTTP_FINAL);
	free(buf);
	if (n < (int)page_len) {
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

/* --- refusing a handshake --- */

/*
 * Answer status with why as a plain-text body (426 also names the version
 * wsc speaks) and report it; returns 1: lws completes the transaction.
 */
static int refuse(struct lws *wsi, unsigned status, const char *why)
{
	unsigned char buf[LWS_PRE + 768], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof(buf) - 1;
	struct conn *c = conn_of_wsi(wsi);
	char body[512], addr[64] = "";
	int n = snprintf(body, sizeof(body), "%s\n", why);

	if (c) {
		snprintf(addr, sizeof(addr), "%s", c->addr);
	} else {
		peer_address(wsi, addr, sizeof(addr));
	}
	refused(addr, "%s (HTTP %u)", why, status);
	conn_answered(wsi);
	if (lws_add_http_common_headers(wsi, status, "text/plain; charset=utf-8",
			(lws_filepos_t)n, &p, end) ||
			(status == 426 && lws_add_http_header_by_name(wsi,
			(const unsigned char *)"sec-websocket-version:",
			(const unsigned char *)"13", 2, &p, end)) ||
			lws_finalize_write_http_header(wsi, start, &p, end)) {
		return -1;
	}
	memcpy(start, body, (size_t)n);
	if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_FINAL) < n) {
		return -1;
	}
	return 1;
}

// Is token one of the comma-separated items of the header (any case)?
static bool header_has_token(struct lws *wsi, enum lws_token_indexes h,
		const char *token)
{
	char v[256];
	int n = lws_hdr_copy(wsi, v, sizeof(v), h);
	size_t tl = strlen(token);

	for (char *s = v; n > 0 && *s;) {
		size_t len;

		s += strspn(s, " \t,");
		len = strcspn(s, " \t,");
		if (len == tl && !strncasecmp(s, token, tl)) {
			return true;
		}
		s += len;
	}
	return false;
}

/*
 * The checks of RFC 6455 4.2.1, plus what libwebsockets 4.1 would refuse
 * later without a word (its protocol-list limits), so each refusal gets a
 * status and a reason. Returns 0 to go on, else what the callback returns.
 */
static int handshake_check(struct wsc *w, struct lws *wsi, const char *up)
{
	char v[256], key[32];
	unsigned char raw[32];
	int n;

	if (strcasecmp(up, "websocket")) {
		snprintf(v, sizeof(v), "unsupported Upgrade: %.64s", up);
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST, v);
	}
	if (w->closing) {
		return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
			"the server is shutting down");
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
		return refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED,
			"the method is not GET");
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) <= 0) {
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST, "no Host header");
	}
	if (!header_has_token(wsi, WSI_TOKEN_CONNECTION, "upgrade")) {
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
			"the Connection header does not name Upgrade");
	}
	n = lws_hdr_copy(wsi, key, sizeof(key), WSI_TOKEN_KEY);
	if (n <= 0) {
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
			"no Sec-WebSocket-Key");
	}
	if (n != 24 || lws_b64_decode_string(key, (char *)raw,
			sizeof(raw)) != 16) {
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
			"Sec-WebSocket-Key is not 16 bytes in base64");
	}
	n = lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_VERSION);
	if (n != 2 || strcmp(v, "13")) {
		char why[96] = "no Sec-WebSocket-Version (13 needed)";

		if (n > 0) {
			snprintf(why, sizeof(why), "unsupported "
				"Sec-WebSocket-Version: %.32s (13 needed)", v);
		}
		return refuse(wsi, 426, why);
	}
	n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);
	if (n > 126) {
		// lws copies the list into 127 bytes, each name into 64
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
			"Sec-WebSocket-Protocol is longer than 126 bytes");
	}
	if (n > 0) {
		lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_PROTOCOL);
		for (char *s = v; *s;) {
			size_t len;

			s += strspn(s, " \t,");
			len = strcspn(s, " \t,");
			if (len > 63) {
				return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
					"a Sec-WebSocket-Protocol name is longer "
					"than 63 bytes");
			}
			s += len;
		}
	}
	if (w->opts->require_protocol && (n <= 0 ||
			!offers_ours(w->opts, v, (size_t)n))) {
		char why[400];

		if (n > 0) {
			snprintf(why, sizeof(why), "it offered subprotocol %.126s, "
				"none of %.200s", v, w->opts->protocols);
		} else {
			snprintf(why, sizeof(why), "it offered no subprotocol "
				"(--require-subprotocol %.200s)", w->opts->protocols);
		}
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST, why);
	}
	return 0;
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

	struct conn *c = conn_of(fd, false);

	if (c && c->open && !c->done) {
		conn_saw(c, buf, n);
	}
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

	switch (reason) {
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		conn_accepted(wsi);
		return 0;

	case LWS_CALLBACK_WSI_DESTROY:
		conn_destroyed(wsi);
		return 0;

	case LWS_CALLBACK_HTTP:
		conn_answered(wsi);
		return serve_http(wsi, in ? (const char *)in : "/");

	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_page(wsi);

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
		int r = handshake_check(w, wsi, in ? (const char *)in : "");
		struct conn *c = conn_of_wsi(wsi);

		if (!r && c) {
			c->confirmed = true;
		}
		return r;
	}

	case LWS_CALLBACK_ESTABLISHED: {
		struct conn *c = conn_of_wsi(wsi);

		if (c) {
			c->done = true;
		}
		memset(p, 0, sizeof(*p));
		p->wsi = wsi;
		p->id = ++w->next_id;
		sendq_init(&p->q, PEER_QUEUE_MAX, LWS_PRE);
		peer_address(wsi, p->addr, sizeof(p->addr));
		p->next = w->peers;
		w->peers = p;
		log_info("client #%u joined from %s%s%s", p->id, p->addr,
			*lws_get_protocol(wsi)->name ? ", subprotocol " : "",
			lws_get_protocol(wsi)->name);
		return 0;
	}

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
		if (!p || p->wsi != wsi) {
			return 0;   // its handshake failed: it never joined
		}
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
		} else if (memchr(arg, ':', hl)) {
			return false;   // an IPv6 address only in brackets
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
static bool listen_all(struct wsc *w, const char *host, int port,
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
		info->options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
			LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | (v6 ?
			LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
			LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE :
			LWS_SERVER_OPTION_DISABLE_IPV6);
		vhs[bound] = lws_create_vhost(w->ctx, info);
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

enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd)
{
	struct lws_protocols protocols[WSC_MAX_LIST + 3];
	struct lws_context_creation_info info;
	char names[WSC_PROTOCOLS_MAX];
	struct lws_vhost *vh = NULL;
	enum wsc_exit rc = WSC_EXIT_OK;
	size_t n = 0;
	struct wsc w;
	char host[128];
	int port;

	if (!parse_listen(opts->listen, host, sizeof(host), &port)) {
		log_err("--listen: expected [HOST:]PORT (an IPv6 address in "
			"brackets): '%s'", opts->listen);
		return WSC_EXIT_USAGE;
	}
	if (!wsc_init(&w, opts, true)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	page = chatpage_render(opts->protocols, &page_len);
	if (!page) {
		log_err("out of memory");
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
	info.protocols = protocols;
	info.user = &w;
	// not HEADERS_SECURITY_BEST_PRACTICES_ENFORCE: its CSP forbids the
	// page's own inline script
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
		LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = 1024;
	info.timeout_secs = 10;

	filter_wsc = &w;
	wire_set_request_filter(request_filter);
	w.ctx = lws_create_context(&info);
	if (!w.ctx) {
		log_err("cannot create the libwebsockets context");
		rc = WSC_EXIT_FAILURE;
	} else if (!listen_all(&w, host, port, &info, &vh)) {
		rc = WSC_EXIT_FAILURE;
	} else {
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
	}
	if (w.ctx) {
		lws_context_destroy(w.ctx);
	}
	wire_set_request_filter(NULL);
	filter_wsc = NULL;
	free(conns);
	conns = NULL;
	n_conns = 0;
	free(page);
	page = NULL;
	wsc_finish(&w);
	return rc;
}
