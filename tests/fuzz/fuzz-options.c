// libFuzzer: the number parsers behind every numeric option.
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

	memcpy(s, data, size);
	s[size] = '\0';
	if (options_parse_uint(s, 1, 65535, &v, &why)) {
		assert(v >= 1 && v <= 65535);
	}
	if (options_parse_secs(s, true, &ms, &why)) {
		assert(ms >= -1);
	}
	free(s);
	return 0;
}
