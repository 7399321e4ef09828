/*
 * message.c - frames folded into messages (message.h): the frame decoder,
 * the inflater and the hold buffer of one receiving connection.
 */
#include "message.h"

#include <stdio.h>
#include <string.h>

#define HOLD_KEEP 65536         // a bigger hold buffer is freed after use

void msg_init(struct msg_reader *m, const struct msg_params *p)
{
	uint64_t frame_max = p->max_size;

	memset(m, 0, sizeof(*m));
	m->role = p->role;
	m->pmd = p->pmd != NULL;
	if (m->pmd) {
		m->pmdp = *p->pmd;
		m->reset = p->role == FRAME_ROLE_CLIENT ?
			m->pmdp.server_no_context_takeover :
			m->pmdp.client_no_context_takeover;
		// a compressed payload may be a little longer than its
		// message (stored blocks): the inflater judges the limit
		if (frame_max) {
			frame_max += frame_max / 4096 + 64;
		}
	}
	m->max_size = p->max_size;
	m->hold = p->hold;
	frame_decoder_init(&m->dec, p->role, m->pmd, frame_max);
}

void msg_finish(struct msg_reader *m)
{
	deflate_rx_free(m->inf);
	m->inf = NULL;
	buf_free(&m->held);
}

static bool give(struct msg_reader *m, const struct msg_event *ev)
{
	if (m->stopped) {
		return false;
	}
	if (!m->fn(m->arg, ev)) {
		m->stopped = m->over = true;
	}
	return !m->stopped;
}

static bool error(struct msg_reader *m, unsigned code, const char *why,
		bool inflating)
{
	struct msg_event ev = { .type = MSG_EV_ERROR, .code = code,
		.why = why, .compressed = inflating };

	m->over = true;
	give(m, &ev);
	return false;
}

static bool start(struct msg_reader *m)
{
	struct msg_event ev = { .type = MSG_EV_START, .binary = m->binary,
		.compressed = m->compressed };

	return give(m, &ev);
}

// The limit, judged on what the user sees (also for a plain message when
// the frame decoder allows the compression slack), as each span comes.
static bool within(struct msg_reader *m, size_t n)
{
	if (m->max_size && n > m->max_size - m->size) {
		snprintf(m->why, sizeof(m->why), "message of more than %llu "
			"bytes%s", (unsigned long long)m->max_size,
			m->compressed ? " once inflated" : "");
		return error(m, 1009, m->why, m->compressed);
	}
	m->size += n;
	return true;
}

// A span of the message's payload: handed on, or held.
static bool payload(struct msg_reader *m, const unsigned char *p, size_t n)
{
	struct msg_event ev = { .type = MSG_EV_DATA, .data = p, .len = n };
	size_t cap = m->max_size && m->max_size < SIZE_MAX ?
		(size_t)m->max_size : 0;

	if (!m->hold) {
		return give(m, &ev);
	}
	if (!buf_append(&m->held, p, n, cap)) {
		return error(m, 1011, "out of memory", false);
	}
	return true;
}

static bool end(struct msg_reader *m)
{
	struct msg_event ev = { .type = MSG_EV_END, .binary = m->binary,
		.compressed = m->compressed };

	if (m->compressed && m->reset) {
		deflate_rx_free(m->inf);        // a new one each time
		m->inf = NULL;
	}
	if (m->hold) {
		struct msg_event d = { .type = MSG_EV_DATA, .data = m->held.p,
			.len = m->held.len };

		if (!start(m) || (d.len && !give(m, &d))) {
			return false;
		}
		if (m->held.cap > HOLD_KEEP) {
			buf_free(&m->held);     // a big one: give it back
		}
		buf_clear(&m->held);
	}
	return give(m, &ev);
}

static int inflate_sink(void *arg, const unsigned char *d, size_t n)
{
	struct msg_reader *m = arg;
	size_t good = m->binary ? n : utf8check_feed(&m->u8, d, n);

	// as if byte by byte (the inflater's chunks depend on the reads):
	// the first bad byte, unless the limit is passed before it
	if (good < n && (!m->max_size || good <= m->max_size - m->size)) {
		m->bad_utf8 = true;
		return 1;
	}
	return within(m, n) && payload(m, d, n) ? 0 : 1;
}

// A span of a compressed message's payload; fin: its end.
static bool inflate(struct msg_reader *m, const void *p, size_t n, bool fin)
{
	enum deflate_status st = DEFLATE_INTERNAL;
	enum deflate_role self = m->role == FRAME_ROLE_CLIENT ?
		DEFLATE_CLIENT : DEFLATE_SERVER;

	if (!m->inf) {
		m->inf = deflate_rx_new(&m->pmdp, self, 0);    // payload() judges
	}
	if (m->inf) {
		st = deflate_rx_write(m->inf, p, n, fin, inflate_sink, m);
	}
	if (st == DEFLATE_OK && fin && !m->binary && !utf8check_done(&m->u8)) {
		m->bad_utf8 = true;
		st = DEFLATE_STOPPED;
	}
	if (st == DEFLATE_OK) {
		return true;
	}
	if (m->bad_utf8) {
		return error(m, 1007, "compressed text message that is not "
			"valid UTF-8", true);
	}
	switch (st) {
	case DEFLATE_STOPPED:
		return false;   // payload() failed, or the callback stopped
	case DEFLATE_CORRUPT:
		snprintf(m->why, sizeof(m->why), "compressed message that does "
			"not inflate (%s)", deflate_rx_why(m->inf));
		break;
	default:
		snprintf(m->why, sizeof(m->why), "out of memory");
		break;
	}
	return error(m, (unsigned)deflate_close_code(st), m->why, true);
}

// A whole Close from the peer, well formed or not (its verdict is fev's).
static bool close_event(struct msg_reader *m,
		const struct wsc_frame_event *fev)
{
	struct msg_event ev = { .type = MSG_EV_CLOSE, .code = 1005 };

	m->over = true;
	if (fev->type == FRAME_EV_CLOSE) {
		ev.code = fev->code;
		ev.reason = (const char *)fev->data;
		ev.rlen = fev->len;
	} else {
		// the payload as sent: the code, then the reason
		if (fev->len >= 2) {
			ev.code = (unsigned)(fev->data[0] << 8 | fev->data[1]);
			ev.reason = (const char *)fev->data + 2;
			ev.rlen = fev->len - 2;
		}
		ev.fault = fev->code;
		ev.why = fev->why;
	}
	give(m, &ev);
	return false;
}

bool msg_read(struct msg_reader *m, unsigned char *buf, size_t len,
		msg_fn fn, void *arg)
{
	const unsigned char *span = NULL;
	size_t slen = 0;

	m->fn = fn;
	m->arg = arg;
	m->stopped = false;
	while (!m->over && !m->stopped) {
		struct wsc_frame_event ev;
		struct msg_event me = { .type = MSG_EV_PING };
		size_t used = frame_decode(&m->dec, buf, len, &ev);

		buf += used;
		len -= used;
		// plain text found invalid: what came before it in this read
		// is dropped with it
		if (span && !(ev.type == FRAME_EV_ERROR && ev.code == 1007 &&
				!ev.close) && !payload(m, span, slen)) {
			break;
		}
		span = NULL;
		switch (ev.type) {
		case FRAME_EV_MORE:
			return true;
		case FRAME_EV_START:
			m->binary = ev.opcode == FRAME_BINARY;
			m->compressed = ev.rsv1;
			m->bad_utf8 = false;
			m->size = 0;
			utf8check_init(&m->u8);
			buf_clear(&m->held);
			if (!m->hold) {
				start(m);
			}
			break;
		case FRAME_EV_DATA:
			if (m->compressed) {
				inflate(m, ev.data, ev.len, false);
			} else if (within(m, ev.len)) {
				span = ev.data;
				slen = ev.len;
			}
			break;
		case FRAME_EV_END:
			if (!m->compressed || inflate(m, "", 0, true)) {
				end(m);
			}
			break;
		case FRAME_EV_PONG:
			me.type = MSG_EV_PONG;
			// fall through
		case FRAME_EV_PING:
			me.data = ev.data;
			me.len = ev.len;
			give(m, &me);
			break;
		case FRAME_EV_CLOSE:
			return close_event(m, &ev);
		case FRAME_EV_ERROR:
			if (ev.close) {
				return close_event(m, &ev);
			}
			return error(m, ev.code, ev.why, false);
		}
	}
	return false;
}
