// libFuzzer: the JSON event encoder. Escaped text is valid UTF-8 with no
// raw control characters or unescaped quotes; base64 in pieces equals
// base64 in one go.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? data[0] % (size + 1) : 0, n = 0, m = 0;
	char *out = malloc(6 * (size + 8) + 64), *b1, *b2, q[600];
	unsigned char pend[4], carry[2];
	size_t npend = 0, ncarry = 0;

	if (size > JSONL_ESCAPE_MAX) {
		size = JSONL_ESCAPE_MAX;
		cut = cut > size ? size : cut;
	}
	n += jsonl_escape(data, cut, false, pend, &npend, out + n);
	n += jsonl_escape(data + cut, size - cut, true, pend, &npend, out + n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		assert(c >= 0x20);
		if (c == '"') {
			assert(i > 0 && out[i - 1] == '\\');
		}
	}
	b1 = malloc(4 * size / 3 + 16);
	b2 = malloc(4 * size / 3 + 16);
	m = jsonl_base64(data, size, true, carry, &ncarry, b1);
	ncarry = 0;
	n = jsonl_base64(data, cut, false, carry, &ncarry, b2);
	n += jsonl_base64(data + cut, size - cut, true, carry, &ncarry, b2 + n);
	assert(n == m && !memcmp(b1, b2, n) && n % 4 == 0);
	jsonl_quote((const char *)data, size, q, sizeof(q));
	assert(q[0] == '"' && q[strlen(q) - 1] == '"');
	free(b1);
	free(b2);
	free(out);
	return 0;
}
