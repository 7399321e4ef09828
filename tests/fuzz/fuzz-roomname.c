// libFuzzer: the chat room's name rule and /nick requests. Whatever the
// bytes, a name the rule takes is 1 to 32 bytes of UTF-8 with no control
// character (C0, DEL, C1) and no space, so it cannot drive a terminal;
// a request's name lies inside the text; every sentence about a name fits.
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "roomname.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name;
	size_t len;
	char s[ROOMNAME_SAY_MAX], lead[ROOMNAME_LEAD_MAX + 1];
	char copy[ROOMNAME_MAX + 1];

	if (!roomname_request(data, size, &name, &len)) {
		name = (const char *)data;
		len = size;
	}
	assert(name >= (const char *)data && name + len <= (const char *)data +
		size);
	if (roomname_check(name, len) == ROOMNAME_BAD) {
		return 0;
	}
	assert(len >= 1 && len <= ROOMNAME_MAX);
	assert(utf8_valid((const unsigned char *)name, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		assert(c > 0x20 && c != 0x7f);
		assert(!(c == 0xc2 && i + 1 < len &&
			(unsigned char)name[i + 1] <= 0xa0));
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	assert(roomname_lead(copy, lead) == len + 2);
	assert(roomname_say(s, "* ", ROOMNAME_SAY_RENAMED, copy, copy) ==
		2 + 2 * len + 8);
	return 0;
}
