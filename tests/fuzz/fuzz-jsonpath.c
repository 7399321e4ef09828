// libFuzzer: the path lookup and the comparison. The input is a path, a
// newline, then a JSON text. Never crashes; a value found is one valid
// JSON value inside the text, equal to itself and to its own copy with
// blanks added around it; several paths in one pass find what each finds
// alone; the top object's members are what find_all finds for "id".
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"
#include "jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	struct jsonpath p, top;
	const struct jsonpath *both[2] = { &p, &top };
	struct jsonpath_span sp[2], mem;
	const char *id = "id";
	const char *why;
	size_t at, len;
	bool found;
	char *copy;

	if (!nl || !jsonpath_parse(&p, s, (size_t)(nl - s), &why)) {
		return 0;
	}
	s = nl + 1;
	size -= (size_t)(s - (const char *)data);
	jsonpath_parse(&top, "id", 2, &why);
	found = jsonpath_find(s, size, &p, &at, &len);
	if (jsonpath_find_all(s, size, both, 2, sp)) {
		assert(sp[0].found == found);
		assert(!found || (sp[0].at == at && sp[0].len == len));
	} else {
		assert(!found && !sp[0].found && !sp[1].found);
	}
	if (jsonpath_members(s, size, &id, 1, &mem)) {
		assert(sp[1].found == mem.found);
		assert(!mem.found || (sp[1].at == mem.at && sp[1].len == mem.len));
	} else {
		assert(!mem.found);
	}
	if (!found) {
		return 0;
	}
	assert(at + len <= size && len > 0);
	assert(jsonfmt_valid_value(s + at, len));
	assert(jsonpath_equal(s + at, len, s + at, len));
	copy = malloc(len + 2);
	assert(copy);
	copy[0] = ' ';
	memcpy(copy + 1, s + at, len);
	copy[len + 1] = '\n';
	assert(jsonpath_equal(copy, len + 2, s + at, len));
	free(copy);
	return 0;
}
