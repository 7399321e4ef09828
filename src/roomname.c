/*
 * roomname.c - the chat room's names, the pure part (roomname.h): the one
 * rule a name keeps and the sentences the room says about names. Names
 * are shown on terminals and pages next to what people say, so a name
 * must not be able to hide itself, move the cursor or reorder the text
 * around it: control, white-space and invisible formatting characters are
 * refused, not escaped.
 */
#include "roomname.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char guest[] = "guest-";

/* The code point at s (valid UTF-8), and its length in *len. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
	size_t n = s[0] < 0x80 ? 1 : utf8_seq_len(s[0]);
	uint32_t c = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ?
		s[0] & 0x0fu : s[0] & 0x07u;

	for (size_t i = 1; i < n; i++) {
		c = c << 6 | (s[i] & 0x3fu);
	}
	*len = n;
	return c;
}

/* Control characters, white space (Unicode's White_Space) and the
 * invisible ones that format text (Cf that shows nothing, fillers). */
static bool unseen(uint32_t c)
{
	static const uint32_t ranges[][2] = {
		{ 0x0000, 0x0020 }, { 0x007f, 0x00a0 }, { 0x00ad, 0x00ad },
		{ 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x115f, 0x1160 },
		{ 0x1680, 0x1680 }, { 0x180e, 0x180e }, { 0x2000, 0x200f },
		{ 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },
		{ 0x3164, 0x3164 }, { 0xfeff, 0xfeff },
		{ 0xffa0, 0xffa0 }, { 0xfff9, 0xfffb }, { 0x1d173, 0x1d17a },
		{ 0xe0000, 0xe0fff },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (c >= ranges[i][0] && c <= ranges[i][1]) {
			return true;
		}
	}
	return false;
}

enum roomname_rule roomname_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t digits = 0, len;

	if (!n || n > ROOMNAME_MAX || !utf8_valid(u, n)) {
		return ROOMNAME_BAD;
	}
	for (size_t i = 0; i < n; i += len) {
		if (unseen(decode(u + i, &len))) {
			return ROOMNAME_BAD;
		}
	}
	if (n > sizeof(guest) - 1 && !memcmp(s, guest, sizeof(guest) - 1)) {
		while (sizeof(guest) - 1 + digits < n &&
				s[sizeof(guest) - 1 + digits] >= '0' &&
				s[sizeof(guest) - 1 + digits] <= '9') {
			digits++;
		}
		if (sizeof(guest) - 1 + digits == n) {
			return ROOMNAME_DEFAULT;
		}
	}
	return ROOMNAME_OK;
}

void roomname_default(char out[ROOMNAME_MAX + 1], unsigned id)
{
	snprintf(out, ROOMNAME_MAX + 1, "%s%u", guest, id);
}

bool roomname_request(const unsigned char *t, size_t n, const char **name,
		size_t *len)
{
	if (n < 5 || memcmp(t, "/nick", 5) || (n > 5 && t[5] != ' ')) {
		return false;
	}
	*name = (const char *)t + (n > 5 ? 6 : 5);    // "/nick": empty, at its end
	*len = n > 5 ? n - 6 : 0;
	return true;
}

size_t roomname_lead(const char *name, char out[ROOMNAME_LEAD_MAX + 1])
{
	int n = snprintf(out, ROOMNAME_LEAD_MAX + 1, "%s: ", name);

	return n < 0 ? 0 : (size_t)n > ROOMNAME_LEAD_MAX ? ROOMNAME_LEAD_MAX :
		(size_t)n;
}

size_t roomname_say(char out[ROOMNAME_SAY_MAX], const char *prefix,
		enum roomname_say what, const char *name, const char *to)
{
	int n = 0;

	switch (what) {
	case ROOMNAME_SAY_WELCOME:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%syou are %s; send /nick NAME "
			"to change your name", prefix, name);
		break;
	case ROOMNAME_SAY_JOINED:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%s%s joined", prefix, name);
		break;
	case ROOMNAME_SAY_LEFT:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%s%s left", prefix, name);
		break;
	case ROOMNAME_SAY_RENAMED:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%s%s is now %s", prefix, name,
			to);
		break;
	case ROOMNAME_SAY_NOW:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%syou are now %s", prefix,
			name);
		break;
	case ROOMNAME_SAY_ALREADY:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%syou are %s already", prefix,
			name);
		break;
	case ROOMNAME_SAY_TAKEN:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%sname \"%s\" is taken", prefix,
			name);
		break;
	case ROOMNAME_SAY_BAD:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%sa name is 1 to %d bytes "
			"without spaces or control characters", prefix, ROOMNAME_MAX);
		break;
	case ROOMNAME_SAY_RESERVED:
		n = snprintf(out, ROOMNAME_SAY_MAX, "%sguest-N names are the "
			"room's defaults: pick another", prefix);
		break;
	}
	return n < 0 ? 0 : (size_t)n >= ROOMNAME_SAY_MAX ? ROOMNAME_SAY_MAX - 1 :
		(size_t)n;
}
