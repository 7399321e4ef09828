/*
 * test-jsonfmt.c - the re-indenter against a table: valid texts come out
 * re-indented with every token's bytes as they were, invalid ones are
 * refused with nothing emitted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"
#include "tap.h"

struct buf {
	char s[8192];
	size_t n;
	unsigned calls;
};

static void add(struct buf *b, const char *p, size_t len)
{
	if (b->n + len < sizeof(b->s)) {
		memcpy(b->s + b->n, p, len);
		b->n += len;
		b->s[b->n] = '\0';
	}
}

static void emit(void *ctx, enum jsonfmt_tok kind, const char *tok,
		size_t len, unsigned depth)
{
	struct buf *b = ctx;

	b->calls++;
	if (kind == JSONFMT_NEWLINE) {
		add(b, "\n", 1);
		for (unsigned i = 0; i < depth; i++) {
			add(b, "  ", 2);
		}
	} else if (kind == JSONFMT_SPACE) {
		add(b, " ", 1);
	} else {
		// mark the kind so the table shows how each token was classed
		static const char mark[] = "PKSNL";

		if (kind != JSONFMT_PUNCT) {
			add(b, &mark[kind], 1);
		}
		add(b, tok, len);
	}
}

static const struct row {
	const char *name, *in, *want;   // want NULL: refused
} rows[] = {
	{ "empty object", "{}", "{}" },
	{ "empty array with blanks", " [ \t\r\n ] ", "[]" },
	{ "big integer kept", "[12345678901234567890]",
		"[\n  N12345678901234567890\n]" },
	{ "number forms kept", "[-0,0.5,1e5,1E+5,-2.50e-007,100]",
		"[\n  N-0,\n  N0.5,\n  N1e5,\n  N1E+5,\n  N-2.50e-007,\n  N100\n]" },
	{ "escapes kept", "{\"a\\\"b\":\"\\u00e9\\n\\/\\\\\\ud83d\\ude00\"}",
		"{\n  K\"a\\\"b\": S\"\\u00e9\\n\\/\\\\\\ud83d\\ude00\"\n}" },
	{ "key order and duplicates kept", "{\"b\":1,\"a\":2,\"b\":3}",
		"{\n  K\"b\": N1,\n  K\"a\": N2,\n  K\"b\": N3\n}" },
	{ "literals", "[true,false,null]",
		"[\n  Ltrue,\n  Lfalse,\n  Lnull\n]" },
	{ "nesting", "{\"a\":[{},[1,{\"b\":[]}]]}",
		"{\n  K\"a\": [\n    {},\n    [\n      N1,\n      {\n        "
		"K\"b\": []\n      }\n    ]\n  ]\n}" },
	{ "raw UTF-8 in strings passes", "[\"\xe6\x97\xa5\"]",
		"[\n  S\"\xe6\x97\xa5\"\n]" },
	{ "scalar at top is not re-indented", "\"x\"", NULL },
	{ "number at top", "12345678901234567890", NULL },
	{ "empty", "", NULL },
	{ "blanks only", "  ", NULL },
	{ "cut", "{\"a\":1", NULL },
	{ "trailing comma", "[1,]", NULL },
	{ "missing comma", "[1 2]", NULL },
	{ "leading zero", "[01]", NULL },
	{ "bare dot", "[1.]", NULL },
	{ "plus sign", "[+1]", NULL },
	{ "bad exponent", "[1e]", NULL },
	{ "bad escape", "[\"\\x41\"]", NULL },
	{ "short \\u", "[\"\\u12\"]", NULL },
	{ "raw newline in string", "[\"a\nb\"]", NULL },
	{ "unquoted key", "{a:1}", NULL },
	{ "missing colon", "{\"a\" 1}", NULL },
	{ "mismatched close", "[1}", NULL },
	{ "two texts", "{}{}", NULL },
	{ "garbage after", "[1] x", NULL },
	{ "truncated literal", "[tru]", NULL },
	{ "NaN", "[NaN]", NULL },
	{ "single quotes", "['a']", NULL },
};

static void test_depth(void)
{
	char deep[2 * JSONFMT_MAX_DEPTH + 4];
	size_t n = 0;

	for (unsigned i = 0; i < JSONFMT_MAX_DEPTH; i++) {
		deep[n++] = '[';
	}
	for (unsigned i = 0; i < JSONFMT_MAX_DEPTH; i++) {
		deep[n++] = ']';
	}
	ok(jsonfmt_valid(deep, n), "nesting of JSONFMT_MAX_DEPTH is taken");
	memmove(deep + 1, deep, n);
	deep[0] = '[';
	deep[n + 1] = ']';
	ok(!jsonfmt_valid(deep, n + 2), "one level deeper is refused");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b = { .n = 0 };
		bool got = jsonfmt_format(rows[i].in, strlen(rows[i].in), emit, &b);

		if (rows[i].want) {
			ok(got && jsonfmt_valid(rows[i].in, strlen(rows[i].in)),
				"%s: valid", rows[i].name);
			is_str(b.s, rows[i].want, "%s: re-indented", rows[i].name);
		} else {
			ok(!got && !b.calls, "%s: refused, nothing emitted",
				rows[i].name);
		}
	}
	test_depth();
	return done_testing();
}
