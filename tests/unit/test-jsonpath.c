/*
 * test-jsonpath.c - paths read and refused, values found at them with
 * their exact bytes, and JSON values compared: strings by character,
 * numbers by exact decimal value (big integers never rounded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"
#include "jsonpath.h"
#include "tap.h"

static const struct find_row {
	const char *name, *path, *text, *want;  // want NULL: nothing there
} finds[] = {
	{ "top member", "type", "{\"type\":\"ack\",\"id\":1}", "\"ack\"" },
	{ "nested", "result.items.0.id",
		"{\"result\":{\"items\":[{\"id\":7},{\"id\":8}]}}", "7" },
	{ "second element", "result.items.1.id",
		"{\"result\":{\"items\":[{\"id\":7},{\"id\":8}]}}", "8" },
	{ "index past the end", "a.2", "{\"a\":[1,2]}", NULL },
	{ "index into nested arrays", "a.1.0", "{\"a\":[[1],[2,3]]}", "2" },
	{ "top array", "1", "[true,null]", "null" },
	{ "container returned whole", "a",
		"{\"a\" : { \"b\" : [1, {\"c\":2}] } , \"z\":0}",
		"{ \"b\" : [1, {\"c\":2}] }" },
	{ "big integer exact", "id", "{\"id\":12345678901234567891}",
		"12345678901234567891" },
	{ "number form kept", "v", "{\"v\":-2.50e-007}", "-2.50e-007" },
	{ "escaped name", "caf\xc3\xa9", "{\"caf\\u00e9\":1}", "1" },
	{ "surrogate pair name", "\xf0\x9f\x8e\x89", "{\"\\ud83c\\udf89\":2}",
		"2" },
	{ "dot escaped", "a\\.b", "{\"a.b\":1,\"a\":{\"b\":2}}", "1" },
	{ "dot is a level", "a.b", "{\"a.b\":1,\"a\":{\"b\":2}}", "2" },
	{ "equals escaped", "a\\=b", "{\"a=b\":3}", "3" },
	{ "numeric name in an object", "0", "{\"0\":\"zero\"}", "\"zero\"" },
	{ "name on an array", "x", "[1]", NULL },
	{ "leading zero is not an index", "01", "[1,2]", NULL },
	{ "last duplicate wins", "a", "{\"a\":1,\"a\":2}", "2" },
	{ "sibling names are not parents", "b.c",
		"{\"a\":{\"c\":1},\"b\":5,\"d\":{\"c\":2}}", NULL },
	{ "skip nested lookalike", "id",
		"{\"params\":{\"id\":9},\"id\":3}", "3" },
	{ "value deeper than path", "a", "{\"a\":[[[]]]}", "[[[]]]" },
	{ "path deeper than value", "a.b.c", "{\"a\":{\"b\":1}}", NULL },
	{ "not JSON", "a", "{\"a\":1", NULL },
	{ "scalar text", "a", "\"a\"", NULL },
	{ "empty string value", "s", "{\"s\":\"\"}", "\"\"" },
	{ "prefix of a name", "ab", "{\"abc\":1,\"a\":2}", NULL },
	{ "longer name", "abc", "{\"ab\":1}", NULL },
};

static const struct eq_row {
	const char *a, *b;
	int equal;
} eqs[] = {
	{ "1", "1", 1 },
	{ "1", "1.0", 1 },
	{ "1", "1e0", 1 },
	{ "1", "10e-1", 1 },
	{ "100", "1E2", 1 },
	{ "100", "1e+2", 1 },
	{ "0", "-0", 1 },
	{ "0.000", "0e5", 1 },
	{ "-1", "1", 0 },
	{ "12345678901234567891", "12345678901234567891", 1 },
	{ "12345678901234567891", "12345678901234567890", 0 },
	{ "12345678901234567891", "1.2345678901234567891e19", 1 },
	{ "0.1", "1e-1", 1 },
	{ "0.1", "0.10000000000000001", 0 },
	{ "1e1000000000000000000000", "1e1000000000000000000000", 1 },
	{ "1e1000000000000000000000", "10e999999999999999999999", 0 },
	{ "\"a\"", "\"a\"", 1 },
	{ "\"\\u00e9\"", "\"\xc3\xa9\"", 1 },
	{ "\"\\u00E9\"", "\"\\u00e9\"", 1 },
	{ "\"\\/\"", "\"/\"", 1 },
	{ "\"\\ud83c\\udf89\"", "\"\xf0\x9f\x8e\x89\"", 1 },
	{ "\"a\"", "\"ab\"", 0 },
	{ "\"1\"", "1", 0 },
	{ "true", "true", 1 },
	{ "true", "false", 0 },
	{ "null", "null", 1 },
	{ "[1, \"x\"]", "[1.0,\"\\u0078\"]", 1 },
	{ "[1]", "[1,2]", 0 },
	{ "{\"a\":1,\"b\":2}", "{ \"a\" : 1 , \"b\" : 2 }", 1 },
	{ "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", 0 },
	{ "[]", "{}", 0 },
};

static void test_parse(void)
{
	static const char *const bad[] = { "", ".", "a.", ".a", "a..b", "a\\",
		"a\\b" };
	struct jsonpath p;
	const char *why = NULL;
	char longname[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(!jsonpath_parse(&p, bad[i], strlen(bad[i]), &why) && why,
			"path '%s' refused (%s)", bad[i], why ? why : "");
	}
	memset(longname, 'a', sizeof(longname));
	ok(!jsonpath_parse(&p, longname, sizeof(longname), &why),
		"a path over 512 bytes is refused");
	ok(jsonpath_parse(&p, "a\\\\b.7", 6, &why) && p.n == 2 &&
		p.part[0].len == 3 && !memcmp(p.text + p.part[0].off, "a\\b", 3) &&
		p.part[1].is_index && p.part[1].index == 7,
		"escaped backslash and an index");
	ok(jsonpath_parse(&p, "99999999999999999999999", 23, &why) &&
		p.part[0].is_index && p.part[0].index == (size_t)-1,
		"an index too big saturates (it matches nothing)");
}

static void test_find(void)
{
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		const struct find_row *r = &finds[i];
		struct jsonpath p;
		const char *why;
		size_t at = 0, len = 0;
		bool got;

		if (!jsonpath_parse(&p, r->path, strlen(r->path), &why)) {
			ok(0, "%s: path parses (%s)", r->name, why);
			continue;
		}
		got = jsonpath_find(r->text, strlen(r->text), &p, &at, &len);
		if (!r->want) {
			ok(!got, "%s: nothing found", r->name);
			continue;
		}
		ok(got, "%s: found", r->name);
		is_mem(r->text + at, got ? len : 0, r->want, strlen(r->want),
			"%s: its bytes", r->name);
	}
}

// Every cut of a valid text is either refused or still finds exact bytes.
static void test_cuts(void)
{
	const char *t = "{\"a\":{\"b\":[1,{\"c\":\"x\\u00e9\"}]},\"d\":2}";
	struct jsonpath p;
	const char *why;
	bool all = true;

	jsonpath_parse(&p, "a.b.1.c", 7, &why);
	for (size_t n = 0; n < strlen(t); n++) {
		size_t at, len;

		if (jsonpath_find(t, n, &p, &at, &len)) {
			all = false;
		}
	}
	ok(all, "no cut of the text finds anything");
}

// Several paths in one pass: each as found alone; a fault after a match
// finds nothing.
static void test_find_all(void)
{
	const char *t = "{\"method\":\"m\",\"params\":{\"id\":9},\"id\":3}";
	struct jsonpath m, id, err;
	const struct jsonpath *paths[] = { &m, &id, &err };
	struct jsonpath_span sp[3];
	const char *why;

	jsonpath_parse(&m, "method", 6, &why);
	jsonpath_parse(&id, "id", 2, &why);
	jsonpath_parse(&err, "error", 5, &why);
	ok(jsonpath_find_all(t, strlen(t), paths, 3, sp), "three paths: valid");
	is_mem(t + sp[0].at, sp[0].found ? sp[0].len : 0, "\"m\"", 3,
		"method found");
	is_mem(t + sp[1].at, sp[1].found ? sp[1].len : 0, "3", 1,
		"the top id found, not the nested one");
	ok(!sp[2].found, "error not there");
	t = "{\"id\":3,\"method\":\"m\" x}";
	ok(!jsonpath_find_all(t, strlen(t), paths, 2, sp) && !sp[0].found &&
		!sp[1].found, "a fault after both matched: nothing found");
	ok(!jsonpath_find_all(t, strlen(t), paths, JSONPATH_FIND_MAX + 1, sp),
		"more paths than JSONPATH_FIND_MAX are refused");
}

// The top object's own members in one pass: as find_all() finds paths of
// one component, for every row of the table whose path is one name and
// whose text is an object, and on texts made for the member walk.
static void test_members(void)
{
	bool all = true;
	const char *t;
	static const char *const rpc[] = { "method", "id", "error" };
	static const char *const odd[] = { "", "a\\b", "\\" };
	struct jsonpath_span sp[3];

	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		const struct find_row *r = &finds[i];
		const char *name = r->path;
		struct jsonpath p;
		const struct jsonpath *pp = &p;
		struct jsonpath_span want, got;
		const char *why;
		bool vw, vg;

		if (strpbrk(name, ".\\") || r->text[0] != '{' ||
				!jsonpath_parse(&p, name, strlen(name), &why)) {
			continue;
		}
		vw = jsonpath_find_all(r->text, strlen(r->text), &pp, 1, &want);
		vg = jsonpath_members(r->text, strlen(r->text), &name, 1, &got);
		if (vw != vg || want.found != got.found || (want.found &&
				(want.at != got.at || want.len != got.len))) {
			diag("%s: members differs from find_all", r->name);
			all = false;
		}
	}
	ok(all, "members finds what find_all finds, row by row");

	t = " {\"params\":{\"id\":1,\"error\":[{\"id\":2}]},\"id\" : [3, {\"id\":4}] ,"
		"\"method\":\"a\\\"b\"} ";
	ok(jsonpath_members(t, strlen(t), rpc, 3, sp), "a request: valid");
	is_mem(t + sp[0].at, sp[0].found ? sp[0].len : 0, "\"a\\\"b\"", 6,
		"method: the string token as written");
	is_mem(t + sp[1].at, sp[1].found ? sp[1].len : 0, "[3, {\"id\":4}]", 13,
		"id: the top one, a container whole, blanks around left out");
	ok(!sp[2].found, "error only nested: not found");
	t = "{\"\\u0069d\":7,\"i\\\\d\":8,\"idd\":9}";
	ok(jsonpath_members(t, strlen(t), rpc + 1, 1, sp) && sp[0].found &&
		sp[0].len == 1 && t[sp[0].at] == '7',
		"an escaped name is its characters; a longer one is not it");
	t = "{\"id\":1,\"id\":{},\"error\":null}";
	ok(jsonpath_members(t, strlen(t), rpc + 1, 2, sp) && sp[0].len == 2 &&
		sp[1].len == 4, "the last duplicate counts; an empty object whole");
	t = "{\"id\":1,\"method\":\"m\" x}";
	ok(!jsonpath_members(t, strlen(t), rpc, 2, sp) && !sp[0].found &&
		!sp[1].found, "a fault after both matched: nothing found");
	t = "[{\"id\":1}]";
	ok(!jsonpath_members(t, strlen(t), rpc + 1, 1, sp) && !sp[0].found,
		"an array is not an object");
	ok(jsonpath_members("{}", 2, rpc, 3, sp) && !sp[0].found && !sp[1].found
		&& !sp[2].found, "an empty object: valid, nothing found");
	ok(!jsonpath_members("{\"id\":1", 7, rpc + 1, 1, sp) && !sp[0].found,
		"cut short: nothing found");
	t = "{\"\":1,\"a\\b\":2,\"\\\\\":3}";
	ok(jsonpath_members(t, strlen(t), odd, 3, sp) && sp[0].found &&
		t[sp[0].at] == '1' && !sp[1].found && sp[2].found &&
		t[sp[2].at] == '3', "an empty name is only the empty key; a key "
		"whose bytes are the name's but escaped is not it");
	ok(!jsonpath_members("{}", 2, rpc, JSONPATH_FIND_MAX + 1, sp),
		"more names than JSONPATH_FIND_MAX are refused");
}

static void test_equal(void)
{
	for (size_t i = 0; i < sizeof(eqs) / sizeof(eqs[0]); i++) {
		const struct eq_row *r = &eqs[i];

		ok(jsonfmt_valid_value(r->a, strlen(r->a)) &&
			jsonfmt_valid_value(r->b, strlen(r->b)), "%s and %s valid",
			r->a, r->b);
		ok(jsonpath_equal(r->a, strlen(r->a), r->b, strlen(r->b)) ==
			(r->equal == 1) && jsonpath_equal(r->b, strlen(r->b), r->a,
			strlen(r->a)) == (r->equal == 1), "%s %s %s", r->a,
			r->equal ? "==" : "!=", r->b);
	}
	ok(jsonpath_is_string("\"conn\\u0065ction_ack\"", 21,
		"connection_ack", 14), "a string is its decoded characters");
	ok(!jsonpath_is_string("\"ack\"", 5, "ac", 2), "not a prefix");
	ok(!jsonpath_is_string("5", 1, "5", 1), "a number is not a string");
	ok(jsonpath_is_string("\"\"", 2, "", 0), "the empty string");
	ok(!jsonfmt_valid_value("1,2", 3), "two values are not one value");
	ok(!jsonfmt_valid_value("connection_ack", 14), "a bare word is not JSON");
	ok(jsonfmt_valid_value(" 7 ", 3), "blanks around a value");
}

int main(void)
{
	test_parse();
	test_find();
	test_cuts();
	test_find_all();
	test_members();
	test_equal();
	return done_testing();
}
