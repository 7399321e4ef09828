// The body of fuzz-message-client.c and fuzz-message-server.c (ROLE set
// before including): the message layer never crashes, its events keep
// the contract of message.h (START, DATA, END in order, no empty DATA, one
// DATA per held message, the Close codes it may give), and input fed in
// pieces of any size gives the same messages as fed whole.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct log {
	unsigned char *p;
	size_t len, cap, msg_at;
	bool in_msg, hold;
	unsigned datas;
	uint64_t max, size;
};

static void put(struct log *l, const void *s, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2 + 64;
		l->p = realloc(l->p, l->cap);
		assert(l->p);
	}
	if (n) {
		memcpy(l->p + l->len, s, n);
	}
	l->len += n;
}

static bool record(void *arg, const struct msg_event *ev)
{
	struct log *l = arg;
	unsigned char t = (unsigned char)ev->type;
	unsigned char b[4];

	put(l, &t, 1);
	switch (ev->type) {
	case MSG_EV_START:
		assert(!l->in_msg);
		l->in_msg = true;
		l->msg_at = l->len - 1;
		l->datas = 0;
		l->size = 0;
		b[0] = ev->binary;
		b[1] = ev->compressed;
		put(l, b, 2);
		return true;
	case MSG_EV_DATA:
		// pieces join: the marker is taken back
		l->len--;
		assert(l->in_msg && ev->len > 0);
		assert(!l->hold || !l->datas);
		l->datas++;
		l->size += ev->len;
		assert(!l->max || l->size <= l->max);
		put(l, ev->data, ev->len);
		return true;
	case MSG_EV_END:
		assert(l->in_msg);
		l->in_msg = false;
		return true;
	case MSG_EV_PING:
	case MSG_EV_PONG:
		assert(ev->len <= FRAME_CONTROL_MAX);
		assert(!l->hold || !l->in_msg);
		put(l, ev->data, ev->len);
		return true;
	case MSG_EV_CLOSE:
		assert(ev->len <= FRAME_CONTROL_MAX);
		assert(ev->fault == 0 || ev->fault == 1002 || ev->fault == 1007);
		assert(!ev->fault || (ev->why && *ev->why));
		b[0] = (unsigned char)(ev->code >> 8);
		b[1] = (unsigned char)ev->code;
		b[2] = (unsigned char)(ev->fault >> 8);
		b[3] = (unsigned char)ev->fault;
		put(l, b, 4);
		put(l, ev->reason, ev->rlen);
		return true;
	case MSG_EV_ERROR:
		assert(ev->code == 1002 || ev->code == 1007 ||
			ev->code == 1009 || ev->code == 1011);
		assert(ev->why && *ev->why);
		if (l->in_msg) {
			// what of a failed message came depends on the reads
			l->len = l->msg_at;
			l->in_msg = false;
			put(l, &t, 1);
		}
		b[0] = (unsigned char)(ev->code >> 8);
		b[1] = (unsigned char)ev->code;
		put(l, b, 2);
		put(l, ev->why, strlen(ev->why));
		return true;
	}
	assert(!"unknown event");
	return false;
}

// Read in[0..n) (copied: the reader unmasks in place) in pieces of step
// bytes (0: whole).
static void run(struct log *l, const uint8_t *in, size_t n, size_t step,
		const struct msg_params *p)
{
	struct msg_reader m;
	unsigned char *buf = malloc(n ? n : 1);
	size_t at = 0;
	bool more = true;

	memcpy(buf, in, n);
	l->hold = p->hold;
	l->max = p->max_size;
	msg_init(&m, p);
	while (at < n && more) {
		size_t piece = step && step < n - at ? step : n - at;

		more = msg_read(&m, buf + at, piece, record, l);
		at += piece;
	}
	if (!more) {
		size_t was = l->len;

		assert(!msg_read(&m, buf, n, record, l) && l->len == was);
	}
	msg_finish(&m);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log whole = { 0 }, parts = { 0 };
	struct deflate_params dp = { .server_max_window_bits = 15,
		.client_max_window_bits = 15 };
	struct msg_params p = { .role = ROLE };
	size_t step;

	if (size < 2) {
		return 0;
	}
	// data[0]: bit 0 deflate agreed, bits 1-2 the size limit, bit 3
	// hold, bit 4 the peer resets its context; data[1]: the piece size
	// of the second feeding (1..64)
	p.pmd = data[0] & 1 ? &dp : NULL;
	p.max_size = (uint64_t[]){ 0, 1, 125, 70000 }[(data[0] >> 1) & 3];
	p.hold = data[0] & 8;
	dp.server_no_context_takeover = dp.client_no_context_takeover =
		data[0] & 16;
	step = (size_t)(data[1] % 64) + 1;
	run(&whole, data + 2, size - 2, 0, &p);
	run(&parts, data + 2, size - 2, step, &p);
	assert(whole.len == parts.len && (!whole.len ||
		!memcmp(whole.p, parts.p, whole.len)));
	free(whole.p);
	free(parts.p);
	return 0;
}
