// libFuzzer: header validation and subprotocol lists.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), list[256] = "", auth[512];
	const char *why;

	memcpy(s, data, size);
	s[size] = '\0';
	if (headers_check(s, &why)) {
		assert(!strpbrk(s, "\r\n") && strchr(s, ':'));
	}
	if (headers_add_protocols(list, sizeof(list), s, &why)) {
		assert(strlen(list) < sizeof(list));
		assert(!strpbrk(list, " \r\n"));
	}
	headers_protocol_offered(list, s);
	headers_basic_auth(s, s, auth, sizeof(auth));
	free(s);
	return 0;
}
