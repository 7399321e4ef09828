/*
 * test-room.c - the room's pure parts: the memory budget (what may grow,
 * the reserve for short messages, when to pause), a message shared by
 * several queues (held once, freed with its last reference, frames
 * written whole across partial writes, what a drop discards), the
 * slow-reader rule, and the chat mode's names: the rule a name keeps, the
 * defaults, /nick requests and what the room says.
 */
#include <stdbool.h>
#include <string.h>

#include "frame.h"
#include "roombudget.h"
#include "roomfair.h"
#include "roommsg.h"
#include "roomname.h"
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

static void name_is(const char *s, size_t n, enum roomname_rule want,
		const char *what)
{
	is_int(roomname_check(s, n), want, "%s", what);
}

static void names(void)
{
	char out[ROOMNAME_SAY_MAX], lead[ROOMNAME_LEAD_MAX + 1], def[33];
	const char *name;
	size_t len;
	static const char *const bad[] = {
		"a b", "a\tb", "a\x1b[2J", "a\x7f", "a\xc2\x85" "b",
		"a\xc2\xa0" "b", "a\xe2\x80\x8b" "b", "a\xe2\x80\xae" "b",
		"a\xe2\x81\xa6" "b", "\xef\xbb\xbf" "a", "a\xe3\x80\x80" "b", "\xff",
		"a\xc3", "\xed\xa0\x80", "\xc0\xaf", "a\xe2\x80\xa8",
	};

	name_is("alice", 5, ROOMNAME_OK, "name: a word");
	name_is("Zoë-ü_1.x/y:z", strlen("Zoë-ü_1.x/y:z"), ROOMNAME_OK,
		"name: letters, digits and punctuation of any script");
	name_is("\xe2\x9d\xa4\xef\xb8\x8f", 6, ROOMNAME_OK,
		"name: an emoji with its variation selector");
	name_is("", 0, ROOMNAME_BAD, "name: not empty");
	name_is("0123456789abcdef0123456789abcdef", 32, ROOMNAME_OK,
		"name: 32 bytes");
	name_is("0123456789abcdef0123456789abcdefg", 33, ROOMNAME_BAD,
		"name: not 33");
	name_is("a\0b", 3, ROOMNAME_BAD, "name: no NUL");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[80];

		snprintf(what, sizeof(what), "name: refused %s",
			tap_esc_n(bad[i], strlen(bad[i])));
		name_is(bad[i], strlen(bad[i]), ROOMNAME_BAD, what);
	}
	name_is("guest-7", 7, ROOMNAME_DEFAULT, "name: guest-7 is a default");
	name_is("guest-007", 9, ROOMNAME_DEFAULT, "name: so is guest-007");
	name_is("guest-", 6, ROOMNAME_OK, "name: guest- is not");
	name_is("guest-7x", 8, ROOMNAME_OK, "name: nor guest-7x");
	name_is("Guest-7", 7, ROOMNAME_OK, "name: nor Guest-7 (case counts)");
	roomname_default(def, 4294967295u);
	is_str(def, "guest-4294967295", "default: guest-ID");

	ok(roomname_request((const unsigned char *)"/nick bob", 9, &name, &len)
		&& len == 3 && !memcmp(name, "bob", 3), "/nick bob asks for bob");
	ok(roomname_request((const unsigned char *)"/nick", 5, &name, &len) &&
		len == 0, "/nick alone asks for nothing");
	ok(roomname_request((const unsigned char *)"/nick  b c", 10, &name,
		&len) && len == 4 && !memcmp(name, " b c", 4),
		"/nick: all after the first space");
	ok(!roomname_request((const unsigned char *)"/nickname", 9, &name,
		&len), "/nickname is a message");
	ok(!roomname_request((const unsigned char *)" /nick bob", 10, &name,
		&len), "a leading space: a message");
	ok(!roomname_request((const unsigned char *)"/nic", 4, &name, &len),
		"/nic is a message");

	is_int(roomname_lead("alice", lead), 7, "lead: NAME and \": \"");
	is_str(lead, "alice: ", "lead: alice: ");
	is_int(roomname_lead("0123456789abcdef0123456789abcdef", lead),
		ROOMNAME_LEAD_MAX, "lead: the longest name fits");

	roomname_say(out, "* ", ROOMNAME_SAY_RENAMED, "guest-3", "alice");
	is_str(out, "* guest-3 is now alice", "say: a rename");
	roomname_say(out, "", ROOMNAME_SAY_TAKEN, "alice", NULL);
	is_str(out, "name \"alice\" is taken", "say: taken, for the console");
	roomname_say(out, "* ", ROOMNAME_SAY_WELCOME, "guest-3", NULL);
	is_str(out, "* you are guest-3; send /nick NAME to change your name",
		"say: the welcome");
	is_int(roomname_say(out, "* ", ROOMNAME_SAY_RENAMED,
		"0123456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcdef"), 2 + 32 + 8 + 32,
		"say: the longest rename fits");
}

int main(void)
{
	budget();
	shared();
	fair();
	names();
	return done_testing();
}
