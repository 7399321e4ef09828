// libFuzzer: the terminal-escaping filter. Whatever the bytes and however
// they are cut into pieces, the result holds no control character but tab,
// no invalid UTF-8, and no C1 control.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		assert(c >= 0x20 || c == '\t');
		assert(c != 0x7f);
		if (c >= 0x80) {
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			assert(c >= 0xc2 && c <= 0xf4);
			assert(i + need <= n);
			for (size_t k = 1; k < need; k++) {
				assert((s[i + k] & 0xc0) == 0x80);
			}
			assert(!(c == 0xc2 && s[i + 1] < 0xa0));
			i += need - 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// the first byte picks where to cut the input into two pieces
	size_t cut = size ? data[0] % (size + 1) : 0;
	char *out = malloc(6 * (size + 8) + 64);
	unsigned char pend[4];
	size_t npend = 0, n = 0;

	if (size > WSC_OUTPUT_ESCAPE_MAX) {
		size = WSC_OUTPUT_ESCAPE_MAX;
		cut = cut > size ? size : cut;
	}
	n += output_escape(data, cut, false, pend, &npend, out + n);
	n += output_escape(data + cut, size - cut, true, pend, &npend, out + n);
	assert(npend == 0);
	check((const unsigned char *)out, n);
	free(out);
	return 0;
}
