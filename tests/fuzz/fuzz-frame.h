// The body of fuzz-frame-client.c and fuzz-frame-server.c (ROLE set
// before including): the frame decoder never crashes, every event keeps
// the decoder's contract, and input fed in pieces of any size gives the
// same events and payload as fed whole.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct log {
	unsigned char *p;
	size_t len, cap;
	bool in_msg, fin;
};

static void put(struct log *l, const void *s, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2 + 64;
		l->p = realloc(l->p, l->cap);
		assert(l->p);
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void record(struct log *l, const struct wsc_frame_event *ev,
		const unsigned char *buf, size_t len)
{
	unsigned char t = (unsigned char)ev->type;
	unsigned char b[4];

	switch (ev->type) {
	case FRAME_EV_MORE:
		return;
	case FRAME_EV_START:
		assert(!l->in_msg);
		assert(ev->opcode == FRAME_TEXT || ev->opcode == FRAME_BINARY);
		l->in_msg = true;
		l->fin = false;
		b[0] = (unsigned char)ev->opcode;
		b[1] = ev->rsv1;
		put(l, &t, 1);
		put(l, b, 2);
		return;
	case FRAME_EV_DATA:
		// payload spans point into the buffer given, never empty
		assert(l->in_msg && !l->fin && ev->len > 0);
		assert(ev->data >= buf && ev->data + ev->len <= buf + len);
		put(l, ev->data, ev->len);   // no marker: pieces join
		if (ev->fin) {
			l->fin = true;
			put(l, &t, 1);
		}
		return;
	case FRAME_EV_END:
		assert(l->in_msg);
		l->in_msg = false;
		put(l, &t, 1);
		return;
	case FRAME_EV_PING:
	case FRAME_EV_PONG:
	case FRAME_EV_CLOSE:
		assert(ev->len <= FRAME_CONTROL_MAX);
		put(l, &t, 1);
		b[0] = (unsigned char)ev->len;
		b[1] = ev->type == FRAME_EV_CLOSE ? (unsigned char)(ev->code >> 8) : 0;
		b[2] = ev->type == FRAME_EV_CLOSE ? (unsigned char)ev->code : 0;
		put(l, b, 3);
		put(l, ev->data, ev->len);
		return;
	case FRAME_EV_ERROR:
		assert(ev->code == 1002 || ev->code == 1007 || ev->code == 1009);
		assert(ev->why && *ev->why);
		put(l, &t, 1);
		put(l, ev->why, strlen(ev->why));
		return;
	}
	assert(!"unknown event");
}

// Decode in[0..n) (copied: the decoder unmasks in place) in pieces of
// step bytes (0: whole).
static void run(struct log *l, const uint8_t *in, size_t n, size_t step,
		bool rsv1, uint64_t max)
{
	struct wsc_frame_decoder d;
	unsigned char *buf = malloc(n ? n : 1);
	size_t at = 0;
	bool dead = false;

	memcpy(buf, in, n);
	frame_decoder_init(&d, ROLE, rsv1, max);
	while (at < n && !dead) {
		size_t piece = step && step < n - at ? step : n - at, off = 0;

		for (;;) {
			struct wsc_frame_event ev;
			size_t used = frame_decode(&d, buf + at + off, piece - off,
				&ev);

			assert(used <= piece - off);
			record(l, &ev, buf + at, piece);
			off += used;
			if (ev.type == FRAME_EV_MORE) {
				assert(off == piece);
				break;
			}
			if (ev.type == FRAME_EV_ERROR) {
				struct wsc_frame_event again;

				assert(frame_decode(&d, buf + at + off, piece - off,
					&again) == 0);
				assert(again.type == FRAME_EV_ERROR &&
					again.code == ev.code);
				dead = true;
				break;
			}
		}
		at += piece;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log whole = { 0 }, parts = { 0 };
	bool rsv1;
	uint64_t max;
	size_t step;

	if (size < 2) {
		return 0;
	}
	// data[0]: bit 0 deflate negotiated, bits 1-2 the size limit;
	// data[1]: the piece size of the second feeding (1..64)
	rsv1 = data[0] & 1;
	max = (uint64_t[]){ 0, 1, 125, 70000 }[(data[0] >> 1) & 3];
	step = (size_t)(data[1] % 64) + 1;
	run(&whole, data + 2, size - 2, 0, rsv1, max);
	run(&parts, data + 2, size - 2, step, rsv1, max);
	assert(whole.len == parts.len && (!whole.len ||
		!memcmp(whole.p, parts.p, whole.len)));
	free(whole.p);
	free(parts.p);
	return 0;
}
