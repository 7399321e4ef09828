/*
 * output.c - formatting and batched writing of received messages.
 * It never reads the socket; the caller decides when to flush.
 */
#include "output.h"

#include "jsonfmt.h"
#include "jsonl.h"
#include "utf8.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void output_init(struct wsc_output *o, int fd, bool tty, char delim,
		bool timestamps, bool color)
{
	memset(o, 0, offsetof(struct wsc_output, buf));
	o->fd = fd;
	o->tty = tty;
	o->delim = delim;
	o->timestamps = timestamps;
	o->color = color && tty;
	o->t0_us = jsonl_now().mono_us;
}

void output_finish(struct wsc_output *o)
{
	buf_free(&o->pbuf);
	o->hold = false;
}

static bool write_all(struct wsc_output *o, const char *p, size_t n)
{
	while (n && !o->broken) {
		ssize_t w = write(o->fd, p, n);

		if (w >= 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			// someone handed us a non-blocking stdout: wait for it
			struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		o->err = errno;
		o->broken = true;
	}
	return !o->broken;
}

bool output_flush(struct wsc_output *o)
{
	bool ok;

	if (o->sink) {
		o->sink(o->sink_ctx, o->buf, o->len);
		o->len = 0;
		return true;
	}
	ok = write_all(o, o->buf, o->len);

	o->len = 0;
	return ok;
}

static void put(struct wsc_output *o, const void *data, size_t n)
{
	const char *p = data;

	if (o->broken) {
		return;
	}
	while (n) {
		size_t room = sizeof(o->buf) - o->len;

		if (!room) {
			output_flush(o);
			if (o->broken) {
				return;
			}
			room = sizeof(o->buf);
		}
		if (n >= sizeof(o->buf) && o->len == 0 && !o->sink) {
			// large piece: skip the copy
			write_all(o, p, n);
			return;
		}
		if (room > n) {
			room = n;
		}
		memcpy(o->buf + o->len, p, room);
		o->len += room;
		p += room;
		n -= room;
	}
}

void output_write(struct wsc_output *o, const void *data, size_t len)
{
	put(o, data, len);
}

static void put_str(struct wsc_output *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_timestamp(struct wsc_output *o)
{
	struct timeval tv;
	struct tm tm;
	char ts[32];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min,
		tm.tm_sec, (int)(tv.tv_usec / 1000));
	put_str(o, ts);
}

void output_set_jsonl(struct wsc_output *o)
{
	o->jsonl = true;
	o->tty = false;
	o->color = false;
	o->timestamps = false;
}

void output_event(struct wsc_output *o, const char *json)
{
	size_t n = strlen(json);

	if (o->in_msg) {
		if (o->nheld + n + 1 <= sizeof(o->held)) {
			memcpy(o->held + o->nheld, json, n);
			o->held[o->nheld + n] = '\n';
			o->nheld += n + 1;
		}
		return;
	}
	put(o, json, n);
	put(o, "\n", 1);
}

void output_begin(struct wsc_output *o, bool binary)
{
	struct jsonl_time now = jsonl_now();

	output_begin_event(o, "message", binary, &now);
}

void output_begin_event(struct wsc_output *o, const char *event, bool binary,
		const struct jsonl_time *at)
{
	o->binary = binary;
	o->msg_bytes = 0;
	o->npend = 0;
	o->ncarry = 0;
	o->in_msg = true;
	if (o->jsonl) {
		char head[160];

		jsonl_timestamp(head, sizeof(head), at, o->t0_us);
		put_str(o, "{");
		put_str(o, head);
		if (o->peer_id) {
			snprintf(head, sizeof(head), ",\"client\":%u", o->peer_id);
			put_str(o, head);
		}
		if (o->peer && o->peer_named) {
			char name[256];

			put_str(o, ",\"name\":");
			put(o, name, jsonl_quote(o->peer, strlen(o->peer), name,
				sizeof(name)));
		}
		snprintf(head, sizeof(head), ",\"event\":\"%s\",\"type\":\"%s\","
			"\"data\":\"", event, binary ? "binary" : "text");
		put_str(o, head);
		return;
	}
	if (o->tty) {
		put_str(o, o->color ? "\033[1;32m<\033[0m " : "< ");
		o->pad = 2;
		if (o->peer && !o->peer_named) {
			put_str(o, "[");
			put_str(o, o->peer);
			put_str(o, "] ");
			o->pad += (unsigned)strlen(o->peer) + 3;
		}
	}
	if (o->timestamps) {
		put_timestamp(o);
		o->pad += 13;
	}
	if (o->peer && o->peer_named && (o->tty || !binary)) {
		// as the others get it: "NAME: TEXT" (binary passes unchanged)
		put_str(o, o->peer);
		put_str(o, ": ");
		for (const char *c = o->peer; *c; c++) {
			o->pad += (*c & 0xc0) != 0x80;  // columns, roughly
		}
		o->pad += 2;
	}
	o->hold = o->pretty && o->tty && !binary;
	buf_clear(&o->pbuf);
}

static size_t esc_byte(unsigned char c, char *out)
{
	switch (c) {
	case 0x1b:
		memcpy(out, "\\e", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	default:
		return (size_t)sprintf(out, "\\x%02x", c);
	}
}

static size_t term_ascii(unsigned char c, char *out)
{
	if ((c < 0x20 && c != '\t') || c == 0x7f) {
		return esc_byte(c, out);
	}
	*out = (char)c;
	return 1;
}

static size_t term_seq(const unsigned char *s, size_t n, char *out)
{
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
		// C1 control characters (U+0080..U+009F)
		return (size_t)sprintf(out, "\\u%04x", s[1]);
	}
	memcpy(out, s, n);
	return n;
}

static const struct utf8_render terminal = { term_ascii, term_seq, esc_byte };

size_t output_escape(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out)
{
	return utf8_walk(in, len, final, pend, npend, out, &terminal);
}

// Text for the terminal, escaped; a UTF-8 sequence cut at the end waits.
static void put_text(struct wsc_output *o, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		char esc[6 * (WSC_OUTPUT_ESCAPE_MAX + 4)];
		size_t n = len > WSC_OUTPUT_ESCAPE_MAX ? WSC_OUTPUT_ESCAPE_MAX : len;

		put(o, esc, output_escape(p, n, false, o->pend, &o->npend, esc));
		p += n;
		len -= n;
	}
}

static void put_pending(struct wsc_output *o)
{
	if (o->npend) {
		char esc[32];

		put(o, esc, output_escape(NULL, 0, true, o->pend, &o->npend, esc));
	}
}

// Stop holding: what was collected goes out as it would have.
static void release(struct wsc_output *o)
{
	o->hold = false;
	put_text(o, o->pbuf.p, o->pbuf.len);
	buf_clear(&o->pbuf);
}

// Collect a piece of a message that may be JSON; false when it is not.
static bool collect(struct wsc_output *o, const void *data, size_t len)
{
	struct wsc_buf *b = &o->pbuf;
	size_t i = 0;

	if (len > WSC_OUTPUT_PRETTY_MAX - b->len ||
			!buf_append(b, data, len, WSC_OUTPUT_PRETTY_MAX)) {
		return false;
	}
	// the first byte that is not blank says whether it can be JSON
	while (i < b->len && (b->p[i] == ' ' || b->p[i] == '\t' ||
			b->p[i] == '\r' || b->p[i] == '\n')) {
		i++;
	}
	if (i < b->len && b->p[i] != '{' && b->p[i] != '[') {
		b->len -= len;      // the caller writes this piece itself
		return false;
	}
	return true;
}

static const char *const tok_color[] = {
	[JSONFMT_PUNCT] = NULL,
	[JSONFMT_KEY] = "\033[1;34m",
	[JSONFMT_STRING] = "\033[32m",
	[JSONFMT_NUMBER] = "\033[36m",
	[JSONFMT_LITERAL] = "\033[35m",
};

static void pretty_tok(void *ctx, enum jsonfmt_tok kind, const char *tok,
		size_t len, unsigned depth)
{
	struct wsc_output *o = ctx;
	static const char spaces[] = "                                ";

	if (kind == JSONFMT_SPACE) {
		put(o, " ", 1);
		return;
	}
	if (kind == JSONFMT_NEWLINE) {
		size_t n = o->pad + 2 * (size_t)depth;

		put(o, "\n", 1);
		for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1) {
			put(o, spaces, sizeof(spaces) - 1);
		}
		put(o, spaces, n);
		return;
	}
	if (o->color && tok_color[kind]) {
		put_str(o, tok_color[kind]);
	}
	put_text(o, tok, len);
	put_pending(o);
	if (o->color && tok_color[kind]) {
		put_str(o, "\033[0m");
	}
}

void output_data(struct wsc_output *o, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (o->jsonl) {
		while (len) {
			char enc[6 * (JSONL_ESCAPE_MAX + 4)];
			size_t n = len > JSONL_ESCAPE_MAX ? JSONL_ESCAPE_MAX : len;

			put(o, enc, o->binary ?
				jsonl_base64(p, n, false, o->carry, &o->ncarry, enc) :
				jsonl_escape(p, n, false, o->pend, &o->npend, enc));
			p += n;
			len -= n;
			o->msg_bytes += n;
		}
		return;
	}
	if (!o->tty) {
		put(o, data, len);
		o->msg_bytes += len;
		return;
	}
	if (o->binary) {
		for (size_t i = 0; i < len && o->msg_bytes + i < WSC_OUTPUT_HEX_MAX;
				i++) {
			o->hex[o->msg_bytes + i] = p[i];
		}
		o->msg_bytes += len;
		return;
	}
	o->msg_bytes += len;
	if (o->hold) {
		if (collect(o, p, len)) {
			return;
		}
		release(o);
	}
	put_text(o, p, len);
}

void output_end(struct wsc_output *o)
{
	output_end_fields(o, "");
}

void output_end_fields(struct wsc_output *o, const char *fields)
{
	o->in_msg = false;
	if (o->jsonl) {
		char enc[32];

		put(o, enc, o->binary ?
			jsonl_base64(NULL, 0, true, o->carry, &o->ncarry, enc) :
			jsonl_escape(NULL, 0, true, o->pend, &o->npend, enc));
		put_str(o, "\"");
		put_str(o, fields);
		put_str(o, "}\n");
		if (o->nheld) {
			put(o, o->held, o->nheld);
			o->nheld = 0;
		}
		return;
	}
	if (!o->tty) {
		put(o, &o->delim, 1);
		return;
	}
	if (o->binary) {
		char text[64];
		size_t shown = o->msg_bytes < WSC_OUTPUT_HEX_MAX ?
			(size_t)o->msg_bytes : WSC_OUTPUT_HEX_MAX;

		snprintf(text, sizeof(text), "[binary %llu bytes]", o->msg_bytes);
		put_str(o, text);
		for (size_t i = 0; i < shown; i++) {
			snprintf(text, sizeof(text), " %02x", o->hex[i]);
			put_str(o, text);
		}
		if (o->msg_bytes > shown) {
			snprintf(text, sizeof(text), " … (%llu more)",
				o->msg_bytes - shown);
			put_str(o, text);
		}
	} else {
		if (o->hold && !jsonfmt_format((const char *)o->pbuf.p,
				o->pbuf.len, pretty_tok, o)) {
			release(o);
		}
		o->hold = false;
		buf_clear(&o->pbuf);
		put_pending(o);
	}
	put_str(o, "\n");
}
