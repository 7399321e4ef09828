/*
 * test-room.c - the room's pure parts: the memory budget (what may grow,
 * the reserve for short messages, when to pause), a message shared by
 * several queues (held once, freed with its last reference, frames
 * written whole across partial writes, what a drop discards) and the
 * slow-reader rule.
 */
#include <stdbool.h>
#include <string.h>

#include "frame.h"
#include "roombudget.h"
#include "roomfair.h"
#include "roommsg.h"
#include "roomq.h"
#include "tap.h"

#define MiB (1024 * 1024)
#define SEC 1000000

static void budget(void)
{
	struct roombudget b;

	roombudget_init(&b, 16 * MiB);
	is_int(b.limit, 32 * MiB, "budget: twice --max-size, 32 MiB at least");
	roombudget_init(&b, 1000);
	is_int(b.limit, 32 * MiB, "budget: a small --max-size keeps 32 MiB");
	roombudget_init(&b, 100 * MiB);
	is_int(b.limit, 200 * MiB, "budget: twice a larger --max-size");
	roombudget_init(&b, 16 * MiB);
	ok(roombudget_take(&b, 0, 28 * MiB), "a message may take up to 7/8");
	ok(!roombudget_take(&b, 28 * MiB, 1), "but not past the reserve line");
	ok(roombudget_take(&b, 0, 64 * 1024), "a short one uses the reserve");
	ok(!roombudget_take(&b, 64 * 1024, 1), "past 64 KiB it may not");
	is_int(roombudget_left(&b, 0), 64 * 1024, "another short one still fits");
	roombudget_give(&b, 64 * 1024);
	roombudget_hold(&b, 17 * MiB);
	ok(roombudget_pause(&b, false), "over half held for relay: pause");
	roombudget_release(&b, 8 * MiB);
	ok(roombudget_pause(&b, true), "still paused above a quarter");
	ok(!roombudget_pause(&b, false), "not paused again below half");
	roombudget_release(&b, 2 * MiB);
	ok(!roombudget_pause(&b, true), "resumed at a quarter");
}

static void shared(void)
{
	struct roombudget b;
	struct roomq q1, q2;
	struct roommsg *m, *c;
	struct iovec iov[8];
	const unsigned char *f;
	size_t len, held;

	roombudget_init(&b, 0);
	m = roommsg_new(&b);
	ok(m && roommsg_append(m, "hello ", 6, 100) == ROOMMSG_OK &&
		roommsg_append(m, "room", 4, 100) == ROOMMSG_OK, "appended");
	ok(b.inbound >= 10 && b.held == 0, "counted as inbound");
	roommsg_seal(m, FRAME_FIN | FRAME_TEXT);
	f = roommsg_frame(m, &len);
	is_mem(f, len, "\x81\x0ahello room", 12,
		"sealed: the frame, header in the headroom");
	ok(b.inbound == 0 && b.held == m->charged, "now counted as held");
	roomq_init(&q1, &b);
	roomq_init(&q2, &b);
	ok(roomq_push(&q1, m) && roomq_push(&q2, m), "queued twice");
	held = b.held;
	roommsg_unref(m);
	is_int(b.held, held, "the queues keep it: held once");
	is_int(q1.backlog, 12 + ROOMQ_OVERHEAD, "backlog: frame + overhead");
	c = roommsg_make(&b, FRAME_FIN | FRAME_CLOSE, "\x03\xf0", 2);
	ok(c && roomq_push(&q1, c), "a Close after it");
	roommsg_unref(c);
	is_int(roomq_iov(&q1, iov, 8), 2, "two frames to write");
	ok(!roomq_written(&q1, 5), "5 bytes written: no Close yet");
	is_int(roomq_iov(&q1, iov, 8), 2, "still two frames");
	is_mem(iov[0].iov_base, iov[0].iov_len, "lo room", 7,
		"the first goes on where it stopped");
	ok(roomq_written(&q1, 7 + 4), "the rest and the Close: done");
	ok(roomq_empty(&q1), "q1 empty");
	roomq_finish(&q2);
	is_int(b.held, 0, "the last reference gave every byte back");

	m = roommsg_make(&b, FRAME_FIN | FRAME_TEXT, "abcdef", 6);
	roomq_push(&q1, m);
	roomq_push(&q1, m);
	roommsg_unref(m);
	c = roommsg_make(&b, FRAME_FIN | FRAME_CLOSE, "", 0);
	roomq_written(&q1, 3);
	roomq_discard(&q1);
	roomq_push(&q1, c);
	roommsg_unref(c);
	is_int(roomq_iov(&q1, iov, 8), 2, "discard: the begun frame stays");
	is_int(q1.backlog, 5 + ROOMQ_OVERHEAD + 2 + ROOMQ_OVERHEAD,
		"and its rest counts, with the Close");
	roomq_finish(&q1);
	is_int(b.held, 0, "nothing held after finish");

	m = roommsg_new(&b);
	ok(roommsg_append(m, "x", 1, 100) == ROOMMSG_OK, "a message starts");
	b.held = b.limit;       // the room's memory is all in queues
	ok(roommsg_append(m, "y", 1, 100) == ROOMMSG_OK,
		"it grows within what it reserved");
	is_int(roommsg_append(m, "z", 200, 1000), ROOMMSG_BUDGET,
		"past it: refused, no room left");
	b.held = 0;
	roommsg_unref(m);
	is_int(b.inbound, 0, "an unfinished message freed gives back its bytes");
}

static void fair(void)
{
	struct roomfair f = { 0 };

	roomfair_queued(&f, 100, 0);
	is_int(roomfair_deadline(&f), 5 * SEC, "queued: 5 s to take it");
	roomfair_wrote(&f, 0, 100, 1 * SEC);
	is_int(roomfair_deadline(&f), 5 * SEC, "nothing taken: same deadline");
	roomfair_wrote(&f, 100, 0, 2 * SEC);
	is_int(roomfair_deadline(&f), 0, "took it all: owes nothing");
	roomfair_queued(&f, 3 * MiB, 10 * SEC);
	roomfair_wrote(&f, MiB - 1, 2 * MiB, 12 * SEC);
	is_int(roomfair_deadline(&f), 15 * SEC, "less than 1 MiB: no new period");
	roomfair_wrote(&f, 1, 2 * MiB, 13 * SEC);
	is_int(roomfair_deadline(&f), 18 * SEC, "1 MiB taken: a new period");
	roomfair_queued(&f, 4 * MiB, 14 * SEC);
	is_int(roomfair_deadline(&f), 18 * SEC,
		"more queued does not move it: only taking does");
}

int main(void)
{
	budget();
	shared();
	fair();
	return done_testing();
}
