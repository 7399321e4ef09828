/*
 * httphead.h - an HTTP/1.1 message head (a response's status line or a
 * request's request line, then header fields) parsed from bytes that come
 * in pieces. Pure. The handshake checks in handshake.h read it: the client
 * its server's response, --listen each client's request.
 *
 * The head is kept twice: raw, exactly as received (what -D prints), and
 * parsed: every field in order, with its name's spelling and repeats, its
 * value trimmed of optional whitespace (RFC 7230 3.2.3: SP and HTAB).
 * Lines may end in CRLF or a bare LF; an obsolete folded line joins its
 * field's value with one space. The bytes after the blank line are not
 * taken: the caller hands them to the frame decoder.
 */
#ifndef WSC_HTTPHEAD_H
#define WSC_HTTPHEAD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPHEAD_MAX        16384   // bytes of a head, blank line included
#define HTTPHEAD_MAX_FIELDS 100

enum wsc_httphead_status {
	HTTPHEAD_MORE,          // every byte used, the head goes on
	HTTPHEAD_DONE,          // the head is complete
	HTTPHEAD_ERROR,         // not a valid head: see why
};

struct wsc_httphead_field {
	const char *name, *value;   // NUL-terminated, inside the struct
};

/* Large (about 33 KiB): allocate it; it points into itself (don't copy). */
struct wsc_httphead {
	bool request;           // a request line, not a status line
	int state;
	size_t len;             // raw bytes so far
	size_t line;            // where the line being read starts in raw
	size_t tlen;
	unsigned major, minor;  // HTTP version
	const char *method, *target;    // request
	int status;             // response: 100..999
	const char *reason;     // response: the reason phrase ("" if none)
	size_t nfields;
	struct wsc_httphead_field field[HTTPHEAD_MAX_FIELDS];
	char why[96];           // HTTPHEAD_ERROR: what was wrong
	char raw[HTTPHEAD_MAX];
	char text[HTTPHEAD_MAX + 2 * HTTPHEAD_MAX_FIELDS + 64];
};

/* Start reading a request (true) or a response head. */
void httphead_init(struct wsc_httphead *h, bool request);

/*
 * Take bytes p[0..n). *used is set to how many belong to the head: all of
 * them with HTTPHEAD_MORE, up to and including the blank line with
 * HTTPHEAD_DONE (what follows is the peer's first frames). After DONE or
 * ERROR the same status is returned and nothing used.
 */
enum wsc_httphead_status httphead_feed(struct wsc_httphead *h,
		const char *p, size_t n, size_t *used);

/* The value of the first field named name (any case), NULL if none. */
const char *httphead_get(const struct wsc_httphead *h, const char *name);

/* How many fields are named name (any case). */
/*
 * One field of an HTTP/2 response head (RFC 9113 8.3.2) fed to h as its
 * HTTP/1.1 line (":status" as the status line; the other pseudo-fields
 * are not fed), so one parsed head serves whichever way it came; the
 * field is written to line as "name: value\r\n", as a trace shows it.
 * The length written, 0 when it does not fit in size.
 */
size_t httphead_feed_h2(struct wsc_httphead *h, const char *name,
		size_t nlen, const char *value, size_t vlen, char *line,
		size_t size);

size_t httphead_count(const struct wsc_httphead *h, const char *name);

/*
 * Whether token (any case) is an element of the comma lists in the fields
 * named name, e.g. httphead_has_token(h, "Connection", "upgrade").
 */
bool httphead_has_token(const struct wsc_httphead *h, const char *name,
		const char *token);

/*
 * Next element of a comma list (RFC 7230 7: empty elements skipped,
 * commas inside quoted strings kept): from *p, trimmed, as s[0..*n).
 * Returns false at the end of the list.
 */
bool httphead_list_next(const char **p, const char **s, size_t *n);

/* The standard reason phrase of status ("Not Found"), "" for a status
 * wsc neither sends nor names. */
const char *httphead_reason(int status);

/* c is an HTTP token character (RFC 7230 3.2.6 tchar). */
bool httphead_tchar(unsigned char c);

#endif
