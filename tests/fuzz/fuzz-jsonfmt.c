// libFuzzer: the JSON re-indenter. Never crashes; what it emits for a
// valid text is valid again, has the same tokens byte for byte, and
// re-indents to itself.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	char *text;             // the rendering
	size_t n, cap;
	char *toks;             // kind byte, then the token, then NUL
	size_t tn, tcap;
};

static void grow(char **p, size_t *cap, size_t need)
{
	if (need > *cap) {
		*cap = need * 2 + 64;
		*p = realloc(*p, *cap);
		assert(*p);
	}
}

static void add(char **p, size_t *n, size_t *cap, const void *s, size_t len)
{
	grow(p, cap, *n + len + 1);
	memcpy(*p + *n, s, len);
	*n += len;
}

static void emit(void *ctx, enum jsonfmt_tok kind, const char *tok,
		size_t len, unsigned depth)
{
	struct sink *k = ctx;
	char kb = (char)('A' + kind);

	assert(depth <= JSONFMT_MAX_DEPTH);
	if (kind == JSONFMT_NEWLINE) {
		add(&k->text, &k->n, &k->cap, "\n", 1);
		for (unsigned i = 0; i < depth; i++) {
			add(&k->text, &k->n, &k->cap, "  ", 2);
		}
		return;
	}
	if (kind == JSONFMT_SPACE) {
		add(&k->text, &k->n, &k->cap, " ", 1);
		return;
	}
	assert(len > 0);
	add(&k->text, &k->n, &k->cap, tok, len);
	add(&k->toks, &k->tn, &k->tcap, &kb, 1);
	add(&k->toks, &k->tn, &k->tcap, tok, len);
	add(&k->toks, &k->tn, &k->tcap, "", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink a = { 0 }, b = { 0 };
	bool valid = jsonfmt_valid((const char *)data, size);

	assert(jsonfmt_format((const char *)data, size, emit, &a) == valid);
	if (valid) {
		assert(jsonfmt_valid(a.text, a.n));
		assert(jsonfmt_format(a.text, a.n, emit, &b));
		assert(a.tn == b.tn && !memcmp(a.toks, b.toks, a.tn));
		assert(b.n == a.n && !memcmp(a.text, b.text, a.n));
	} else {
		assert(a.n == 0 && a.tn == 0);
	}
	free(a.text);
	free(a.toks);
	free(b.text);
	free(b.toks);
	return 0;
}
