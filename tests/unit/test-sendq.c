/*
 * test-sendq.c - the outgoing frame queue: FIFO order, byte accounting,
 * the budget and Close payloads.
 */
#include <stdbool.h>
#include <string.h>

#include "sendq.h"
#include "tap.h"

static const struct push_row {
	enum wsc_frame kind;
	bool first, last;
	const char *data;
	size_t len;
} push_rows[] = {
	{ WSC_FRAME_TEXT, true, true, "hello", 5 },
	{ WSC_FRAME_BINARY, true, false, "\x00\x01\x02", 3 },
	{ WSC_FRAME_BINARY, false, false, "", 0 },
	{ WSC_FRAME_BINARY, false, true, "\xff\xfe", 2 },
	{ WSC_FRAME_PING, true, true, "p", 1 },
	{ WSC_FRAME_PONG, true, true, "", 0 },
	{ WSC_FRAME_TEXT, true, true, "line\0with nul", 13 },
};
#define NROWS (sizeof(push_rows) / sizeof(push_rows[0]))

static const struct close_row {
	unsigned code;
	const char *reason;
	const char *want;       // expected payload
	size_t want_len;
} close_rows[] = {
	{ 1000, "bye", "\x03\xe8" "bye", 5 },
	{ 1000, NULL, "\x03\xe8", 2 },
	{ 1000, "", "\x03\xe8", 2 },
	{ 1001, "going away", "\x03\xe9" "going away", 12 },
	{ 1011, "x", "\x03\xf3x", 3 },
	{ 3000, NULL, "\x0b\xb8", 2 },
	{ 4999, "app", "\x13\x87" "app", 5 },
	{ 0, NULL, "", 0 },
	{ 0, "ignored without a code", "", 0 },
};

static void test_fifo(void)
{
	struct wsc_sendq q;
	size_t bytes = 0;

	sendq_init(&q, 1 << 20);
	ok(sendq_empty(&q) && !sendq_full(&q) && !sendq_peek(&q) &&
		q.bytes == 0 && q.items == 0, "new queue is empty");
	sendq_pop(&q);
	ok(sendq_empty(&q) && q.items == 0, "pop on an empty queue is a no-op");

	for (size_t i = 0; i < NROWS; i++) {
		const struct push_row *r = &push_rows[i];

		ok(sendq_push(&q, r->kind, r->first, r->last, r->data, r->len),
			"push row %zu (%zu bytes)", i, r->len);
		bytes += r->len;
		is_int(q.bytes, bytes, "bytes after push row %zu", i);
		is_int(q.items, i + 1, "items after push row %zu", i);
	}
	for (size_t i = 0; i < NROWS; i++) {
		const struct push_row *r = &push_rows[i];
		struct wsc_sendq_item *it = sendq_peek(&q);

		if (!ok(it, "peek finds row %zu", i)) {
			break;
		}
		ok(sendq_peek(&q) == it, "peek row %zu twice gives the same item", i);
		is_int(it->kind, r->kind, "row %zu: kind", i);
		is_int(it->first, r->first, "row %zu: first", i);
		is_int(it->last, r->last, "row %zu: last", i);
		is_int(it->len, r->len, "row %zu: len", i);
		is_mem(sendq_payload(&q, it), it->len, r->data, r->len,
			"row %zu: payload", i);
		sendq_pop(&q);
		bytes -= r->len;
		is_int(q.bytes, bytes, "bytes after pop of row %zu", i);
		is_int(q.items, NROWS - i - 1, "items after pop of row %zu", i);
	}
	ok(sendq_empty(&q) && !sendq_peek(&q) && !q.tail,
		"empty after popping everything");

	// the tail must be reset, or this push would be lost
	ok(sendq_push(&q, WSC_FRAME_TEXT, true, true, "again", 5) &&
		sendq_peek(&q) && sendq_peek(&q)->len == 5 && q.items == 1,
		"push after draining is seen by peek");
	ok(sendq_push(&q, WSC_FRAME_TEXT, true, true, "more", 4) && q.items == 2,
		"second push after draining");
	sendq_finish(&q);
	ok(sendq_empty(&q) && q.bytes == 0 && q.items == 0,
		"finish drops every frame");
	sendq_finish(&q);
	sendq_finish(NULL);
	ok(1, "finish is safe twice and with NULL");
}

static void test_budget(void)
{
	struct wsc_sendq q;
	const size_t o = WSC_SENDQ_OVERHEAD;

	// each frame costs its payload plus WSC_SENDQ_OVERHEAD
	sendq_init(&q, 10 + 3 * o);
	ok(!sendq_full(&q), "budget 10+3o: empty queue not full");
	sendq_push(&q, WSC_FRAME_TEXT, true, true, "123456789", 9);
	ok(!sendq_full(&q), "budget 10+3o: 9 bytes not full");
	sendq_push(&q, WSC_FRAME_TEXT, true, true, "", 0);
	ok(!sendq_full(&q) && q.cost == 9 + 2 * o,
		"budget 10+3o: an empty frame costs the overhead only");
	sendq_push(&q, WSC_FRAME_TEXT, true, true, "a", 1);
	ok(sendq_full(&q), "budget 10+3o: 10 bytes in 3 frames full");
	sendq_push(&q, WSC_FRAME_TEXT, true, true, "bcdef", 5);
	ok(sendq_full(&q) && q.bytes == 15 && q.cost == 15 + 4 * o,
		"budget 10+3o: a soft limit, pushes beyond it still queue");
	sendq_pop(&q);
	ok(!sendq_full(&q) && q.bytes == 6 && q.cost == 6 + 3 * o,
		"budget 10+3o: pop of 9 bytes unfills");
	sendq_finish(&q);

	sendq_init(&q, 10 * o);
	for (int i = 0; i < 9; i++) {
		sendq_push(&q, WSC_FRAME_TEXT, true, true, "", 0);
	}
	ok(!sendq_full(&q), "9 empty frames under a budget of 10 overheads");
	sendq_push(&q, WSC_FRAME_TEXT, true, true, "", 0);
	ok(sendq_full(&q), "a flood of empty frames fills the queue too");
	sendq_finish(&q);
}

static void test_close(const struct close_row *r)
{
	struct wsc_sendq q;
	struct wsc_sendq_item *it;
	const char *reason = tap_esc(r->reason);

	sendq_init(&q, 1 << 20);
	ok(sendq_push_close(&q, r->code, r->reason), "close %u \"%s\": push",
		r->code, reason);
	it = sendq_peek(&q);
	if (ok(it && q.items == 1, "close %u \"%s\": one frame", r->code,
			reason)) {
		ok(it->kind == WSC_FRAME_CLOSE && it->first && it->last,
			"close %u \"%s\": kind CLOSE, first and last", r->code, reason);
		is_mem(sendq_payload(&q, it), it->len, r->want, r->want_len,
			"close %u \"%s\": payload", r->code, reason);
		is_int(q.bytes, r->want_len, "close %u \"%s\": bytes", r->code,
			reason);
	}
	sendq_finish(&q);
}

// A Close payload is at most 125 bytes: the reason is cut to 123.
static void test_close_long(void)
{
	struct wsc_sendq q;
	struct wsc_sendq_item *it;
	char reason[201], want[125];

	memset(reason, 'r', 200);
	reason[200] = '\0';
	want[0] = 0x03;
	want[1] = (char)0xe8;
	memset(want + 2, 'r', 123);
	sendq_init(&q, 1 << 20);
	sendq_push_close(&q, 1000, reason);
	it = sendq_peek(&q);
	if (ok(it, "close with a 200-byte reason: pushed")) {
		is_mem(sendq_payload(&q, it), it->len, want, sizeof(want),
			"close with a 200-byte reason: cut to 125 bytes");
	}
	sendq_finish(&q);
}

int main(void)
{
	test_fifo();
	test_budget();
	for (size_t i = 0; i < sizeof(close_rows) / sizeof(close_rows[0]); i++) {
		test_close(&close_rows[i]);
	}
	test_close_long();
	return done_testing();
}
