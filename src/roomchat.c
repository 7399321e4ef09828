/*
 * roomchat.c - the --listen room's chat mode (the default; not with
 * --plain or --echo): who is who. Every client is named guest-ID when it
 * joins and the console is named host; a text goes to the others as
 * "NAME: TEXT" (the room writes that lead in front of the payload as it
 * receives it, roomrx.h, so the message is still built once for all);
 * "/nick NAME" renames its sender; joins, leaves and renames are told to
 * the room as plain text messages starting with "* ". What a name may be
 * and every sentence said is in roomname.c.
 *
 * What the room says is a room message like any other (roommsg.h): held
 * once, counted in the budget, queued behind what is already queued. So
 * a client renaming itself in a loop costs what sending messages does,
 * and is paused, or dropped as too slow, by the same rules.
 */
#include "room.h"

#include <string.h>

#include "frame.h"
#include "log.h"

/* A sentence to p alone. */
static void say_to(struct room *r, struct wsc_peer *p, const char *text,
		size_t n)
{
	struct roommsg *m = roommsg_make(&r->budget, FRAME_FIN | FRAME_TEXT,
		text, n);

	if (!m) {
		log_err("out of memory");
		return;
	}
	peer_push(r, p, m);
	roomz_reset(&r->z);     // its compressed form is p's alone
	roommsg_unref(m);
	room_update_flow(r);
}

/* A sentence to every client but except (NULL: to all). */
static void say_all(struct room *r, struct wsc_peer *except,
		const char *text, size_t n)
{
	struct roommsg *m;

	if (!r->peers || (r->peers == except && !except->next)) {
		return;
	}
	m = roommsg_make(&r->budget, FRAME_FIN | FRAME_TEXT, text, n);
	if (!m) {
		log_err("out of memory");
		return;
	}
	room_broadcast(r, except, m);
	roommsg_unref(m);
}

void roomchat_join(struct room *r, struct wsc_peer *p)
{
	char s[ROOMNAME_SAY_MAX];

	roomname_default(p->name, p->id);
	if (!r->chat || r->closing) {
		return;
	}
	say_to(r, p, s, roomname_say(s, "* ", ROOMNAME_SAY_WELCOME, p->name,
		NULL));
	say_all(r, p, s, roomname_say(s, "* ", ROOMNAME_SAY_JOINED, p->name,
		NULL));
}

void roomchat_leave(struct room *r, struct wsc_peer *p)
{
	char s[ROOMNAME_SAY_MAX];

	if (r->chat && !r->closing) {
		say_all(r, NULL, s, roomname_say(s, "* ", ROOMNAME_SAY_LEFT,
			p->name, NULL));
	}
}

size_t roomchat_lead(const struct room *r, const struct wsc_peer *p,
		char lead[ROOMNAME_LEAD_MAX + 1])
{
	return r->chat ? roomname_lead(p ? p->name : r->name, lead) : 0;
}

/* Is name[0..n) someone's in the room (the console's too)? */
static bool taken(const struct room *r, const char *name, size_t n)
{
	if (strlen(r->name) == n && !memcmp(r->name, name, n)) {
		return true;
	}
	for (const struct wsc_peer *p = r->peers; p; p = p->next) {
		if (strlen(p->name) == n && !memcmp(p->name, name, n)) {
			return true;
		}
	}
	return false;
}

/* An answer to who asked: a client gets it as "* ...", the console as a
 * line of its own. */
static void answer(struct room *r, struct wsc_peer *p, bool error,
		enum roomname_say what, const char *name)
{
	char s[ROOMNAME_SAY_MAX];

	if (p) {
		say_to(r, p, s, roomname_say(s, "* ", what, name, NULL));
		return;
	}
	roomname_say(s, "", what, name, NULL);
	if (error) {
		log_err("%s", s);
	} else {
		log_note("%s", s);
	}
}

bool roomchat_request(struct room *r, struct wsc_peer *p,
		const unsigned char *t, size_t n)
{
	char *mine = p ? p->name : r->name, was[ROOMNAME_MAX + 1],
		want[ROOMNAME_MAX + 1], s[ROOMNAME_SAY_MAX];
	const char *name;
	size_t len;

	if (!r->chat || !roomname_request(t, n, &name, &len)) {
		return false;
	}
	switch (roomname_check(name, len)) {
	case ROOMNAME_BAD:
		answer(r, p, true, ROOMNAME_SAY_BAD, NULL);
		return true;
	case ROOMNAME_DEFAULT:
		roomname_default(want, p ? p->id : 0);
		if (!p || strlen(want) != len || memcmp(want, name, len)) {
			answer(r, p, true, ROOMNAME_SAY_RESERVED, NULL);
			return true;
		}
		break;  // a client may take its own default back
	case ROOMNAME_OK:
		break;
	}
	memcpy(want, name, len);
	want[len] = '\0';
	if (!strcmp(want, mine)) {
		answer(r, p, false, ROOMNAME_SAY_ALREADY, mine);
		return true;
	}
	if (taken(r, want, len)) {
		answer(r, p, true, ROOMNAME_SAY_TAKEN, want);
		return true;
	}
	memcpy(was, mine, sizeof(was));
	memcpy(mine, want, len + 1);
	if (p && room_line(r, LINE_RENAME)) {
		log_info("%s is now %s (client #%u)", was, mine, p->id);
	}
	answer(r, p, false, ROOMNAME_SAY_NOW, mine);
	say_all(r, p, s, roomname_say(s, "* ", ROOMNAME_SAY_RENAMED, was, mine));
	return true;
}
