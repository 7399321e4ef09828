/*
 * jsonfmt.h - re-indent one JSON text without touching its tokens. The
 * scanner checks RFC 8259 syntax and hands out every token with its bytes
 * exactly as received (numbers are never converted, escapes never
 * decoded, key order kept); only the whitespace between tokens is new.
 * Pure: no allocation, no I/O, no recursion.
 */
#ifndef WSC_JSONFMT_H
#define WSC_JSONFMT_H

#include <stdbool.h>
#include <stddef.h>

#define JSONFMT_MAX_DEPTH 256   // deeper nesting is not re-indented

enum jsonfmt_tok {
	JSONFMT_PUNCT,      // { } [ ] , :
	JSONFMT_KEY,        // an object member's name, quotes included
	JSONFMT_STRING,     // a string value, quotes included
	JSONFMT_NUMBER,
	JSONFMT_LITERAL,    // true, false, null
	JSONFMT_SPACE,      // the one space after ':'
	JSONFMT_NEWLINE,    // a line break, then depth levels of indent
};

/* Called for each token in order; len is 0 for JSONFMT_NEWLINE. */
typedef void (*jsonfmt_emit_fn)(void *ctx, enum jsonfmt_tok kind,
		const char *tok, size_t len, unsigned depth);

/*
 * True when s[0..len) is one JSON object or array, with optional
 * whitespace around it, nested at most JSONFMT_MAX_DEPTH deep. Bytes of
 * 0x80 and above inside strings are not checked (the caller's display
 * escapes what is not UTF-8).
 */
bool jsonfmt_valid(const char *s, size_t len);

/* The same for any one JSON value: a string, number, true, false or null
 * too. */
bool jsonfmt_valid_value(const char *s, size_t len);

/*
 * Emit the tokens while checking, in one pass, without the layout ones
 * (JSONFMT_SPACE, JSONFMT_NEWLINE): when the text is not valid, what was
 * emitted before the fault was found stands, and false is returned (the
 * caller discards it).
 */
bool jsonfmt_scan(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx);

/* A member of the top object: its name as a key token (quotes included)
 * and its value's bytes, s[at .. at + len). */
typedef void (*jsonfmt_member_fn)(void *ctx, const char *key, size_t klen,
		size_t at, size_t len);

/*
 * Check that s[0..len) is one JSON object, as jsonfmt_valid(), and call
 * member for each of its own members in order (not for nested ones), no
 * token emitted: what a caller that wants a top-level member or two pays
 * instead of a callback per token. As with jsonfmt_scan(), the calls made
 * before a fault stand: discard them when false is returned.
 */
bool jsonfmt_members(const char *s, size_t len, jsonfmt_member_fn member,
		void *ctx);

/*
 * Emit a valid text re-indented: a line break after '{', '[' and ',' and
 * before '}' and ']' (empty containers stay "{}" and "[]"), ": " after a
 * key. Returns false, having emitted nothing, when the text is not valid.
 */
bool jsonfmt_format(const char *s, size_t len, jsonfmt_emit_fn emit,
		void *ctx);

#endif
