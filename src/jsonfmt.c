/*
 * jsonfmt.c - a streaming JSON scanner that re-indents: one pass to check,
 * one pass to emit, each a loop over the bytes with an explicit stack; and
 * the same scan handing out the top object's members. --rpc runs it on
 * every message both ways, so the position lives in a local and each
 * byte's class is one table lookup.
 */
#include "jsonfmt.h"

#include <stdint.h>
#include <string.h>

#define FAIL SIZE_MAX       // what the readers below return on a fault

struct scan {
	const char *s;
	size_t n;
	jsonfmt_emit_fn emit;   // NULL: only check
	void *ctx;
	bool any;               // a string, number or literal may be the text
	bool layout;            // emit JSONFMT_SPACE and JSONFMT_NEWLINE too
	jsonfmt_member_fn member;   // set: the top object's members, no tokens
};

static inline __attribute__((always_inline)) void out(const struct scan *sc,
		enum jsonfmt_tok kind, size_t start, size_t len, unsigned depth)
{
	if (sc->emit && (sc->layout || (kind != JSONFMT_SPACE &&
			kind != JSONFMT_NEWLINE))) {
		sc->emit(sc->ctx, kind, sc->s + start, len, depth);
	}
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Past the whitespace at i (machine-written JSON mostly has none).
static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (unsigned char)s[i] <= ' ' && is_ws(s[i])) {
		i++;
	}
	return i;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}


/*
 * What each byte can be, looked up once per byte rather than tested
 * against several values: most of a message's bytes are inside strings,
 * and --rpc scans every message it sends and receives.
 */
enum {
	PLAIN = 1,          // in a string as itself: not '"', '\\', < 0x20
	DIGIT = 2,
};

#define RUN16(b) b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b
static const unsigned char byte_class[256] = {
	RUN16(0), RUN16(0),                         // 0x00-0x1f: controls
	PLAIN, PLAIN, 0, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN,     // 0x20-0x27: '"'
	PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN,
	PLAIN | DIGIT, PLAIN | DIGIT, PLAIN | DIGIT, PLAIN | DIGIT,   // 0x30-
	PLAIN | DIGIT, PLAIN | DIGIT, PLAIN | DIGIT, PLAIN | DIGIT,
	PLAIN | DIGIT, PLAIN | DIGIT, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN,
	RUN16(PLAIN),                               // 0x40-0x4f
	PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN,  // 0x50-0x5f:
	PLAIN, PLAIN, PLAIN, PLAIN, 0, PLAIN, PLAIN, PLAIN,       // '\\'
	RUN16(PLAIN), RUN16(PLAIN),                 // 0x60-0x7f
	/*
	 * 0x80 and up: plain, not checked as UTF-8 (jsonfmt.h). A message
	 * received was checked by the message layer before it gets here;
	 * lines sent go out as given, and the display escapes the rest.
	 */
	RUN16(PLAIN), RUN16(PLAIN), RUN16(PLAIN), RUN16(PLAIN),
	RUN16(PLAIN), RUN16(PLAIN), RUN16(PLAIN), RUN16(PLAIN),
};
#undef RUN16

static inline bool is_class(char c, unsigned cls)
{
	return byte_class[(unsigned char)c] & cls;
}

// Past the string at i (its opening quote), or FAIL.
static inline __attribute__((always_inline)) size_t string(const char *s,
		size_t n, size_t i)
{
	i++;
	for (;;) {
		unsigned char c;

		// the plain run, four bytes a step while four are left
		while (i + 4 <= n && is_class(s[i], PLAIN) &&
				is_class(s[i + 1], PLAIN) && is_class(s[i + 2], PLAIN) &&
				is_class(s[i + 3], PLAIN)) {
			i += 4;
		}
		while (i < n && is_class(s[i], PLAIN)) {
			i++;
		}
		if (i >= n) {
			return FAIL;
		}
		c = (unsigned char)s[i];
		if (c == '"') {
			return i + 1;
		}
		if (c < 0x20 || i + 1 >= n) {
			return FAIL;
		}
		switch (s[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (i + 5 >= n || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) ||
					!is_hex(s[i + 4]) || !is_hex(s[i + 5])) {
				return FAIL;
			}
			i += 6;
			break;
		default:
			return FAIL;
		}
	}
}

static inline size_t digits(const char *s, size_t n, size_t i)
{
	while (i < n && is_class(s[i], DIGIT)) {
		i++;
	}
	return i;
}

// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?: past it, or FAIL
static inline __attribute__((always_inline)) size_t number(const char *s,
		size_t n, size_t i)
{
	size_t j;

	if (i < n && s[i] == '-') {
		i++;
	}
	if (i >= n || !is_class(s[i], DIGIT)) {
		return FAIL;
	}
	i = s[i] == '0' ? i + 1 : digits(s, n, i);
	if (i < n && s[i] == '.') {
		j = digits(s, n, i + 1);
		if (j == i + 1) {
			return FAIL;
		}
		i = j;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			i++;
		}
		j = digits(s, n, i);
		if (j == i) {
			return FAIL;
		}
		i = j;
	}
	return i;
}

static size_t literal(const char *s, size_t n, size_t i, const char *word,
		size_t len)
{
	return n - i >= len && !memcmp(s + i, word, len) ? i + len : FAIL;
}

// A string, number or literal at i, emitted as one token: past it, or FAIL.
static inline __attribute__((always_inline)) size_t scalar(
		const struct scan *sc, size_t i, unsigned depth)
{
	enum jsonfmt_tok kind = JSONFMT_LITERAL;
	size_t j;

	switch (sc->s[i]) {
	case '"':
		kind = JSONFMT_STRING;
		j = string(sc->s, sc->n, i);
		break;
	case 't':
		j = literal(sc->s, sc->n, i, "true", 4);
		break;
	case 'f':
		j = literal(sc->s, sc->n, i, "false", 5);
		break;
	case 'n':
		j = literal(sc->s, sc->n, i, "null", 4);
		break;
	default:
		kind = JSONFMT_NUMBER;
		j = number(sc->s, sc->n, i);
		break;
	}
	if (j != FAIL) {
		out(sc, kind, i, j - i, depth);
	}
	return j;
}

// An object member's name at i and its colon: past them, or FAIL. At the
// top object's depth, the name's token is kept in name[0..1).
static inline __attribute__((always_inline)) size_t key(
		const struct scan *sc, size_t i, unsigned depth,
		size_t name[2])
{
	size_t j;

	i = skip_ws(sc->s, sc->n, i);
	if (i >= sc->n || sc->s[i] != '"' ||
			(j = string(sc->s, sc->n, i)) == FAIL) {
		return FAIL;
	}
	if (depth == 1) {
		name[0] = i;
		name[1] = j;
	}
	out(sc, JSONFMT_KEY, i, j - i, depth);
	j = skip_ws(sc->s, sc->n, j);
	if (j >= sc->n || sc->s[j] != ':') {
		return FAIL;
	}
	out(sc, JSONFMT_PUNCT, j, 1, depth);
	out(sc, JSONFMT_SPACE, j, 0, depth);
	return j + 1;
}

/*
 * The scan itself, inlined into each entry point below so that what a
 * caller does not ask for (the emit calls, the member calls) is compiled
 * out of its copy rather than tested at every token.
 */
static inline __attribute__((always_inline)) bool scan(const struct scan *sc)
{
	const char *s = sc->s;
	size_t n = sc->n, i = skip_ws(s, n, 0);
	char stack[JSONFMT_MAX_DEPTH];     // '{' or '[' per open container
	unsigned depth = 0;
	size_t name[2] = { 0, 0 }, val_at = 0;  // the top object's member

	if (i >= n || (!sc->any && s[i] != '{' && s[i] != '[')) {
		return false;
	}
	for (;;) {
		char c, close;
		bool have_value = false;

		// a value is expected here
		i = skip_ws(s, n, i);
		if (i >= n) {
			return false;
		}
		if (depth == 1) {
			val_at = i;
		}
		c = s[i];
		if (c == '{' || c == '[') {
			if (depth == JSONFMT_MAX_DEPTH) {
				return false;
			}
			stack[depth++] = c;
			out(sc, JSONFMT_PUNCT, i++, 1, depth - 1);
			i = skip_ws(s, n, i);
			close = c == '{' ? '}' : ']';
			if (i < n && s[i] == close) {
				out(sc, JSONFMT_PUNCT, i++, 1, --depth);
				have_value = true;
			} else {
				out(sc, JSONFMT_NEWLINE, i, 0, depth);
				if (c == '{' && (i = key(sc, i, depth, name)) == FAIL) {
					return false;
				}
				continue;
			}
		}
		if (!have_value && (i = scalar(sc, i, depth)) == FAIL) {
			return false;
		}
		// after a value: close containers, or a comma and the next one
		for (;;) {
			if (depth == 1 && sc->member) {
				sc->member(sc->ctx, s + name[0], name[1] - name[0], val_at,
					i - val_at);
			}
			i = skip_ws(s, n, i);
			if (depth == 0) {
				return i == n;
			}
			if (i >= n) {
				return false;
			}
			c = s[i];
			close = stack[depth - 1] == '{' ? '}' : ']';
			if (c == close) {
				depth--;
				out(sc, JSONFMT_NEWLINE, i, 0, depth);
				out(sc, JSONFMT_PUNCT, i++, 1, depth);
				continue;
			}
			if (c != ',') {
				return false;
			}
			out(sc, JSONFMT_PUNCT, i++, 1, depth);
			out(sc, JSONFMT_NEWLINE, i, 0, depth);
			if (stack[depth - 1] == '{' &&
					(i = key(sc, i, depth, name)) == FAIL) {
				return false;
			}
			break;
		}
	}
}

bool jsonfmt_valid(const char *s, size_t len)
{
	struct scan sc = { .s = s, .n = len };

	return scan(&sc);
}

bool jsonfmt_valid_value(const char *s, size_t len)
{
	struct scan sc = { .s = s, .n = len, .any = true };

	return scan(&sc);
}

bool jsonfmt_scan(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx)
{
	struct scan sc = { .s = s, .n = len, .emit = emit, .ctx = ctx };

	return scan(&sc);
}

bool jsonfmt_members(const char *s, size_t len, jsonfmt_member_fn member,
		void *ctx)
{
	struct scan sc = { .s = s, .n = len, .ctx = ctx, .member = member };
	size_t i = skip_ws(s, len, 0);

	return i < len && s[i] == '{' && scan(&sc);
}

bool jsonfmt_format(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx)
{
	struct scan sc = { .s = s, .n = len, .emit = emit, .ctx = ctx,
		.layout = true };

	if (!jsonfmt_valid(s, len)) {
		return false;
	}
	return scan(&sc);
}
