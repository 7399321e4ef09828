/*
 * rpc.c - --rpc: requests given ids and paired with their replies, their
 * round trips said, the replies that do not come (rpc.h).
 *
 * The outstanding requests are an array in the order they were written,
 * [head, n): replies mostly come in order, so the search from the oldest
 * mostly stops at once. Answered ones before the oldest open one are
 * passed by head; answered ones after it stay until the array is full,
 * when they are dropped and the open ones moved to the front.
 */
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "jsonl.h"
#include "jsonpath.h"
#include "log.h"
#include "output.h"

#define ERROR_SHOW 120      // bytes of an error reply's "error" shown

void rpc_init(struct rpc *r, const struct wsc_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->on = opts->rpc;
	r->timeout_ms = opts->expect_timeout_ms;
	r->next_id = 1;
}

// (its timer stopped with the connection: rpc_conn_over())
void rpc_finish(struct rpc *r)
{
	free(r->req);
	r->req = NULL;
	buf_free(&r->tx);
	buf_free(&r->out);
	buf_free(&r->rx);
	buf_free(&r->said);
}

bool rpc_full(const struct rpc *r, bool resume)
{
	return r->on && r->open >= (resume ? RPC_WINDOW / 2 : RPC_WINDOW);
}

// What we sent, on one line: its start, control bytes as '?'.
static void show(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < size; i++) {
		unsigned char b = (unsigned char)s[i];

		out[o++] = b < 0x20 || b == 0x7f ? '?' : (char)b;
	}
	if (o < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

// What the server sent, on one line: its start, terminal-safe.
static void show_received(char *out, const char *s, size_t n)
{
	unsigned char pend[4];
	size_t npend = 0, k = n < ERROR_SHOW ? n : ERROR_SHOW;
	size_t o = output_escape((const unsigned char *)s, k, true, pend, &npend,
		out);

	if (k < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* --- requests --- */

// Keep only the requests not answered, in order, at the front.
static void compact(struct rpc *r)
{
	size_t w = 0, unstamped = SIZE_MAX;

	for (size_t i = r->head; i < r->n; i++) {
		if (r->req[i].answered) {
			continue;
		}
		if (w != i) {
			r->req[w] = r->req[i];
		}
		if (!r->req[w].sent_us && unstamped == SIZE_MAX) {
			unstamped = w;
		}
		w++;
	}
	r->n = w;
	r->head = 0;
	r->unstamped = unstamped == SIZE_MAX ? w : unstamped;
}

/*
 * Room for one more at the end. The array holds the open requests (at
 * most the window and one read of input) and the answered ones among
 * them, which a compaction drops: it grows only when more than half is
 * open.
 */
static struct rpc_request *new_request(struct rpc *r)
{
	if (r->n == r->cap) {
		compact(r);
		if (r->n == r->cap || r->n > r->cap / 2) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			struct rpc_request *p = realloc(r->req, cap * sizeof(*p));

			if (!p) {
				return NULL;
			}
			r->req = p;
			r->cap = cap;
		}
	}
	// (not memset: the id and method arrays are filled by the caller)
	r->req[r->n].method[0] = '\0';
	r->req[r->n].sent_us = 0;
	r->req[r->n].answered = false;
	return &r->req[r->n++];
}

static void timeout_cb(lws_sorted_usec_list_t *sul);

// The oldest request not answered, or NULL.
static struct rpc_request *oldest(struct rpc *r)
{
	while (r->head < r->n && r->req[r->head].answered) {
		r->head++;
	}
	return r->head < r->n ? &r->req[r->head] : NULL;
}

// Watch the oldest request's deadline (the others' come after it).
static void arm(struct wsc_client *c)
{
	struct rpc *r = &c->rpc;
	const struct rpc_request *q = oldest(r);
	int64_t now = lws_now_usecs(), due;

	if (!q || r->lost) {
		lws_sul_cancel(&r->sul);
		return;
	}
	due = q->sent_us ? q->sent_us + r->timeout_ms * 1000 : now +
		r->timeout_ms * 1000;
	lws_sul_schedule(c->w->ctx, 0, &r->sul, timeout_cb, due > now ?
		due - now : 0);
}

// The reply to q did not come: one line, exit 4, and the end.
static void lost(struct wsc_client *c, const struct rpc_request *q,
		const char *why)
{
	struct rpc *r = &c->rpc;
	char more[64] = "";

	r->lost = true;
	lws_sul_cancel(&r->sul);
	if (r->open > 1) {
		snprintf(more, sizeof(more), " (%zu more outstanding)", r->open - 1);
	}
	log_err("no reply to %.*s%s%s%s: %s%s", (int)q->id_len, q->id,
		*q->method ? " (" : "", q->method, *q->method ? ")" : "", why,
		more);
}

static void timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		rpc.sul);
	struct rpc *r = &c->rpc;
	const struct rpc_request *q = oldest(r);
	char why[64];

	if (!q) {
		return;
	}
	if (!q->sent_us || lws_now_usecs() - q->sent_us < r->timeout_ms * 1000) {
		arm(c);     // an earlier one was answered: the next one's turn
		return;
	}
	snprintf(why, sizeof(why), "timed out (--expect-timeout) after %.1f s",
		(double)r->timeout_ms / 1000);
	lost(c, q, why);
	closing_start(c, 1000, "");
}

// Index of the first byte that is not JSON whitespace.
static size_t skip_ws(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			s[i] == '\r')) {
		i++;
	}
	return i;
}

// "id":N, into out (32 bytes); its length.
static size_t id_text(char *out, unsigned long long v)
{
	char digits[24];
	size_t nd = 0, o = 5;

	memcpy(out, "\"id\":", 5);
	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (nd) {
		out[o++] = digits[--nd];
	}
	out[o++] = ',';
	return o;
}

// A whole message: a request is paired (and given an id), the rest as is.
static bool request(struct wsc_client *c, const char *m, size_t len)
{
	struct rpc *r = &c->rpc;
	static const char *const names[] = { "method", "id" };
	struct jsonpath_span sp[2];
	struct rpc_request *q;
	size_t mat, mlen, iat, ilen, brace = skip_ws(m, len);
	char id[32];

	if (brace >= len || m[brace] != '{' ||
			!jsonpath_members(m, len, names, 2, sp) || !sp[0].found) {
		return client_queue(c, WSC_FRAME_TEXT, m, len, true, true);
	}
	mat = sp[0].at;
	mlen = sp[0].len;
	iat = sp[1].at;
	ilen = sp[1].len;
	if (sp[1].found) {
		if (ilen > RPC_ID_MAX) {
			if (!r->id_too_long_said) {
				r->id_too_long_said = true;
				log_err("--rpc: an id longer than %d bytes is not paired",
					RPC_ID_MAX);
			}
			return client_queue(c, WSC_FRAME_TEXT, m, len, true, true);
		}
	} else {
		// the id goes right after the '{': every other byte as written
		size_t n = id_text(id, r->next_id++);

		buf_clear(&r->out);
		if (!buf_append(&r->out, m, brace + 1, 0) ||
				!buf_append(&r->out, id, n, 0) ||
				!buf_append(&r->out, m + brace + 1, len - brace - 1, 0)) {
			log_err("out of memory");
			c->st.failed = true;
			return false;
		}
		iat = brace + 1 + 5;
		ilen = n - 6;
		mat += n;
		m = (const char *)r->out.p;
		len = r->out.len;
	}
	q = new_request(r);
	if (!q) {
		log_err("out of memory");
		c->st.failed = true;
		return false;
	}
	memcpy(q->id, m + iat, ilen);
	q->id_len = ilen;
	if (m[mat] == '"') {
		show(q->method, sizeof(q->method), m + mat + 1, mlen - 2);
	}
	q->seq = c->queued;
	r->open++;
	r->requests++;
	return client_queue(c, WSC_FRAME_TEXT, m, len, true, true);
}

bool rpc_send(struct wsc_client *c, enum wsc_frame kind, const void *data,
		size_t len, bool first, bool last)
{
	struct rpc *r = &c->rpc;

	if (!r->on || kind != WSC_FRAME_TEXT || c->at.close.closing) {
		return client_queue(c, kind, data, len, first, last);
	}
	if (first && last) {
		return request(c, data, len);
	}
	if (first) {
		buf_clear(&r->tx);
		r->tx_passing = false;
	}
	if (r->tx_passing) {
		return client_queue(c, kind, data, len, false, last);
	}
	if (r->tx.len + len > RPC_MSG_MAX) {
		// too long to pair: what was gathered goes, the rest follows
		r->tx_passing = true;
		return client_queue(c, kind, r->tx.p, r->tx.len, true, false) &&
			client_queue(c, kind, data, len, false, last);
	}
	if (!buf_append(&r->tx, data, len, 0)) {
		log_err("out of memory");
		c->st.failed = true;
		return false;
	}
	return last ? request(c, (const char *)r->tx.p, r->tx.len) : true;
}

void rpc_written(struct wsc_client *c)
{
	struct rpc *r = &c->rpc;
	bool first = !r->sul.list.owner;
	int64_t now = 0;

	if (!r->on) {
		return;
	}
	if (r->unstamped < r->head) {
		r->unstamped = r->head;
	}
	// written in the order queued
	while (r->unstamped < r->n && r->req[r->unstamped].seq < c->sent) {
		if (!now) {
			now = lws_now_usecs();
		}
		r->req[r->unstamped++].sent_us = now;
	}
	if (first && r->open && !r->lost) {
		arm(c);
	}
}

/* --- replies --- */

void rpc_rx_begin(struct wsc_client *c, bool binary)
{
	struct rpc *r = &c->rpc;

	r->rx_on = r->on && !binary && r->open > 0;
	buf_clear(&r->rx);
}

void rpc_rx_data(struct wsc_client *c, const void *p, size_t n)
{
	struct rpc *r = &c->rpc;

	if (!r->rx_on) {
		return;
	}
	if (r->rx.len + n > RPC_MSG_MAX) {
		r->rx_on = false;
		log_err("--rpc: a message larger than %d MiB is not read for a "
			"reply id", RPC_MSG_MAX >> 20);
		return;
	}
	if (!buf_append(&r->rx, p, n, 0)) {
		r->rx_on = false;
		log_err("--rpc: out of memory reading a message for its id");
	}
}

// The outstanding request whose id equals id[0..n), or NULL.
static struct rpc_request *find(struct rpc *r, const char *id, size_t n)
{
	for (size_t i = r->head; i < r->n; i++) {
		struct rpc_request *q = &r->req[i];

		if (!q->answered && ((q->id_len == n && !memcmp(q->id, id, n)) ||
				jsonpath_equal(q->id, q->id_len, id, n))) {
			return q;
		}
	}
	return NULL;
}

/*
 * When the replies in the connection's latest read arrived: the clock is
 * read once per read (the byte count moves with each), not per reply,
 * and the replies that came together are timed to the same moment.
 */
static int64_t rx_now(struct wsc_client *c)
{
	struct rpc *r = &c->rpc;
	unsigned long long rx = conn_rx_bytes(c->conn);

	if (rx != r->rx_read || !r->rx_read_us) {
		r->rx_read = rx;
		r->rx_read_us = lws_now_usecs();
	}
	return r->rx_read_us;
}

bool rpc_rx_end(struct wsc_client *c, struct rpc_reply *rep)
{
	struct rpc *r = &c->rpc;
	const char *m = (const char *)r->rx.p;
	static const char *const names[] = { "id", "error" };
	struct jsonpath_span sp[2];
	struct rpc_request *q;
	size_t brace;

	if (!r->rx_on) {
		return false;
	}
	r->rx_on = false;
	brace = skip_ws(m, r->rx.len);
	if (brace >= r->rx.len || m[brace] != '{' ||
			!jsonpath_members(m, r->rx.len, names, 2, sp) ||
			!sp[0].found || !(q = find(r, m + sp[0].at, sp[0].len))) {
		return false;
	}
	q->answered = true;
	r->open--;
	r->replies++;
	memset(rep, 0, sizeof(*rep));
	oldest(r);  // head past what is answered (q stays where it is)
	rep->id = q->id;
	rep->id_len = q->id_len;
	rep->method = q->method;
	rep->rtt_us = q->sent_us && rx_now(c) > q->sent_us ? rx_now(c) -
		q->sent_us : 0;
	rep->rtt_ms = (double)rep->rtt_us / 1000.0;
	if (sp[1].found) {
		rep->error = true;
		rep->error_text = m + sp[1].at;
		rep->error_len = sp[1].len;
		r->errors++;
	}
	return true;
}

void rpc_fields(const struct rpc_reply *rep, char *out, size_t size)
{
	char method[2 * RPC_METHOD_SHOW + 16];

	jsonl_quote(rep->method, strlen(rep->method), method, sizeof(method));
	snprintf(out, size, ",\"id\":%.*s,\"method\":%s,\"rtt_ms\":%.3f%s",
		(int)rep->id_len, rep->id, method, rep->rtt_ms,
		rep->error ? ",\"rpc_error\":true" : "");
}

void rpc_replied(struct wsc_client *c, const struct rpc_reply *rep)
{
	struct rpc *r = &c->rpc;
	const char *open = *rep->method ? " (" : "";
	const char *close = *rep->method ? ")" : "";
	// what %.3f makes of rtt_ms, without a float conversion per reply
	long long ms = (long long)rep->rtt_us / 1000;
	int frac = (int)((long long)rep->rtt_us % 1000);

	if (rep->error) {
		char err[6 * (ERROR_SHOW + 4) + 4];

		show_received(err, rep->error_text, rep->error_len);
		log_note_held("error reply to %.*s%s%s%s in %lld.%03d ms: %s",
			(int)rep->id_len, rep->id, open, rep->method, close, ms, frac,
			err);
	} else if (!c->opts->jsonl) {
		log_info_held("reply to %.*s%s%s%s in %lld.%03d ms",
			(int)rep->id_len, rep->id, open, rep->method, close, ms, frac);
	}
	stats_latency(&c->stats, rep->rtt_us);
	if (!r->lost && !r->sul.list.owner) {
		arm(c);     // (an armed timer sees to the next deadline itself)
	}
	c->input.resume(c->input.ctx);
	closing_maybe_finish(c);
}

void rpc_conn_over(struct wsc_client *c)
{
	struct rpc *r = &c->rpc;
	const struct rpc_request *q = oldest(r);

	lws_sul_cancel(&r->sul);
	r->rx_read_us = 0;  // a new connection's byte count starts again
	if (!q || r->lost || c->signals) {
		return;     // nothing awaited, said already, or interrupted
	}
	lost(c, q, "the connection closed");
}

void rpc_summary(const struct rpc *r)
{
	if (r->errors) {
		log_note("%lu of %lu replies %s error%s", r->errors, r->replies,
			r->errors == 1 ? "was an" : "were", r->errors == 1 ? "" : "s");
	}
}
