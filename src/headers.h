/*
 * headers.h - what wsc adds to the opening handshake: -H lines, the
 * subprotocol list, Basic credentials. Pure: validates and formats only.
 */
#ifndef WSC_HEADERS_H
#define WSC_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Check a -H argument of the form "Name: value". The name must be an HTTP
 * token; neither part may hold CR, LF or NUL. Returns false with *why set.
 */
bool headers_check(const char *line, const char **why);

/*
 * Append the names in a comma list (spaces around names allowed) to the
 * comma-joined list in buf (size bytes), skipping duplicates. Returns false
 * with *why set for an empty or invalid name or when buf is too small.
 */
bool headers_add_protocols(char *buf, size_t size, const char *list,
		const char **why);

/* true when name is in the comma-joined list (exact match). */
bool headers_protocol_offered(const char *list, const char *name);

/*
 * "Basic <base64(user:pass)>" into out. Returns false when out is too small.
 */
bool headers_basic_auth(const char *user, const char *pass, char *out,
		size_t size);

#endif
