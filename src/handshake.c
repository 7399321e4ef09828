/*
 * handshake.c - the opening handshake of handshake.h: the client's
 * request and verdict, the server's checks and answers. Pure.
 */
#include "handshake.h"

#include <ctype.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* --- writing into a buffer --- */

struct out {
	char *p;
	size_t size, len;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static ssize_t done(struct out *o)
{
	return o->full ? -1 : (ssize_t)o->len;
}

// lws_b64_encode_string() wants a byte more room than the result needs
static void b64(const unsigned char *in, int n, char *out, size_t size)
{
	char t[64];

	int len = lws_b64_encode_string((const char *)in, n, t,
		(int)sizeof(t));

	if (len < 0 || (size_t)len >= size) {
		len = 0;    // never: both callers size out for the result
	}
	memcpy(out, t, (size_t)len);
	out[len] = '\0';
}

// "Name: value" is a header called name; *value is set to its value.
static bool header_is(const char *line, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) || line[n] != ':') {
		return false;
	}
	for (line += n + 1; *line == ' ' || *line == '\t'; line++) {
	}
	*value = line;
	return true;
}

void handshake_request_fields(const struct wsc_handshake_request *rq,
		const char *key, handshake_field_fn *fn, void *arg)
{
	const char *host = NULL, *origin = rq->origin, *v;
	unsigned def = rq->tls ? 443 : 80;
	char authority[300];
	struct out o = { authority, sizeof(authority), 0, false };

	for (size_t i = 0; i < rq->n_headers; i++) {
		if (header_is(rq->headers[i], "Host", &v)) {
			host = v;
		} else if (header_is(rq->headers[i], "Origin", &v)) {
			origin = v;
		}
	}
	if (!host) {
		bool v6 = strchr(rq->host, ':');

		add(&o, "%s%s%s", v6 ? "[" : "", rq->host, v6 ? "]" : "");
		if (rq->port && rq->port != def) {
			add(&o, ":%u", rq->port);
		}
		host = authority;
	}
	// ours with one space after the colon
#define FIELD(name, value) fn(arg, name, sizeof(name) - 1, " ", value)
	FIELD("Host", host);
	if (key) {
		FIELD("Upgrade", "websocket");
		FIELD("Connection", "Upgrade");
		FIELD("Sec-WebSocket-Key", key);
	}
	FIELD("Sec-WebSocket-Version", "13");
	if (origin) {
		FIELD("Origin", origin);
	}
	if (rq->protocols && *rq->protocols) {
		FIELD("Sec-WebSocket-Protocol", rq->protocols);
	}
	if (rq->extensions && *rq->extensions) {
		FIELD("Sec-WebSocket-Extensions", rq->extensions);
	}
	if (rq->authorization) {
		FIELD("Authorization", rq->authorization);
	}
#undef FIELD
	for (size_t i = 0; i < rq->n_headers; i++) {
		const char *h = rq->headers[i], *colon = strchr(h, ':');

		if (colon && !header_is(h, "Host", &v) &&
				!header_is(h, "Origin", &v)) {
			fn(arg, h, (size_t)(colon - h), "", colon + 1);
		}
	}
}

// One field of the HTTP/1.1 request: "Name:value" as given.
static void h1_field(void *arg, const char *name, size_t n, const char *sp,
		const char *value)
{
	add(arg, "%.*s:%s%s\r\n", (int)n, name, sp, value);
}

ssize_t handshake_write_request(char *out, size_t size,
		const struct wsc_handshake_request *rq,
		const unsigned char nonce[16], char key[HANDSHAKE_KEY_LEN + 1])
{
	struct out o = { out, size, 0, size == 0 };

	b64(nonce, 16, key, HANDSHAKE_KEY_LEN + 1);
	add(&o, "GET %s HTTP/1.1\r\n", rq->path && *rq->path ? rq->path : "/");
	handshake_request_fields(rq, key, h1_field, &o);
	add(&o, "\r\n");
	return done(&o);
}

// One field of the HTTP/2 request: Host is :authority, names lowercase,
// the value without the space before it.
static void h2_field(void *arg, const char *name, size_t n, const char *sp,
		const char *value)
{
	struct out *o = arg;

	value += strspn(value, " \t");
	if (n == 4 && !strncasecmp(name, "Host", 4)) {
		add(o, ":authority: %s\r\n", value);
		return;
	}
	for (size_t i = 0; i < n && !o->full; i++) {
		add(o, "%c", (char)tolower((unsigned char)name[i]));
	}
	add(o, ": %s\r\n", value);
}

ssize_t handshake_write_request_h2(char *out, size_t size,
		const struct wsc_handshake_request *rq)
{
	struct out o = { out, size, 0, size == 0 };

	add(&o, ":method: CONNECT\r\n:protocol: websocket\r\n"
		":scheme: %s\r\n:path: %s\r\n", rq->tls ? "https" : "http",
		rq->path && *rq->path ? rq->path : "/");
	handshake_request_fields(rq, NULL, h2_field, &o);
	add(&o, "\r\n");
	return done(&o);
}

void handshake_accept(const char *key, char out[HANDSHAKE_ACCEPT_LEN + 1])
{
	unsigned char buf[128 + sizeof(guid)], sha[20];
	size_t n = strlen(key);

	if (n > 128) {
		n = 128;    // a valid key has 24; longer ones never match
	}
	memcpy(buf, key, n);
	memcpy(buf + n, guid, sizeof(guid) - 1);
	lws_SHA1(buf, n + sizeof(guid) - 1, sha);
	b64(sha, 20, out, HANDSHAKE_ACCEPT_LEN + 1);
}

/* --- the client's verdict --- */

// Is s[0..n) an element of the comma list (names before any ';')?
static bool in_list(const char *list, const char *s, size_t n, bool names)
{
	const char *p = list, *e;
	size_t k;

	while (list && httphead_list_next(&p, &e, &k)) {
		if (names) {
			const char *semi = memchr(e, ';', k);

			if (semi) {
				k = (size_t)(semi - e);
			}
			while (k && (e[k - 1] == ' ' || e[k - 1] == '\t')) {
				k--;
			}
		}
		if (k == n && !strncasecmp(e, s, n) && (names ||
				!strncmp(e, s, n))) {
			return true;
		}
	}
	return false;
}

__attribute__((format(printf, 3, 4)))
static bool refuse(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return false;
}

static bool check_extensions(const struct wsc_httphead *h, const char *offer,
		struct wsc_handshake_result *res, char *why, size_t size)
{
	struct out o = { res->extensions, sizeof(res->extensions), 0, false };

	for (size_t i = 0; i < h->nfields; i++) {
		const char *p = h->field[i].value, *e;
		size_t k;

		if (strcasecmp(h->field[i].name, "Sec-WebSocket-Extensions")) {
			continue;
		}
		while (httphead_list_next(&p, &e, &k)) {
			size_t nl = 0;

			while (nl < k && httphead_tchar((unsigned char)e[nl])) {
				nl++;
			}
			if (!nl || !in_list(offer, e, nl, true)) {
				return refuse(why, size, "server chose extension "
					"'%.*s', which was not offered",
					(int)(k < 100 ? k : 100), e);
			}
			if (in_list(res->extensions, e, nl, true)) {
				return refuse(why, size, "server chose extension "
					"'%.*s' twice", (int)(nl < 100 ? nl : 100),
					e);
			}
			add(&o, "%s%.*s", o.len ? ", " : "", (int)k, e);
			if (o.full) {
				return refuse(why, size, "Sec-WebSocket-Extensions "
					"longer than %d bytes", HANDSHAKE_EXT_MAX);
			}
		}
	}
	return true;
}

// HTTP/1.1's half of the verdict: the Upgrade answered, the Accept right.
static bool check_upgrade(const struct wsc_httphead *h, const char *key,
		char *why, size_t size)
{
	char want[HANDSHAKE_ACCEPT_LEN + 1];
	const char *got;
	size_t n;

	if (!httphead_has_token(h, "Upgrade", "websocket")) {
		return refuse(why, size, "the response lacks 'Upgrade: "
			"websocket'");
	}
	if (!httphead_has_token(h, "Connection", "Upgrade")) {
		return refuse(why, size, "the response lacks 'Connection: "
			"Upgrade'");
	}
	handshake_accept(key, want);
	n = httphead_count(h, "Sec-WebSocket-Accept");
	got = httphead_get(h, "Sec-WebSocket-Accept");
	if (!n) {
		return refuse(why, size, "the response has no "
			"Sec-WebSocket-Accept");
	}
	if (n > 1) {
		return refuse(why, size, "the response has %zu "
			"Sec-WebSocket-Accept fields", n);
	}
	if (strcmp(got, want)) {
		return refuse(why, size, "Sec-WebSocket-Accept mismatch: got "
			"'%.40s', expected '%s'", got, want);
	}
	return true;
}

bool handshake_check_response(const struct wsc_httphead *h, const char *key,
		const char *protocols, const char *extensions,
		struct wsc_handshake_result *res, char *why, size_t size)
{
	const char *proto;
	size_t n;

	res->protocol = NULL;
	res->extensions[0] = '\0';
	if (h->status != (key ? 101 : 200)) {
		return refuse(why, size, "HTTP %d%s%s", h->status,
			*h->reason ? " " : "", h->reason);
	}
	// RFC 8441 5: over HTTP/2 (no key) a 200 is the whole answer
	if (key && !check_upgrade(h, key, why, size)) {
		return false;
	}
	n = httphead_count(h, "Sec-WebSocket-Protocol");
	proto = httphead_get(h, "Sec-WebSocket-Protocol");
	if (n > 1) {
		return refuse(why, size, "server chose %zu subprotocols", n);
	}
	if (proto && (!*proto || strchr(proto, ',') ||
			!in_list(protocols, proto, strlen(proto), false))) {
		return refuse(why, size, "server chose subprotocol '%.100s', "
			"which was not offered", proto);
	}
	res->protocol = proto;
	return check_extensions(h, extensions, res, why, size);
}

/* --- the server's checks and answers --- */

static bool b64char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/';
}

// 16 bytes in base64: 22 characters and "==".
static bool valid_key(const char *k)
{
	if (strlen(k) != HANDSHAKE_KEY_LEN || strcmp(k + 22, "==")) {
		return false;
	}
	for (int i = 0; i < 22; i++) {
		if (!b64char(k[i])) {
			return false;
		}
	}
	return true;
}

int handshake_check_request(const struct wsc_httphead *h,
		struct wsc_handshake_offer *offer, char *why, size_t size)
{
	const char *v;

	offer->key = NULL;
	offer->extensions = httphead_get(h, "Sec-WebSocket-Extensions");
	if (!httphead_has_token(h, "Upgrade", "websocket")) {
		return 0;
	}
	if (strcmp(h->method, "GET")) {
		refuse(why, size, "the method is not GET");
		return 405;
	}
	if (h->major < 1 || (h->major == 1 && h->minor < 1)) {
		refuse(why, size, "a WebSocket request must be HTTP/1.1, not "
			"HTTP/%u.%u", h->major, h->minor);
		return 400;
	}
	if (!httphead_get(h, "Host")) {
		refuse(why, size, "no Host header");
		return 400;
	}
	if (!httphead_has_token(h, "Connection", "Upgrade")) {
		refuse(why, size, "the Connection header does not name Upgrade");
		return 400;
	}
	v = httphead_get(h, "Sec-WebSocket-Key");
	if (!v) {
		refuse(why, size, "no Sec-WebSocket-Key");
		return 400;
	}
	if (httphead_count(h, "Sec-WebSocket-Key") > 1 || !valid_key(v)) {
		refuse(why, size, "Sec-WebSocket-Key is not 16 bytes in base64");
		return 400;
	}
	offer->key = v;
	v = httphead_get(h, "Sec-WebSocket-Version");
	if (httphead_count(h, "Sec-WebSocket-Version") != 1 || strcmp(v, "13")) {
		refuse(why, size, v ? "unsupported Sec-WebSocket-Version: %.32s "
			"(13 needed)" : "no Sec-WebSocket-Version (13 needed)%.0s",
			v ? v : "");
		offer->key = NULL;
		return 426;
	}
	return 101;
}

bool handshake_choose_protocol(const struct wsc_httphead *h,
		const char *ours, char *out, size_t size)
{
	for (size_t i = 0; i < h->nfields; i++) {
		const char *p = h->field[i].value, *e;
		size_t k;

		if (strcasecmp(h->field[i].name, "Sec-WebSocket-Protocol")) {
			continue;
		}
		while (httphead_list_next(&p, &e, &k)) {
			if (in_list(ours, e, k, false)) {
				if (k >= size) {
					return false;
				}
				memcpy(out, e, k);
				out[k] = '\0';
				return true;
			}
		}
	}
	return false;
}

ssize_t handshake_write_response(char *out, size_t size, const char *key,
		const char *protocol, const char *extensions)
{
	struct out o = { out, size, 0, size == 0 };
	char accept[HANDSHAKE_ACCEPT_LEN + 1];

	handshake_accept(key, accept);
	add(&o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", accept);
	if (protocol) {
		add(&o, "Sec-WebSocket-Protocol: %s\r\n", protocol);
	}
	if (extensions) {
		add(&o, "Sec-WebSocket-Extensions: %s\r\n", extensions);
	}
	add(&o, "\r\n");
	return done(&o);
}

ssize_t handshake_write_refusal(char *out, size_t size, int status,
		const char *why)
{
	struct out o = { out, size, 0, size == 0 };
	const char *reason = httphead_reason(status);

	add(&o, "HTTP/1.1 %d %s\r\n", status, *reason ? reason : "Error");
	if (status == 426) {
		add(&o, "Sec-WebSocket-Version: 13\r\n");
	}
	if (status == 503) {
		add(&o, "Retry-After: 5\r\n");     // full or shutting down
	}
	add(&o, "Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		strlen(why) + 1, why);
	return done(&o);
}
