/*
 * jsonpath.h - the value at a path in a JSON text, and whether two JSON
 * values are equal, both on the bytes as received: --expect-json finds
 * a field and compares it, --rpc pairs a reply with its request by id.
 *
 * A path is member names separated by dots ("result.items.0.id"); in an
 * array, a component of decimal digits (no leading zero but "0" itself)
 * is an index from 0; in an object every component is a member name, so
 * "0" names the member "0". "\." is a dot inside a name, "\=" an equals
 * sign and "\\" a backslash. When a name occurs twice in one object the
 * last one counts (as in JavaScript and Python).
 *
 * Equal: strings when their characters are (escapes decoded: "\u00e9",
 * "\u00E9" and "é" are one string; a surrogate pair is one character);
 * numbers when their exact decimal values are (1, 1.0, 1e0 and 10e-1 are
 * equal, 0 and -0 too; 12345678901234567891 equals only itself; an
 * exponent of more than 18 digits is compared as written); true, false
 * and null themselves; arrays element by element; objects member by
 * member in the same order. Pure: no allocation, no I/O.
 */
#ifndef WSC_JSONPATH_H
#define WSC_JSONPATH_H

#include <stdbool.h>
#include <stddef.h>

#define JSONPATH_MAX_PARTS 32
#define JSONPATH_MAX_TEXT 512   // the names, unescaped, one after another

struct jsonpath_part {
	size_t off, len;        // the name in text
	bool is_index;          // all digits, no leading zero
	size_t index;           // its value (SIZE_MAX when too big)
};

struct jsonpath {
	size_t n;
	struct jsonpath_part part[JSONPATH_MAX_PARTS];
	char text[JSONPATH_MAX_TEXT];
};

/*
 * Read a path from spec[0..len): false, with *why, when it is empty, has
 * an empty component, ends in a lone backslash or escapes something other
 * than '.', '=' or '\\', or is longer than the limits above.
 */
bool jsonpath_parse(struct jsonpath *p, const char *spec, size_t len,
		const char **why);

/*
 * The value at p in the JSON object or array s[0..n): true with its exact
 * bytes at s[*at .. *at + *len). False when s is not one valid JSON
 * object or array (jsonfmt.h) or nothing is at p.
 */
bool jsonpath_find(const char *s, size_t n, const struct jsonpath *p,
		size_t *at, size_t *len);

#define JSONPATH_FIND_MAX 4

struct jsonpath_span {
	bool found;
	size_t at, len;
};

/* The values at k (at most JSONPATH_FIND_MAX) paths in one pass: false
 * when s is not valid (then nothing is found), else each span says. */
bool jsonpath_find_all(const char *s, size_t n,
		const struct jsonpath *const *paths, size_t k,
		struct jsonpath_span *out);

/* The members of the JSON object s[0..n) named names[0..k) (plain bytes,
 * compared with the names' characters, escapes decoded), its own only,
 * not nested ones: what find_all() finds for paths of one component, in
 * one pass that calls back per member instead of per token. False when s
 * is not one valid JSON object (then nothing is found). */
bool jsonpath_members(const char *s, size_t n, const char *const *names,
		size_t k, struct jsonpath_span *out);

/* Whether the valid JSON values a[0..an) and b[0..bn) are equal (above);
 * whitespace around and between tokens does not count. */
bool jsonpath_equal(const char *a, size_t an, const char *b, size_t bn);

/* Whether the JSON value v[0..vn) is a string whose characters are the
 * bytes t[0..tn). */
bool jsonpath_is_string(const char *v, size_t vn, const char *t, size_t tn);

#endif
