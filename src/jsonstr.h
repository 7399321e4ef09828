/*
 * jsonstr.h - the characters of a JSON string token with its escapes
 * decoded: what --expect-json and --rpc compare names and strings by, and
 * what --replay reads a recording's text from.
 */
#ifndef WSC_JSONSTR_H
#define WSC_JSONSTR_H

#include <stdbool.h>
#include <stddef.h>

#define JSONSTR_CHAR_MAX 4      // the most bytes one step gives

/*
 * One step through the string token s[0..n) (its quotes included, its
 * escapes already checked by the scanner, jsonfmt.c), from *i (1 at the
 * start: past the opening quote). The next character's bytes go to out:
 * an unescaped byte as it is, an escape as UTF-8, a surrogate pair as one
 * character. A lone surrogate is written as itself (three bytes that are
 * not valid UTF-8) and sets *lone. Returns how many bytes, 0 at the
 * closing quote.
 */
size_t jsonstr_next(const char *s, size_t n, size_t *i,
	unsigned char out[JSONSTR_CHAR_MAX], bool *lone);

#endif
