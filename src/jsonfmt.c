/*
 * jsonfmt.c - a streaming JSON scanner that re-indents: one pass to check,
 * one pass to emit, each a loop over the bytes with an explicit stack.
 */
#include "jsonfmt.h"

struct scan {
	const char *s;
	size_t n, i;
	jsonfmt_emit_fn emit;   // NULL: only check
	void *ctx;
	bool any;               // a string, number or literal may be the text
	bool layout;            // emit JSONFMT_SPACE and JSONFMT_NEWLINE too
};

static void out(struct scan *sc, enum jsonfmt_tok kind, size_t start,
		size_t len, unsigned depth)
{
	if (sc->emit && (sc->layout || (kind != JSONFMT_SPACE &&
			kind != JSONFMT_NEWLINE))) {
		sc->emit(sc->ctx, kind, sc->s + start, len, depth);
	}
}

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
			sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r')) {
		sc->i++;
	}
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

// A string at sc->i (the opening quote); on success i is past the close.
static bool string(struct scan *sc)
{
	size_t i = sc->i + 1;

	while (i < sc->n) {
		unsigned char c = (unsigned char)sc->s[i];

		if (c == '"') {
			sc->i = i + 1;
			return true;
		}
		if (c < 0x20) {
			return false;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= sc->n) {
			return false;
		}
		switch (sc->s[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (i + 5 >= sc->n || !is_hex(sc->s[i + 2]) ||
					!is_hex(sc->s[i + 3]) || !is_hex(sc->s[i + 4]) ||
					!is_hex(sc->s[i + 5])) {
				return false;
			}
			i += 6;
			break;
		default:
			return false;
		}
	}
	return false;
}

static size_t digits(const struct scan *sc, size_t i)
{
	while (i < sc->n && is_digit(sc->s[i])) {
		i++;
	}
	return i;
}

// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
static bool number(struct scan *sc)
{
	size_t i = sc->i, j;

	if (i < sc->n && sc->s[i] == '-') {
		i++;
	}
	if (i >= sc->n || !is_digit(sc->s[i])) {
		return false;
	}
	i = sc->s[i] == '0' ? i + 1 : digits(sc, i);
	if (i < sc->n && sc->s[i] == '.') {
		j = digits(sc, i + 1);
		if (j == i + 1) {
			return false;
		}
		i = j;
	}
	if (i < sc->n && (sc->s[i] == 'e' || sc->s[i] == 'E')) {
		i++;
		if (i < sc->n && (sc->s[i] == '+' || sc->s[i] == '-')) {
			i++;
		}
		j = digits(sc, i);
		if (j == i) {
			return false;
		}
		i = j;
	}
	sc->i = i;
	return true;
}

static bool literal(struct scan *sc, const char *word, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		if (sc->i + k >= sc->n || sc->s[sc->i + k] != word[k]) {
			return false;
		}
	}
	sc->i += len;
	return true;
}

// A string, number or literal at sc->i, emitted as one token.
static bool scalar(struct scan *sc, unsigned depth)
{
	size_t start = sc->i;
	enum jsonfmt_tok kind = JSONFMT_LITERAL;
	bool ok;

	switch (sc->s[start]) {
	case '"':
		kind = JSONFMT_STRING;
		ok = string(sc);
		break;
	case 't':
		ok = literal(sc, "true", 4);
		break;
	case 'f':
		ok = literal(sc, "false", 5);
		break;
	case 'n':
		ok = literal(sc, "null", 4);
		break;
	default:
		kind = JSONFMT_NUMBER;
		ok = number(sc);
		break;
	}
	if (ok) {
		out(sc, kind, start, sc->i - start, depth);
	}
	return ok;
}

// An object member's name and its colon.
static bool key(struct scan *sc, unsigned depth)
{
	size_t start;

	skip_ws(sc);
	start = sc->i;
	if (sc->i >= sc->n || sc->s[sc->i] != '"' || !string(sc)) {
		return false;
	}
	out(sc, JSONFMT_KEY, start, sc->i - start, depth);
	skip_ws(sc);
	if (sc->i >= sc->n || sc->s[sc->i] != ':') {
		return false;
	}
	out(sc, JSONFMT_PUNCT, sc->i, 1, depth);
	out(sc, JSONFMT_SPACE, sc->i, 0, depth);
	sc->i++;
	return true;
}

static bool scan(struct scan *sc)
{
	char stack[JSONFMT_MAX_DEPTH];     // '{' or '[' per open container
	unsigned depth = 0;

	skip_ws(sc);
	if (sc->i >= sc->n || (!sc->any && sc->s[sc->i] != '{' &&
			sc->s[sc->i] != '[')) {
		return false;
	}
	for (;;) {
		char c, close;
		bool have_value = false;

		// a value is expected here
		skip_ws(sc);
		if (sc->i >= sc->n) {
			return false;
		}
		c = sc->s[sc->i];
		if (c == '{' || c == '[') {
			if (depth == JSONFMT_MAX_DEPTH) {
				return false;
			}
			stack[depth++] = c;
			out(sc, JSONFMT_PUNCT, sc->i++, 1, depth - 1);
			skip_ws(sc);
			close = c == '{' ? '}' : ']';
			if (sc->i < sc->n && sc->s[sc->i] == close) {
				out(sc, JSONFMT_PUNCT, sc->i++, 1, --depth);
				have_value = true;
			} else {
				out(sc, JSONFMT_NEWLINE, sc->i, 0, depth);
				if (c == '{' && !key(sc, depth)) {
					return false;
				}
				continue;
			}
		}
		if (!have_value && !scalar(sc, depth)) {
			return false;
		}
		// after a value: close containers, or a comma and the next one
		for (;;) {
			skip_ws(sc);
			if (depth == 0) {
				return sc->i == sc->n;
			}
			if (sc->i >= sc->n) {
				return false;
			}
			c = sc->s[sc->i];
			close = stack[depth - 1] == '{' ? '}' : ']';
			if (c == close) {
				depth--;
				out(sc, JSONFMT_NEWLINE, sc->i, 0, depth);
				out(sc, JSONFMT_PUNCT, sc->i++, 1, depth);
				continue;
			}
			if (c != ',') {
				return false;
			}
			out(sc, JSONFMT_PUNCT, sc->i++, 1, depth);
			out(sc, JSONFMT_NEWLINE, sc->i, 0, depth);
			if (stack[depth - 1] == '{' && !key(sc, depth)) {
				return false;
			}
			break;
		}
	}
}

bool jsonfmt_valid(const char *s, size_t len)
{
	struct scan sc = { s, len, 0, NULL, NULL, false, false };

	return scan(&sc);
}

bool jsonfmt_valid_value(const char *s, size_t len)
{
	struct scan sc = { s, len, 0, NULL, NULL, true, false };

	return scan(&sc);
}

bool jsonfmt_scan(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx)
{
	struct scan sc = { s, len, 0, emit, ctx, false, false };

	return scan(&sc);
}

bool jsonfmt_format(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx)
{
	struct scan sc = { s, len, 0, emit, ctx, false, true };

	if (!jsonfmt_valid(s, len)) {
		return false;
	}
	return scan(&sc);
}
