/*
 * frame.c - the frame decoder and encoder of frame.h. Pure: no I/O, no
 * allocation, never prints; errors are events naming the Close code.
 */
#include "frame.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
	ST_HEADER,              // collecting a frame header
	ST_DATA,                // payload of a data frame
	ST_CONTROL,             // payload of a control frame, into ctl
	ST_END,                 // the message's last frame is done: END due
	ST_CLOSED,              // a Close came: ignore the rest
	ST_FAILED,              // an error was reported: report it again
};

void frame_decoder_init(struct wsc_frame_decoder *d, enum wsc_frame_role role,
		bool rsv1_ok, uint64_t max_size)
{
	memset(d, 0, offsetof(struct wsc_frame_decoder, ctl));
	d->server = role == FRAME_ROLE_SERVER;
	d->rsv1_ok = rsv1_ok;
	d->max_size = max_size;
	d->state = ST_HEADER;
}

bool frame_close_code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
		(c >= 3000 && c <= 4999);
}

void frame_mask(unsigned char *dst, const unsigned char *src, size_t n,
		const unsigned char key[4], unsigned phase)
{
	unsigned char k[8];
	uint64_t kw;
	size_t i = 0;

	for (unsigned j = 0; j < 8; j++) {
		k[j] = key[(phase + j) & 3];
	}
	memcpy(&kw, k, 8);
	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];

		memcpy(w, src + i, 32);
		w[0] ^= kw;
		w[1] ^= kw;
		w[2] ^= kw;
		w[3] ^= kw;
		memcpy(dst + i, w, 32);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, src + i, 8);
		w ^= kw;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++) {
		dst[i] = src[i] ^ k[i & 7];
	}
}

/* --- decoder --- */

static const char *op_name(unsigned op)
{
	switch (op) {
	case FRAME_CONT: return "continuation";
	case FRAME_TEXT: return "text";
	case FRAME_BINARY: return "binary";
	case FRAME_CLOSE: return "Close";
	case FRAME_PING: return "Ping";
	case FRAME_PONG: return "Pong";
	}
	return "reserved";
}

__attribute__((format(printf, 4, 5)))
static size_t fail(struct wsc_frame_decoder *d, struct wsc_frame_event *ev,
		unsigned code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->err_code = code;
	d->state = ST_FAILED;
	ev->type = FRAME_EV_ERROR;
	ev->code = code;
	ev->why = d->why;
	ev->close = false;
	ev->data = NULL;
	ev->len = 0;
	return 0;
}

// Bytes of header that h[0..1] announce.
static size_t header_need(const unsigned char *h)
{
	unsigned l7 = h[1] & 0x7f;

	return 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
}

/*
 * Take a whole header. Returns true when the frame may proceed (state set
 * for its payload, *ev filled when START is due), false with the error in
 * *ev.
 */
static bool take_header(struct wsc_frame_decoder *d, const unsigned char *h,
		struct wsc_frame_event *ev, bool *start)
{
	unsigned b0 = h[0], l7 = h[1] & 0x7f, op = b0 & 0x0f;
	bool control = op & 0x8;
	uint64_t len = l7, before;
	size_t at = 2;

	*start = false;
	if (op > FRAME_BINARY && !(op >= FRAME_CLOSE && op <= FRAME_PONG)) {
		fail(d, ev, 1002, "reserved opcode 0x%x", op);
		return false;
	}
	if (b0 & 0x20 || b0 & 0x10) {
		fail(d, ev, 1002, "RSV%d bit set without a negotiated "
			"extension", b0 & 0x20 ? 2 : 3);
		return false;
	}
	if (b0 & FRAME_RSV1 && (control || op == FRAME_CONT ||
			!d->rsv1_ok)) {
		if (!d->rsv1_ok) {
			fail(d, ev, 1002, "RSV1 bit set without a negotiated "
				"extension");
		} else {
			fail(d, ev, 1002, "RSV1 bit set on a %s frame",
				op_name(op));
		}
		return false;
	}
	d->masked = h[1] & 0x80;
	if (d->masked != d->server) {
		fail(d, ev, 1002, d->server ? "unmasked frame from the client" :
			"masked frame from the server");
		return false;
	}
	if (l7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
		if (len < 126) {
			fail(d, ev, 1002, "payload length %" PRIu64 " not in its "
				"shortest form (16 bits)", len);
			return false;
		}
	} else if (l7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++) {
			len = len << 8 | h[2 + i];
		}
		at = 10;
		if (len >> 63) {
			fail(d, ev, 1002, "64-bit payload length with the top "
				"bit set");
			return false;
		}
		if (len < 65536) {
			fail(d, ev, 1002, "payload length %" PRIu64 " not in its "
				"shortest form (64 bits)", len);
			return false;
		}
	}
	if (d->masked) {
		memcpy(d->key, h + at, 4);
	}
	d->phase = 0;
	d->left = len;
	d->fin = b0 & FRAME_FIN;
	d->op = op;
	if (control) {
		if (!d->fin) {
			fail(d, ev, 1002, "fragmented %s frame", op_name(op));
			return false;
		}
		if (len > FRAME_CONTROL_MAX) {
			fail(d, ev, 1002, "%s frame of %" PRIu64 " bytes (more "
				"than 125)", op_name(op), len);
			return false;
		}
		d->clen = 0;
		d->state = ST_CONTROL;
		return true;
	}
	if (op == FRAME_CONT && !d->in_msg) {
		fail(d, ev, 1002, "continuation frame with no message to "
			"continue");
		return false;
	}
	if (op != FRAME_CONT && d->in_msg) {
		fail(d, ev, 1002, "%s frame inside a fragmented message",
			op_name(op));
		return false;
	}
	before = op == FRAME_CONT ? d->msg_size : 0;
	if (d->max_size && (len > d->max_size || before > d->max_size - len)) {
		if (op == FRAME_CONT) {
			fail(d, ev, 1009, "message of more than %" PRIu64
				" bytes (%" PRIu64 " + a frame of %" PRIu64 ")",
				d->max_size, d->msg_size, len);
		} else {
			fail(d, ev, 1009, "frame of %" PRIu64 " bytes, more "
				"than the %" PRIu64 "-byte limit", len,
				d->max_size);
		}
		return false;
	}
	if (op != FRAME_CONT) {
		d->in_msg = true;
		d->msg_text = op == FRAME_TEXT;
		d->msg_rsv1 = b0 & FRAME_RSV1;
		d->msg_size = 0;
		utf8check_init(&d->utf8);
		*start = true;
		ev->type = FRAME_EV_START;
		ev->opcode = op;
		ev->rsv1 = d->msg_rsv1;
		ev->data = NULL;
		ev->len = 0;
	}
	d->msg_size += len;
	d->state = len ? ST_DATA : d->fin ? ST_END : ST_HEADER;
	return true;
}

static bool close_reason_ok(const unsigned char *p, size_t n)
{
	struct wsc_utf8check u;

	utf8check_init(&u);
	return utf8check_feed(&u, p, n) == n && utf8check_done(&u);
}

// A whole control frame is in ctl.
static void take_control(struct wsc_frame_decoder *d,
		struct wsc_frame_event *ev)
{
	const unsigned char *p = d->ctl;
	size_t n = d->clen;

	d->state = ST_HEADER;
	ev->data = p;
	ev->len = n;
	ev->code = 0;
	if (d->op == FRAME_PING) {
		ev->type = FRAME_EV_PING;
		return;
	}
	if (d->op == FRAME_PONG) {
		ev->type = FRAME_EV_PONG;
		return;
	}
	if (n == 1) {
		fail(d, ev, 1002, "Close payload of 1 byte");
	} else if (n && !frame_close_code_ok((unsigned)(p[0] << 8 | p[1]))) {
		fail(d, ev, 1002, "Close code %u, which may not be sent",
			(unsigned)(p[0] << 8 | p[1]));
	} else if (n > 2 && !close_reason_ok(p + 2, n - 2)) {
		fail(d, ev, 1007, "Close reason that is not valid UTF-8");
	} else {
		ev->code = n ? (unsigned)(p[0] << 8 | p[1]) : 1005;
		ev->type = FRAME_EV_CLOSE;
		ev->data = n ? p + 2 : p;
		ev->len = n ? n - 2 : 0;
		d->state = ST_CLOSED;
		return;
	}
	// a whole Close, faulty: its payload goes with the error
	ev->close = true;
	ev->data = p;
	ev->len = n;
}

size_t frame_decode(struct wsc_frame_decoder *d, unsigned char *buf,
		size_t len, struct wsc_frame_event *ev)
{
	size_t used = 0;

	for (;;) {
		switch (d->state) {
		case ST_HEADER: {
			const unsigned char *h;
			size_t need;
			bool start;

			if (used == len) {
				ev->type = FRAME_EV_MORE;
				return used;
			}
			if (!d->hlen && len - used >= 2 &&
					len - used >= header_need(buf + used)) {
				h = buf + used;   // the usual case: all here
				used += header_need(h);
			} else {
				size_t take;

				if (d->hlen < 2) {
					take = 2 - d->hlen;
					take = take < len - used ? take :
						len - used;
					memcpy(d->hdr + d->hlen, buf + used, take);
					d->hlen += take;
					used += take;
					if (d->hlen < 2) {
						continue;
					}
				}
				need = header_need(d->hdr);
				take = need - d->hlen < len - used ?
					need - d->hlen : len - used;
				memcpy(d->hdr + d->hlen, buf + used, take);
				d->hlen += take;
				used += take;
				if (d->hlen < need) {
					continue;
				}
				h = d->hdr;
				d->hlen = 0;
			}
			if (!take_header(d, h, ev, &start)) {
				return used;
			}
			if (start) {
				return used;
			}
			break;
		}
		case ST_DATA: {
			unsigned char *p = buf + used;
			size_t n = len - used;

			if (!n) {
				ev->type = FRAME_EV_MORE;
				return used;
			}
			if (n > d->left) {
				n = (size_t)d->left;
			}
			if (d->masked) {
				frame_mask(p, p, n, d->key, d->phase);
				d->phase = (unsigned)((d->phase + n) & 3);
			}
			d->left -= n;
			ev->fin = !d->left && d->fin;
			if (d->msg_text && !d->msg_rsv1) {
				size_t good = utf8check_feed(&d->utf8, p, n);

				if (good < n) {
					fail(d, ev, 1007, "text message that is "
						"not valid UTF-8");
				} else if (ev->fin && !utf8check_done(&d->utf8)) {
					// known bad at the last byte
					good = n - 1;
					fail(d, ev, 1007, "text message ending "
						"inside a UTF-8 sequence");
				}
				if (good < n) {
					// hand on the bytes before the one
					// that made it invalid, so any way of
					// cutting the input gives the same
					if (!good) {
						return used;
					}
					ev->type = FRAME_EV_DATA;
					ev->fin = false;
					ev->data = p;
					ev->len = good;
					return used + good;
				}
			}
			if (!d->left) {
				d->state = d->fin ? ST_END : ST_HEADER;
			}
			ev->type = FRAME_EV_DATA;
			ev->data = p;
			ev->len = n;
			return used + n;
		}
		case ST_END:
			if (d->msg_text && !d->msg_rsv1 &&
					!utf8check_done(&d->utf8)) {
				return used + fail(d, ev, 1007, "text message "
					"ending inside a UTF-8 sequence");
			}
			d->in_msg = false;
			d->state = ST_HEADER;
			ev->type = FRAME_EV_END;
			ev->data = NULL;
			ev->len = 0;
			return used;
		case ST_CONTROL: {
			size_t n = len - used;

			if (n > d->left) {
				n = (size_t)d->left;
			}
			if (n) {
				unsigned char *c = d->ctl + d->clen;

				if (d->masked) {
					frame_mask(c, buf + used, n, d->key,
						d->phase);
					d->phase = (unsigned)((d->phase + n) & 3);
				} else {
					memcpy(c, buf + used, n);
				}
				d->clen += n;
				d->left -= n;
				used += n;
			}
			if (d->left) {
				ev->type = FRAME_EV_MORE;
				return used;
			}
			take_control(d, ev);
			return used;
		}
		case ST_CLOSED:
			ev->type = FRAME_EV_MORE;
			return len;
		default:
			ev->type = FRAME_EV_ERROR;
			ev->code = d->err_code;
			ev->why = d->why;
			ev->close = false;
			ev->data = NULL;
			ev->len = 0;
			return 0;
		}
	}
}

/* --- encoder --- */

size_t frame_write_header(unsigned char *out, unsigned b0, uint64_t len,
		struct wsc_mask *keys, unsigned char key[4])
{
	unsigned char m = keys ? 0x80 : 0;
	size_t n;

	out[0] = (unsigned char)b0;
	if (len < 126) {
		out[1] = m | (unsigned char)len;
		n = 2;
	} else if (len < 65536) {
		out[1] = m | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		n = 4;
	} else {
		out[1] = m | 127;
		for (int i = 0; i < 8; i++) {
			out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		}
		n = 10;
	}
	if (keys) {
		if (!mask_key(keys, key)) {
			return 0;
		}
		memcpy(out + n, key, 4);
		n += 4;
	}
	return n;
}

size_t frame_write(unsigned char *out, unsigned b0, const void *payload,
		size_t len, struct wsc_mask *keys)
{
	unsigned char key[4];
	size_t h;

	if (b0 & 0x8 && len > FRAME_CONTROL_MAX) {
		return 0;
	}
	h = frame_write_header(out, b0, len, keys, key);
	if (!h) {
		return 0;
	}
	if (!len) {
		return h;
	}
	if (keys) {
		frame_mask(out + h, payload, len, key, 0);
	} else {
		memcpy(out + h, payload, len);
	}
	return h + len;
}

size_t frame_write_close(unsigned char *out, unsigned code,
		const char *reason, size_t rlen, struct wsc_mask *keys)
{
	unsigned char p[FRAME_CONTROL_MAX];
	const unsigned char *r = (const unsigned char *)reason;

	if (!code) {
		return frame_write(out, FRAME_FIN | FRAME_CLOSE, NULL, 0, keys);
	}
	if (rlen > FRAME_CONTROL_MAX - 2) {
		rlen = FRAME_CONTROL_MAX - 2;
		// back up over continuation bytes to the start of the cut
		// sequence, then drop it unless it fits whole
		size_t s = rlen;

		while (s > 0 && (r[s] & 0xc0) == 0x80) {
			s--;
		}
		rlen = s;
	}
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	if (rlen) {
		memcpy(p + 2, r, rlen);
	}
	return frame_write(out, FRAME_FIN | FRAME_CLOSE, p, rlen + 2, keys);
}
