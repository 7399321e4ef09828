/*
 * replay.c - --replay: the recorded client messages sent at their pace,
 * and with --replay-check the server's messages compared, as they come,
 * with the recorded ones (replay.h).
 */
#include "replay.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "jsonl.h"
#include "log.h"

bool replay_init(struct wsc_replay *r, const struct wsc_opts *opts)
{
	memset(r, 0, sizeof(*r));
	if (!opts->replay) {
		return true;
	}
	r->on = true;
	r->pace = opts->replay_pace;
	r->check = opts->replay_check;
	r->timeout_ms = opts->expect_timeout_ms;
	return replayfile_read(&r->f, opts->replay);
}

void replay_finish(struct wsc_replay *r)
{
	replayfile_free(&r->f);
}

// A message as one short part of a line: its kind, start and size.
static void describe(char *out, size_t size, bool binary,
		const unsigned char *p, size_t len, size_t total)
{
	char q[REPLAY_SHOW_MAX * 6 + 8];
	size_t n = len < REPLAY_SHOW_MAX ? len : REPLAY_SHOW_MAX;

	if (binary) {
		size_t o = 0;

		for (size_t i = 0; i < n && i < REPLAY_SHOW_MAX / 3; i++) {
			o += (size_t)snprintf(q + o, sizeof(q) - o, "%s%02x",
				i ? " " : "", p[i]);
		}
		if (!o) {
			q[0] = '\0';
		}
		snprintf(out, size, "binary [%s%s] (%zu bytes)", q,
			total > REPLAY_SHOW_MAX / 3 ? " ..." : "", total);
		return;
	}
	// do not cut a UTF-8 sequence in two
	while (n < total && n > 0 && (p[n] & 0xc0) == 0x80) {
		n--;
	}
	jsonl_quote((const char *)p, n, q, sizeof(q));
	snprintf(out, size, "text %s%s (%zu bytes)", q, n < total ? "..." : "",
		total);
}

static void wait_cb(lws_sorted_usec_list_t *sul);

// Wait for the server: --expect-timeout of silence from now.
static void wait_server(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;

	r->waiting = true;
	client_schedule(c, &r->sul_wait, wait_cb, r->timeout_ms);
}

static void stop(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;

	r->waiting = false;
	lws_sul_cancel(&r->sul_wait);
	lws_sul_cancel(&r->sul_send);
}

// What the server did not send: one line, exit 4.
static void missing(struct wsc_client *c, const char *how)
{
	struct wsc_replay *r = &c->replay;
	char want[REPLAY_SHOW_MAX * 6 + 64];
	const struct replay_msg *m;

	stop(c);
	r->unmet = true;
	m = &r->f.rx.m[r->received];    // waiting: one is still to come
	describe(want, sizeof(want), m->binary, m->data, m->len, m->len);
	log_err("--replay: recorded server message %lu of %zu not received: "
		"%s; expected %s", r->received + 1, r->f.rx.n, how, want);
}

static void send_cb(lws_sorted_usec_list_t *sul);

// Send what is due; wait for what the pace waits for; at the end, input
// is over (once the recorded replies have come, with --replay-check).
static void pump(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;

	if (r->unmet || c->at.close.closing) {
		return;
	}
	while (r->next < r->f.sent.n) {
		const struct replay_msg *m = &r->f.sent.m[r->next];

		if (r->pace == WSC_PACE_REPLIES && r->received < m->rx_before) {
			if (!r->waiting) {
				wait_server(c);
			}
			return;
		}
		if (r->pace == WSC_PACE_RECORDED) {
			double off = m->t - r->f.t_open;
			int64_t due = r->open_us + (int64_t)(off > 0 ? off * 1e6 : 0);
			int64_t now = lws_now_usecs();

			if (due > now) {
				lws_sul_schedule(c->w->ctx, 0, &r->sul_send, send_cb,
					due - now);
				return;
			}
		}
		r->next++;
		client_send(c, m->binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT,
			m->data, m->len);
		if (r->unmet || c->at.close.closing) {
			return;
		}
	}
	if (r->check && r->received < r->f.rx.n) {
		if (!r->waiting) {
			wait_server(c);
		}
		return;
	}
	stop(c);
	// the replay is the input (input.c): it is over now
	c->w->input_done = true;
	closing_maybe_finish(c);
}

static void send_cb(lws_sorted_usec_list_t *sul)
{
	pump(lws_container_of(sul, struct wsc_client, replay.sul_send));
}

static void wait_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		replay.sul_wait);
	char how[96];

	snprintf(how, sizeof(how), "nothing for %.1f s (--expect-timeout)",
		(double)c->replay.timeout_ms / 1000);
	missing(c, how);
	closing_start(c, 1000, "");
}

void replay_opened(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;

	if (!r->on) {
		return;
	}
	r->open_us = lws_now_usecs();
	r->next = 0;
	r->received = 0;
	pump(c);
}

void replay_rx_begin(struct wsc_client *c, bool binary)
{
	struct wsc_replay *r = &c->replay;

	r->rx_binary = binary;
	r->rx_len = 0;
	r->rx_differs = r->check && r->received < r->f.rx.n &&
		r->f.rx.m[r->received].binary != binary;
}

void replay_rx_data(struct wsc_client *c, const void *p, size_t n)
{
	struct wsc_replay *r = &c->replay;
	const struct replay_msg *m;

	if (!r->check || r->unmet) {
		return;
	}
	if (r->rx_len < REPLAY_SHOW_MAX) {
		size_t k = n < REPLAY_SHOW_MAX - r->rx_len ? n :
			REPLAY_SHOW_MAX - r->rx_len;

		memcpy(r->rx_show + r->rx_len, p, k);
	}
	if (r->received < r->f.rx.n && !r->rx_differs) {
		m = &r->f.rx.m[r->received];
		r->rx_differs = r->rx_len > m->len || n > m->len - r->rx_len ||
			memcmp(m->data + r->rx_len, p, n);
	}
	r->rx_len += n;
}

void replay_rx_end(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;
	char want[REPLAY_SHOW_MAX * 6 + 64], got[REPLAY_SHOW_MAX * 6 + 64];
	const struct replay_msg *m;

	if (!r->on || r->unmet) {
		return;
	}
	if (r->check && !c->at.close.closing) {
		if (r->received >= r->f.rx.n) {
			describe(got, sizeof(got), r->rx_binary, r->rx_show,
				r->rx_len, r->rx_len);
			log_err("--replay-check: server message %lu was not recorded "
				"(the recording has %zu): received %s", r->received + 1,
				r->f.rx.n, got);
			r->unmet = true;
		} else if (r->rx_differs ||
				r->rx_len != r->f.rx.m[r->received].len) {
			m = &r->f.rx.m[r->received];
			describe(want, sizeof(want), m->binary, m->data, m->len,
				m->len);
			describe(got, sizeof(got), r->rx_binary, r->rx_show,
				r->rx_len, r->rx_len);
			log_err("--replay-check: server message %lu differs: "
				"expected %s, received %s", r->received + 1, want, got);
			r->unmet = true;
		}
		if (r->unmet) {
			stop(c);
			closing_start(c, 1000, "");
			return;
		}
	}
	r->received++;
	// silence counts from this message: pump() waits again if it must
	r->waiting = false;
	lws_sul_cancel(&r->sul_wait);
	pump(c);
}

void replay_conn_over(struct wsc_client *c)
{
	struct wsc_replay *r = &c->replay;

	if (!r->on) {
		return;
	}
	if (r->waiting && !r->unmet && !c->signals) {
		missing(c, "the connection closed");
	}
	stop(c);
}
