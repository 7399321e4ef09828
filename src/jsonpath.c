/*
 * jsonpath.c - a path lookup and a value comparison on top of jsonfmt.c's
 * scanner (jsonpath.h). Hand-written rather than a library: Debian's
 * jansson refuses an integer beyond 64 bits and json-c saturates it, so
 * neither can tell 12345678901234567891 from 12345678901234567890, and an
 * id or a field must compare exactly. Here the scanner that checks every
 * received JSON text for --pretty (and is fuzzed) hands out each token's
 * bytes as they came; the lookup follows them in one pass without
 * allocating, and the comparison decodes strings and normalises numbers
 * only as far as equality needs.
 */
#include "jsonpath.h"

#include <stdint.h>
#include <string.h>

#include "jsonfmt.h"
#include "jsonstr.h"

/* --- paths --- */

static bool index_of(const char *s, size_t n, size_t *v)
{
	if (!n || (s[0] == '0' && n > 1)) {
		return false;
	}
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		*v = *v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : *v * 10 +
			(size_t)(s[i] - '0');
	}
	return true;
}

static bool end_part(struct jsonpath *p, size_t start, size_t o,
		const char **why)
{
	struct jsonpath_part *pt;

	if (o == start) {
		*why = "an empty member name";
		return false;
	}
	if (p->n == JSONPATH_MAX_PARTS) {
		*why = "more than 32 components";
		return false;
	}
	pt = &p->part[p->n++];
	pt->off = start;
	pt->len = o - start;
	pt->is_index = index_of(p->text + start, pt->len, &pt->index);
	return true;
}

bool jsonpath_parse(struct jsonpath *p, const char *spec, size_t len,
		const char **why)
{
	size_t o = 0, start = 0;

	p->n = 0;
	if (!len) {
		*why = "an empty path";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = spec[i];

		if (ch == '.') {
			if (!end_part(p, start, o, why)) {
				return false;
			}
			start = o;
			continue;
		}
		if (ch == '\\') {
			if (i + 1 == len || (spec[i + 1] != '.' && spec[i + 1] != '=' &&
					spec[i + 1] != '\\')) {
				*why = "a backslash that escapes neither '.', '=' nor '\\'";
				return false;
			}
			ch = spec[++i];
		}
		if (o == sizeof(p->text)) {
			*why = "longer than 512 bytes";
			return false;
		}
		p->text[o++] = ch;
	}
	return end_part(p, start, o, why);
}

/* --- strings --- */

// A string token's characters as a stream of UTF-8 bytes.
struct str_bytes {
	const char *s;
	size_t n, i;
	unsigned char c[JSONSTR_CHAR_MAX];
	size_t k, used;
};

static int str_byte(struct str_bytes *b)
{
	if (b->used == b->k) {
		bool lone;  // a lone surrogate compares as itself

		b->k = jsonstr_next(b->s, b->n, &b->i, b->c, &lone);
		b->used = 0;
		if (!b->k) {
			return -1;
		}
	}
	return b->c[b->used++];
}

// Two valid string tokens (quotes included) hold the same characters.
static bool str_equal(const char *a, size_t an, const char *b, size_t bn)
{
	struct str_bytes x = { a, an, 1, { 0 }, 0, 0 };
	struct str_bytes y = { b, bn, 1, { 0 }, 0, 0 };
	int cx, cy;

	if (!memchr(a, '\\', an) && !memchr(b, '\\', bn)) {
		return an == bn && !memcmp(a, b, an);  // nothing escaped
	}
	do {
		cx = str_byte(&x);
		cy = str_byte(&y);
	} while (cx == cy && cx >= 0);
	return cx == cy;
}

// A valid string token holds exactly the bytes t[0..tn).
static bool str_is(const char *a, size_t an, const char *t, size_t tn)
{
	struct str_bytes x = { a, an, 1, { 0 }, 0, 0 };
	size_t o = 0;
	int c;

	if (!memchr(a + 1, '\\', an - 2)) {
		return an - 2 == tn && !memcmp(a + 1, t, tn);  // nothing escaped
	}
	while ((c = str_byte(&x)) >= 0) {
		if (o == tn || (unsigned char)t[o] != c) {
			return false;
		}
		o++;
	}
	return o == tn;
}

/* --- numbers --- */

// A valid number token as sign, significant digits and exponent.
struct num {
	bool neg, zero, huge;
	const char *s;          // the token
	size_t n;
	size_t ipos, ilen;      // integer digits
	size_t fpos, flen;      // fraction digits
	size_t lead, sig;       // leading zeros skipped, significant digits
	int64_t exp;            // value = sig digits * 10^exp
};

static char num_digit(const struct num *x, size_t k)
{
	return k < x->ilen ? x->s[x->ipos + k] : x->s[x->fpos + k - x->ilen];
}

static void num_read(struct num *x, const char *s, size_t n)
{
	size_t i = 0, total, trail = 0;
	int64_t e = 0;
	bool eneg = false;

	memset(x, 0, sizeof(*x));
	x->s = s;
	x->n = n;
	if (s[i] == '-') {
		x->neg = true;
		i++;
	}
	x->ipos = i;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
	}
	x->ilen = i - x->ipos;
	x->fpos = i;
	if (i < n && s[i] == '.') {
		x->fpos = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
		}
		x->flen = i - x->fpos;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (s[i] == '+' || s[i] == '-') {
			eneg = s[i++] == '-';
		}
		while (i < n && s[i] == '0') {
			i++;
		}
		if (n - i > 18) {
			x->huge = true;
		}
		for (; i < n && !x->huge; i++) {
			e = e * 10 + (s[i] - '0');
		}
	}
	total = x->ilen + x->flen;
	while (x->lead < total && num_digit(x, x->lead) == '0') {
		x->lead++;
	}
	if (x->lead == total) {
		x->zero = true;
		return;
	}
	while (num_digit(x, total - 1 - trail) == '0') {
		trail++;
	}
	x->sig = total - x->lead - trail;
	// digits are at most a message long, so this stays far from overflow
	x->exp = (eneg ? -e : e) - (int64_t)x->flen + (int64_t)trail;
}

static bool num_equal(const char *a, size_t an, const char *b, size_t bn)
{
	struct num x, y;

	num_read(&x, a, an);
	num_read(&y, b, bn);
	if (x.huge || y.huge) {
		return an == bn && !memcmp(a, b, an);
	}
	if (x.zero || y.zero) {
		return x.zero && y.zero;
	}
	if (x.neg != y.neg || x.sig != y.sig || x.exp != y.exp) {
		return false;
	}
	for (size_t k = 0; k < x.sig; k++) {
		if (num_digit(&x, x.lead + k) != num_digit(&y, y.lead + k)) {
			return false;
		}
	}
	return true;
}

/* --- values --- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_punct(char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' ||
		c == ':';
}

/* The next token of a valid JSON text at *i: its start and length; false
 * at the end. */
static bool tok_next(const char *s, size_t n, size_t *i, size_t *at,
		size_t *len)
{
	size_t j;

	while (*i < n && is_ws(s[*i])) {
		(*i)++;
	}
	if (*i >= n) {
		return false;
	}
	j = *i + 1;
	if (s[*i] == '"') {
		while (s[j] != '"') {
			j += s[j] == '\\' ? 2 : 1;
		}
		j++;
	} else if (!is_punct(s[*i])) {
		while (j < n && !is_ws(s[j]) && !is_punct(s[j])) {
			j++;
		}
	}
	*at = *i;
	*len = j - *i;
	*i = j;
	return true;
}

static bool is_number(char c)
{
	return c == '-' || (c >= '0' && c <= '9');
}

static bool tok_equal(const char *a, size_t an, const char *b, size_t bn)
{
	if (a[0] == '"' && b[0] == '"') {
		return str_equal(a, an, b, bn);
	}
	if (is_number(a[0]) && is_number(b[0])) {
		return num_equal(a, an, b, bn);
	}
	return an == bn && !memcmp(a, b, an);
}

bool jsonpath_equal(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	for (;;) {
		size_t pa, la, pb, lb;
		bool ha = tok_next(a, an, &i, &pa, &la);
		bool hb = tok_next(b, bn, &j, &pb, &lb);

		if (ha != hb) {
			return false;
		}
		if (!ha) {
			return true;
		}
		if (!tok_equal(a + pa, la, b + pb, lb)) {
			return false;
		}
	}
}

bool jsonpath_is_string(const char *v, size_t vn, const char *t, size_t tn)
{
	size_t i = 0, at, len;

	if (!tok_next(v, vn, &i, &at, &len) || v[at] != '"') {
		return false;
	}
	return str_is(v + at, len, t, tn);
}

/* --- the lookup --- */

/*
 * Following jsonfmt's tokens, for each path: the containers on the path
 * are the first `on` open ones (a value at depth D lies in D open
 * containers; it is on the path when all of them are and its name or index
 * is the path's component D - 1).
 */
struct find_one {
	const struct jsonpath *p;
	unsigned on;
	char kind[JSONPATH_MAX_PARTS];          // '{' or '[' of each
	size_t next[JSONPATH_MAX_PARTS];        // an array's next index
	bool named[JSONPATH_MAX_PARTS];         // an object's last name matched
	bool capturing;                         // inside the value found
	unsigned cap_depth;
	size_t cap_at;
	struct jsonpath_span *out;
};

struct find {
	const char *s;
	size_t k;
	struct find_one one[JSONPATH_FIND_MAX];
};

// Whether the value at depth d (>= 1) is the one path component d-1 names.
static bool selected(struct find_one *f, unsigned d)
{
	const struct jsonpath_part *pt = &f->p->part[d - 1];

	if (f->kind[d - 1] == '{') {
		return f->named[d - 1];
	}
	return pt->is_index && f->next[d - 1]++ == pt->index;
}

static void value_start(struct find_one *f, size_t at, char c, size_t len,
		unsigned d, bool container)
{
	if (d != f->on || f->capturing || (d > 0 && !selected(f, d))) {
		return;
	}
	if (d == f->p->n) {
		if (container) {
			f->capturing = true;
			f->cap_depth = d;
			f->cap_at = at;
		} else {
			// a name twice in one object: the last one counts
			f->out->found = true;
			f->out->at = at;
			f->out->len = len;
		}
		return;
	}
	if (container) {
		f->kind[d] = c;
		f->next[d] = 0;
		f->named[d] = false;
		f->on = d + 1;
	}
}

static void find_one_tok(struct find_one *f, enum jsonfmt_tok kind,
		const char *tok, size_t at, size_t len, unsigned depth)
{
	if (depth > f->on && !f->capturing) {
		return;     // inside a container off the path
	}
	switch (kind) {
	case JSONFMT_KEY:
		if (depth == f->on && depth > 0 && !f->capturing) {
			const struct jsonpath_part *pt = &f->p->part[depth - 1];

			f->named[depth - 1] = str_is(tok, len, f->p->text + pt->off,
				pt->len);
		}
		return;
	case JSONFMT_PUNCT:
		if (tok[0] == '{' || tok[0] == '[') {
			value_start(f, at, tok[0], len, depth, true);
		} else if (tok[0] == '}' || tok[0] == ']') {
			if (f->capturing && depth == f->cap_depth) {
				f->capturing = false;
				f->out->found = true;
				f->out->at = f->cap_at;
				f->out->len = at + 1 - f->cap_at;
			} else if (!f->capturing && f->on == depth + 1) {
				f->on = depth;
			}
		}
		return;
	case JSONFMT_STRING:
	case JSONFMT_NUMBER:
	case JSONFMT_LITERAL:
		value_start(f, at, tok[0], len, depth, false);
		return;
	default:
		return;
	}
}

static void find_tok(void *ctx, enum jsonfmt_tok kind, const char *tok,
		size_t len, unsigned depth)
{
	struct find *f = ctx;

	if (kind == JSONFMT_NEWLINE || kind == JSONFMT_SPACE) {
		return;
	}
	for (size_t i = 0; i < f->k; i++) {
		find_one_tok(&f->one[i], kind, tok, (size_t)(tok - f->s), len,
			depth);
	}
}

bool jsonpath_find_all(const char *s, size_t n,
		const struct jsonpath *const *paths, size_t k,
		struct jsonpath_span *out)
{
	struct find f;

	if (k > JSONPATH_FIND_MAX) {
		return false;
	}
	f.s = s;
	f.k = k;
	for (size_t i = 0; i < k; i++) {
		memset(&f.one[i], 0, sizeof(f.one[i]));
		f.one[i].p = paths[i];
		f.one[i].out = &out[i];
		memset(&out[i], 0, sizeof(out[i]));
		if (!paths[i]->n) {
			return false;
		}
	}
	if (!jsonfmt_scan(s, n, find_tok, &f)) {
		memset(out, 0, k * sizeof(*out));
		return false;
	}
	return true;
}

/* --- top-level members --- */

struct members {
	const char *const *names;
	size_t k;
	struct jsonpath_span *out;
};

static bool has_backslash(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			return true;
		}
	}
	return false;
}

// s[0..n) is the bytes of name (a C string): a short loop, since names
// are short and most keys differ at their first byte.
static bool same_bytes(const char *s, size_t n, const char *name)
{
	size_t i = 0;

	while (i < n && name[i] && s[i] == name[i]) {
		i++;
	}
	return i == n && !name[i];
}

static void member_cb(void *ctx, const char *key, size_t klen, size_t at,
		size_t len)
{
	struct members *m = ctx;
	size_t raw = klen - 2;  // the bytes between the quotes
	int escaped = -1;       // not looked at yet

	for (size_t i = 0; i < m->k; i++) {
		const char *name = m->names[i];
		bool is;

		/*
		 * Unescaped, a name is its bytes; escaped, it is longer than
		 * what it means. Most keys differ from the name at their first
		 * byte, which is its first character unless it is a backslash;
		 * then the bytes are compared, which settles the rest without
		 * looking for a backslash.
		 */
		if (!raw || !*name) {
			is = !raw && !*name;
		} else if (key[1] != *name && key[1] != '\\') {
			continue;
		} else if (same_bytes(key + 1, raw, name)) {
			is = !has_backslash(key + 1, raw);
		} else {
			if (escaped < 0) {
				escaped = has_backslash(key + 1, raw);
			}
			is = escaped && str_is(key, klen, name, strlen(name));
		}
		if (is) {
			// a name twice in one object: the last one counts
			m->out[i] = (struct jsonpath_span){ true, at, len };
		}
	}
}

bool jsonpath_members(const char *s, size_t n, const char *const *names,
		size_t k, struct jsonpath_span *out)
{
	struct members m = { .names = names, .k = k, .out = out };

	if (k > JSONPATH_FIND_MAX) {
		return false;
	}
	memset(out, 0, k * sizeof(*out));
	if (!jsonfmt_members(s, n, member_cb, &m)) {
		memset(out, 0, k * sizeof(*out));
		return false;
	}
	return true;
}

bool jsonpath_find(const char *s, size_t n, const struct jsonpath *p,
		size_t *at, size_t *len)
{
	struct jsonpath_span sp;

	if (!jsonpath_find_all(s, n, &p, 1, &sp) || !sp.found) {
		return false;
	}
	*at = sp.at;
	*len = sp.len;
	return true;
}
