// libFuzzer: url_parse() and url_authority() never crash, and what they
// accept is well-formed.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), auth[WSC_URL_HOST_MAX + 16];
	struct wsc_url u;
	const char *why = NULL;

	memcpy(s, data, size);
	s[size] = '\0';
	if (url_parse(s, &u, &why)) {
		assert(u.host[0] && u.port > 0 && u.port <= 65535);
		assert(u.path[0] == '/');
		url_authority(&u, auth, sizeof(auth), true);
	} else {
		assert(why && *why && !strchr(why, '\n'));
	}
	free(s);
	return 0;
}
