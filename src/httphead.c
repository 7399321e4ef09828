/*
 * httphead.c - the incremental HTTP/1.1 head parser of httphead.h. Pure:
 * no I/O, no allocation; errors are a status and a reason.
 */
#include "httphead.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { ST_START, ST_FIELDS, ST_DONE, ST_ERROR };

void httphead_init(struct wsc_httphead *h, bool request)
{
	memset(h, 0, offsetof(struct wsc_httphead, raw));
	h->request = request;
	h->state = ST_START;
	h->method = h->target = h->reason = "";
}

bool httphead_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

__attribute__((format(printf, 2, 3)))
static bool bad(struct wsc_httphead *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	h->state = ST_ERROR;
	return false;
}

// Copy s[0..n) and a NUL into text; NULL when it does not fit.
static const char *keep(struct wsc_httphead *h, const char *s, size_t n)
{
	char *t = h->text + h->tlen;

	if (n + 1 > sizeof(h->text) - h->tlen) {
		return NULL;
	}
	memcpy(t, s, n);
	t[n] = '\0';
	h->tlen += n + 1;
	return t;
}

// "HTTP/d.d" at s[0..n)
static bool version(struct wsc_httphead *h, const char *s, size_t n)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) || s[5] < '0' || s[5] > '9' ||
			s[6] != '.' || s[7] < '0' || s[7] > '9') {
		return false;
	}
	h->major = (unsigned)(s[5] - '0');
	h->minor = (unsigned)(s[7] - '0');
	return true;
}

static bool start_line(struct wsc_httphead *h, const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n), *sp2;

	if (!h->request) {
		// HTTP/1.1 101 Switching Protocols (the reason may be empty)
		if (!sp || !version(h, s, (size_t)(sp - s)) ||
				n - (size_t)(sp - s) < 4 ||
				sp[1] < '1' || sp[1] > '9' || sp[2] < '0' ||
				sp[2] > '9' || sp[3] < '0' || sp[3] > '9' ||
				(n - (size_t)(sp - s) > 4 && sp[4] != ' ')) {
			return bad(h, "not an HTTP status line");
		}
		h->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
			(sp[3] - '0');
		sp += 4;
		sp += sp < s + n;   // the space before the reason
		h->reason = keep(h, sp, (size_t)(s + n - sp));
		return true;
	}
	// GET /path HTTP/1.1
	sp2 = sp ? memchr(sp + 1, ' ', (size_t)(s + n - sp - 1)) : NULL;
	if (!sp || sp == s || !sp2 || sp2 == sp + 1 ||
			!version(h, sp2 + 1, (size_t)(s + n - sp2 - 1))) {
		return bad(h, "not an HTTP request line");
	}
	for (const char *c = s; c < sp; c++) {
		if (!httphead_tchar((unsigned char)*c)) {
			return bad(h, "not an HTTP request line");
		}
	}
	h->method = keep(h, s, (size_t)(sp - s));
	h->target = keep(h, sp + 1, (size_t)(sp2 - sp - 1));
	return true;
}

// A field value byte: visible, obs-text or whitespace, no other controls.
static bool vchar(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

static bool field_line(struct wsc_httphead *h, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v, *e = s + n;
	struct wsc_httphead_field *f;

	if (ows(s[0])) {
		// obsolete line folding: the value goes on after one space
		char *t;

		if (!h->nfields) {
			return bad(h, "folded line before any header field");
		}
		while (s < e && ows(*s)) {
			s++;
		}
		while (e > s && ows(e[-1])) {
			e--;
		}
		for (const char *c = s; c < e; c++) {
			if (!vchar((unsigned char)*c)) {
				return bad(h, "control character in header "
					"'%.40s'", h->field[h->nfields - 1].name);
			}
		}
		if ((size_t)(e - s) + 1 > sizeof(h->text) - h->tlen) {
			return bad(h, "head too large");
		}
		t = h->text + h->tlen - 1;  // the value's NUL
		if (e > s) {
			if (t != h->field[h->nfields - 1].value) {
				*t++ = ' ';
				h->tlen++;
			}
			memcpy(t, s, (size_t)(e - s));
			t[e - s] = '\0';
			h->tlen += (size_t)(e - s);
		}
		return true;
	}
	if (!colon) {
		return bad(h, "header line without ':'");
	}
	if (colon == s) {
		return bad(h, "header line with an empty name");
	}
	for (const char *c = s; c < colon; c++) {
		if (!httphead_tchar((unsigned char)*c)) {
			return bad(h, ows(*c) ? "space before ':' in header "
				"'%.*s'" : "invalid header name '%.*s'",
				(int)(colon - s < 40 ? colon - s : 40), s);
		}
	}
	if (h->nfields == HTTPHEAD_MAX_FIELDS) {
		return bad(h, "more than %d header fields", HTTPHEAD_MAX_FIELDS);
	}
	for (v = colon + 1; v < e && ows(*v); v++) {
	}
	while (e > v && ows(e[-1])) {
		e--;
	}
	for (const char *c = v; c < e; c++) {
		if (!vchar((unsigned char)*c)) {
			return bad(h, "control character in header '%.*s'",
				(int)(colon - s < 40 ? colon - s : 40), s);
		}
	}
	f = &h->field[h->nfields];
	f->name = keep(h, s, (size_t)(colon - s));
	f->value = keep(h, v, (size_t)(e - v));
	if (!f->name || !f->value) {
		return bad(h, "head too large");
	}
	h->nfields++;
	return true;
}

// A whole line is in raw[start..end), its LF excluded.
static bool take_line(struct wsc_httphead *h, size_t start, size_t end)
{
	const char *s = h->raw + start;
	size_t n = end - start;

	if (n && s[n - 1] == '\r') {
		n--;
	}
	if (memchr(s, '\r', n) || memchr(s, '\0', n)) {
		return bad(h, "%s inside a header line", memchr(s, '\0', n) ?
			"NUL" : "CR");
	}
	if (h->state == ST_START) {
		if (!n && h->request && start == 0) {
			return true;    // RFC 7230 3.5: an empty line first
		}
		if (!n) {
			return bad(h, "empty %s line", h->request ? "request" :
				"status");
		}
		if (!start_line(h, s, n)) {
			return false;
		}
		h->state = ST_FIELDS;
		return true;
	}
	if (!n) {
		h->state = ST_DONE;
		return true;
	}
	return field_line(h, s, n);
}

enum wsc_httphead_status httphead_feed(struct wsc_httphead *h,
		const char *p, size_t n, size_t *used)
{
	size_t at = 0;

	*used = 0;
	while (at < n && h->state != ST_DONE && h->state != ST_ERROR) {
		const char *lf = memchr(p + at, '\n', n - at);
		size_t take = lf ? (size_t)(lf - (p + at)) + 1 : n - at;

		if (take > sizeof(h->raw) - h->len) {
			bad(h, "head longer than %d bytes", HTTPHEAD_MAX);
			break;
		}
		memcpy(h->raw + h->len, p + at, take);
		h->len += take;
		at += take;
		if (lf) {
			size_t start = h->line;

			h->line = h->len;
			if (!take_line(h, start, h->len - 1)) {
				break;
			}
		}
	}
	*used = at;
	if (h->state == ST_ERROR) {
		*used = 0;
		return HTTPHEAD_ERROR;
	}
	return h->state == ST_DONE ? HTTPHEAD_DONE : HTTPHEAD_MORE;
}

const char *httphead_get(const struct wsc_httphead *h, const char *name)
{
	for (size_t i = 0; i < h->nfields; i++) {
		if (!strcasecmp(h->field[i].name, name)) {
			return h->field[i].value;
		}
	}
	return NULL;
}

size_t httphead_feed_h2(struct wsc_httphead *h, const char *name,
		size_t nlen, const char *value, size_t vlen, char *line,
		size_t size)
{
	char status[64];
	int n = snprintf(line, size, "%.*s: %.*s\r\n", (int)nlen, name,
		(int)vlen, value);
	int sn;
	size_t used;

	if (n < 0 || (size_t)n >= size) {
		return 0;
	}
	if (nlen == 7 && !memcmp(name, ":status", 7)) {
		sn = snprintf(status, sizeof(status), "HTTP/1.1 %.*s\r\n",
			(int)vlen, value);
		if (sn > 0 && (size_t)sn < sizeof(status)) {
			httphead_feed(h, status, (size_t)sn, &used);
		}
	} else if (!nlen || name[0] != ':') {
		httphead_feed(h, line, (size_t)n, &used);
	}
	return (size_t)n;
}

size_t httphead_count(const struct wsc_httphead *h, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		c += !strcasecmp(h->field[i].name, name);
	}
	return c;
}

bool httphead_list_next(const char **p, const char **s, size_t *n)
{
	const char *c = *p;

	for (;;) {
		const char *b, *e;
		bool quoted = false;

		while (*c == ',' || ows(*c)) {
			c++;
		}
		if (!*c) {
			*p = c;
			return false;
		}
		b = c;
		for (; *c && (quoted || *c != ','); c++) {
			if (*c == '"') {
				quoted = !quoted;
			} else if (*c == '\\' && quoted && c[1]) {
				c++;
			}
		}
		e = c;
		while (e > b && ows(e[-1])) {
			e--;
		}
		*p = c;
		if (e > b) {
			*s = b;
			*n = (size_t)(e - b);
			return true;
		}
	}
}

bool httphead_has_token(const struct wsc_httphead *h, const char *name,
		const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i < h->nfields; i++) {
		const char *p = h->field[i].value, *s;
		size_t n;

		if (strcasecmp(h->field[i].name, name)) {
			continue;
		}
		while (httphead_list_next(&p, &s, &n)) {
			if (n == tl && !strncasecmp(s, token, n)) {
				return true;
			}
		}
	}
	return false;
}

const char *httphead_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	}
	return "";
}
