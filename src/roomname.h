/*
 * roomname.h - names in the --listen room's chat mode, the pure part: the
 * rule a name keeps, the default names, a "/nick NAME" request, the
 * "NAME: " put in front of a relayed text, and every sentence the room
 * says about names. Pure: no room, no I/O.
 */
#ifndef WSC_ROOMNAME_H
#define WSC_ROOMNAME_H

#include <stdbool.h>
#include <stddef.h>

#define ROOMNAME_MAX 32         // bytes of a name
#define ROOMNAME_LEAD_MAX (ROOMNAME_MAX + 2)    // "NAME: "
#define ROOMNAME_CONSOLE "host" // the room's own console, at the start
#define ROOMNAME_SAY_MAX 160    // the longest sentence below, with its NUL

enum roomname_rule {
	ROOMNAME_OK,
	ROOMNAME_BAD,           // empty, too long, or a character not allowed
	ROOMNAME_DEFAULT,       // guest-N: the form of the defaults
};

/*
 * Does s[0..n) keep the rule for a name: 1 to ROOMNAME_MAX bytes of
 * UTF-8 without control characters (C0, DEL, C1), white space or
 * invisible formatting characters (zero-width ones, bidirectional
 * controls), and not of the form guest-DIGITS that the defaults have.
 */
enum roomname_rule roomname_check(const char *s, size_t n);

/* The default name of the client with room id id: "guest-ID". */
void roomname_default(char out[ROOMNAME_MAX + 1], unsigned id);

/*
 * Is the text t[0..n) a rename request: exactly "/nick" or "/nick " and
 * the rest? Then *name and *len are that rest (maybe empty, maybe not a
 * name at all).
 */
bool roomname_request(const unsigned char *t, size_t n, const char **name,
		size_t *len);

/* "NAME: " into out; returns its length. */
size_t roomname_lead(const char *name, char out[ROOMNAME_LEAD_MAX + 1]);

/* What the room says about names, one sentence each (without "* "). */
enum roomname_say {
	ROOMNAME_SAY_WELCOME,   // to a newcomer, name: its own
	ROOMNAME_SAY_JOINED,    // to the others
	ROOMNAME_SAY_LEFT,
	ROOMNAME_SAY_RENAMED,   // name -> to, to the others
	ROOMNAME_SAY_NOW,       // to the renamed one
	ROOMNAME_SAY_ALREADY,   // it asked for the name it has
	ROOMNAME_SAY_TAKEN,     // to the one that asked for name
	ROOMNAME_SAY_BAD,
	ROOMNAME_SAY_RESERVED,
};

/* The sentence into out (ROOMNAME_SAY_MAX bytes), after prefix ("* " for
 * a client, "" for the console's own lines); returns its length. */
size_t roomname_say(char out[ROOMNAME_SAY_MAX], const char *prefix,
		enum roomname_say what, const char *name, const char *to);

#endif
