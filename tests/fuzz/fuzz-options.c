// libFuzzer: the number parsers behind every numeric option, and the
// --listen address parser.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "optionvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	unsigned long long v;
	const char *why;
	long ms;
	char host[WSC_LISTEN_HOST_MAX];
	int port;

	memcpy(s, data, size);
	s[size] = '\0';
	if (options_parse_uint(s, 1, 65535, &v, &why)) {
		assert(v >= 1 && v <= 65535);
	}
	if (options_parse_secs(s, true, &ms, &why)) {
		assert(ms >= -1);
	}
	if (options_parse_listen(s, host, sizeof(host), &port)) {
		assert(port >= 0 && port <= 65535 && *host &&
			strlen(host) < sizeof(host));
	}
	free(s);
	return 0;
}
