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

/*
 * Strings are skipped eight bytes at a time while eight remain, then byte
 * by byte: the byte that ends a plain run (a quote, a backslash, a control
 * byte) is found at every offset of the word and of the tail, and every
 * other byte (0x20, 0x7f, 0x80 and up, '!' and ']' beside the quote and
 * the backslash in ASCII) is passed.
 */
static void test_string_words(void)
{
	static const unsigned char plain[] = { ' ', '!', '#', '[', ']', 0x7f,
		0x80, 0xa2, 0xdc, 0xe0, 0xff };
	bool all = true;

	for (size_t k = 0; k < 20; k++) {
		char t[40];
		size_t n;

		// ["<k x><b>yy"] for each kind of byte b at offset k
		memset(t, 0, sizeof(t));
		memcpy(t, "[\"", 2);
		memset(t + 2, 'x', k);
		n = 2 + k;
		for (size_t p = 0; p < sizeof(plain); p++) {
			t[n] = (char)plain[p];
			memcpy(t + n + 1, "yy\"]", 5);
			all &= jsonfmt_valid(t, n + 5);
		}
		t[n] = 0x1f;
		all &= !jsonfmt_valid(t, n + 5);
		t[n] = '\n';
		all &= !jsonfmt_valid(t, n + 5);
		memcpy(t + n, "\\\"yy\"]", 6);     // an escaped quote at k
		all &= jsonfmt_valid(t, n + 6);
		memcpy(t + n, "\\qyy\"]", 6);      // a bad escape at k
		all &= !jsonfmt_valid(t, n + 6);
		memcpy(t + n, "\"]", 2);            // the closing quote at k
		all &= jsonfmt_valid(t, n + 2);
		all &= !jsonfmt_valid(t, n);        // cut inside the string
		all &= !jsonfmt_valid(t, n + 1);    // cut after it: no ']'
	}
	ok(all, "strings: the end of a plain run found at every offset");
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
	test_string_words();
	return done_testing();
}
