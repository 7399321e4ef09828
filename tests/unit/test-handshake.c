/*
 * test-handshake.c - the HTTP head parser and both halves of the opening
 * handshake. A parsed head renders as "status|reason|name=value|..." (or
 * "method|target|..."), the same however the bytes are cut; verdicts are
 * table rows {head, expected why or "" for success}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "httphead.h"
#include "mask.h"
#include "tap.h"

static const char rfc_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char rfc_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static struct wsc_httphead *head;

/* Parse in[0..n) cut at cut (0: whole) then chunk at a time (0: rest);
 * render into out. Returns the status; *used totals what the head took. */
static enum wsc_httphead_status parse(bool request, const char *in, size_t n,
		size_t cut, size_t chunk, char *out, size_t size, size_t *used)
{
	enum wsc_httphead_status st = HTTPHEAD_MORE;
	size_t at = 0, o = 0;

	httphead_init(head, request);
	*used = 0;
	while (at < n && st == HTTPHEAD_MORE) {
		size_t piece = at == 0 && cut ? cut : chunk ? chunk : n - at, u;

		piece = piece < n - at ? piece : n - at;
		st = httphead_feed(head, in + at, piece, &u);
		*used += u;
		at += piece;
	}
	if (st == HTTPHEAD_ERROR) {
		snprintf(out, size, "error: %s", head->why);
		return st;
	}
	if (request) {
		o += (size_t)snprintf(out, size, "%s|%s|1.%u", head->method,
			head->target, head->minor);
	} else {
		o += (size_t)snprintf(out, size, "%d|%s", head->status,
			head->reason);
	}
	for (size_t i = 0; i < head->nfields && o < size; i++) {
		o += (size_t)snprintf(out + o, size - o, "|%s=%s",
			head->field[i].name, head->field[i].value);
	}
	if (st == HTTPHEAD_MORE && o < size) {
		snprintf(out + o, size - o, "|...");
	}
	return st;
}

struct hrow {
	const char *name;
	bool request;
	const char *in;
	const char *want;
	size_t used;            // bytes of the head (0: all of in)
};

static const struct hrow hrows[] = {
	{ "status line", 0, "HTTP/1.1 101 Switching Protocols\r\n\r\n",
		"101|Switching Protocols", 0 },
	{ "no reason", 0, "HTTP/1.1 101\r\n\r\n", "101|", 0 },
	{ "empty reason", 0, "HTTP/1.1 200 \r\n\r\n", "200|", 0 },
	{ "fields in order, spelling and repeats", 0,
		"HTTP/1.1 101 OK\r\nX-A: 1\r\nx-a: 2\r\nUPGRADE: WebSocket\r\n\r\n",
		"101|OK|X-A=1|x-a=2|UPGRADE=WebSocket", 0 },
	{ "values trimmed", 0, "HTTP/1.1 101 OK\r\nA:\tv v \r\nB:  \r\nC:x\r\n\r\n",
		"101|OK|A=v v|B=|C=x", 0 },
	{ "bare LF", 0, "HTTP/1.1 101 OK\nA: 1\n\n", "101|OK|A=1", 0 },
	{ "folded line", 0, "HTTP/1.1 101 OK\r\nA: 1\r\n  2 \r\n\t3\r\nB: x\r\n\r\n",
		"101|OK|A=1 2 3|B=x", 0 },
	{ "frames after the head", 0, "HTTP/1.1 101 OK\r\nA: 1\r\n\r\n\x81\x02hi",
		"101|OK|A=1", 25 },
	{ "obs-text kept", 0, "HTTP/1.1 101 OK\r\nA: \xc3\xa9\r\n\r\n",
		"101|OK|A=\xc3\xa9", 0 },
	{ "incomplete", 0, "HTTP/1.1 101 OK\r\nA: 1\r\n", "101|OK|A=1|...", 0 },
	{ "request", 1, "GET /chat?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET|/chat?x=1|1.1|Host=h", 0 },
	{ "request after an empty line", 1, "\r\nGET / HTTP/1.1\r\n\r\n",
		"GET|/|1.1", 0 },
	{ "not HTTP", 0, "SSH-2.0-OpenSSH\r\n\r\n",
		"error: not an HTTP status line", 0 },
	{ "status of 2 digits", 0, "HTTP/1.1 10 x\r\n\r\n",
		"error: not an HTTP status line", 0 },
	{ "status of 4 digits", 0, "HTTP/1.1 1010\r\n\r\n",
		"error: not an HTTP status line", 0 },
	{ "empty status line", 0, "\r\nHTTP/1.1 101 OK\r\n\r\n",
		"error: empty status line", 0 },
	{ "bad request line", 1, "GET /\r\n\r\n",
		"error: not an HTTP request line", 0 },
	{ "no colon", 0, "HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n",
		"error: header line without ':'", 0 },
	{ "space before colon", 1, "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"error: space before ':' in header 'Host '", 0 },
	{ "empty name", 0, "HTTP/1.1 101 OK\r\n: v\r\n\r\n",
		"error: header line with an empty name", 0 },
	{ "bad name", 0, "HTTP/1.1 101 OK\r\nA(b): v\r\n\r\n",
		"error: invalid header name 'A(b)'", 0 },
	{ "CR inside", 0, "HTTP/1.1 101 OK\r\nA: 1\r2\r\n\r\n",
		"error: CR inside a header line", 0 },
	{ "NUL inside", 0, "HTTP/1.1 101 OK\r\nA: 1\0\r\n\r\n",
		"error: NUL inside a header line", 0 },
	{ "control character", 0, "HTTP/1.1 101 OK\r\nA: 1\x01\r\n\r\n",
		"error: control character in header 'A'", 0 },
	{ "fold first", 0, "HTTP/1.1 101 OK\r\n x\r\n\r\n",
		"error: folded line before any header field", 0 },
};

static void test_heads(void)
{
	static char many[HTTPHEAD_MAX * 2];
	char a[4096], b[4096];
	size_t used, u2, n;

	for (size_t i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++) {
		const struct hrow *r = &hrows[i];
		bool same = true;
		enum wsc_httphead_status st, st2;

		n = strlen(r->in);
		if (strstr(r->name, "NUL")) {
			n = strlen(r->in) + 1 + strlen(r->in + strlen(r->in) + 1);
		}
		st = parse(r->request, r->in, n, 0, 0, a, sizeof(a), &used);
		is_str(a, r->want, "head: %s", r->name);
		if (st == HTTPHEAD_DONE) {
			is_int(used, r->used ? r->used : n, "head: %s: bytes used",
				r->name);
		}
		for (size_t cut = 0; cut < n && same; cut++) {
			for (size_t chunk = 0; chunk < 3 && same; chunk += 1) {
				st2 = parse(r->request, r->in, n, cut, chunk, b,
					sizeof(b), &u2);
				same = st2 == st && !strcmp(a, b) &&
					(st != HTTPHEAD_DONE || u2 == used);
			}
		}
		ok(same, "head: %s: any cut gives the same", r->name);
	}
	// limits
	n = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 101 OK\r\n");
	for (int i = 0; i < HTTPHEAD_MAX_FIELDS + 1; i++) {
		n += (size_t)snprintf(many + n, sizeof(many) - n, "X%d: v\r\n", i);
	}
	n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n");
	parse(false, many, n, 0, 0, a, sizeof(a), &used);
	is_str(a, "error: more than 100 header fields", "101 fields");
	n = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 101 OK\r\nX: ");
	memset(many + n, 'v', HTTPHEAD_MAX);
	memcpy(many + n + HTTPHEAD_MAX, "\r\n\r\n", 4);
	parse(false, many, n + HTTPHEAD_MAX + 4, 0, 0, a, sizeof(a), &used);
	is_str(a, "error: head longer than 16384 bytes", "a long head");
	// a head of exactly the maximum passes
	n = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 101 OK\r\nX: ");
	memset(many + n, 'v', HTTPHEAD_MAX - n - 4);
	memcpy(many + HTTPHEAD_MAX - 4, "\r\n\r\n", 4);
	ok(parse(false, many, HTTPHEAD_MAX, 0, 0, a, sizeof(a), &used) ==
		HTTPHEAD_DONE && used == HTTPHEAD_MAX, "a head of 16384 bytes");
	ok(!memcmp(head->raw, many, HTTPHEAD_MAX), "raw keeps the bytes");
}

static void test_lists(void)
{
	const char *p = " a ,, \"x,y\" ; q=\"1,2\" ,b\t,", *s;
	char got[200] = "";
	size_t n;

	while (httphead_list_next(&p, &s, &n)) {
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%.*s]",
			(int)n, s);
	}
	is_str(got, "[a][\"x,y\" ; q=\"1,2\"][b]", "comma lists keep quotes");
}

static void test_accept(void)
{
	char acc[HANDSHAKE_ACCEPT_LEN + 1];

	handshake_accept(rfc_key, acc);
	is_str(acc, rfc_accept, "RFC 6455 1.3: the Accept of the sample key");
}

static void test_request(void)
{
	const unsigned char nonce[16] = "the sample nonce";
	const char *extra[] = { "X-One: 1", "x-two:2" };
	const char *over[] = { "origin: http://o", "X: y", "HOST: other:1" };
	struct wsc_handshake_request rq = {
		.host = "example.com", .port = 80, .path = "/chat?a=b",
		.origin = "http://example.com", .protocols = "chat, superchat",
		.extensions = "permessage-deflate; client_max_window_bits",
		.authorization = "Basic dTpw", .headers = extra, .n_headers = 2,
	};
	char out[1024], key[HANDSHAKE_KEY_LEN + 1];
	ssize_t n, m;
	bool fits = true;

	n = handshake_write_request(out, sizeof(out), &rq, nonce, key);
	is_str(key, rfc_key, "the key is base64 of the nonce");
	is_str(out, "GET /chat?a=b HTTP/1.1\r\n"
		"Host: example.com\r\n"
		"Upgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Origin: http://example.com\r\n"
		"Sec-WebSocket-Protocol: chat, superchat\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; "
		"client_max_window_bits\r\n"
		"Authorization: Basic dTpw\r\n"
		"X-One: 1\r\n"
		"x-two:2\r\n"
		"\r\n", "the whole request");
	is_int(n, strlen(out), "its length");
	for (ssize_t s = 0; s <= n; s++) {
		fits &= handshake_write_request(out, (size_t)s, &rq, nonce,
			key) == -1;
	}
	ok(fits, "every buffer too small is refused");
	rq = (struct wsc_handshake_request){ .host = "::1", .port = 8080 };
	handshake_write_request(out, sizeof(out), &rq, nonce, key);
	ok(!strncmp(out, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nUpgrade",
		41), "IPv6 host with its port, path /");
	rq = (struct wsc_handshake_request){ .host = "h", .port = 443,
		.tls = true, .origin = "http://mine", .headers = over,
		.n_headers = 3 };
	m = handshake_write_request(out, sizeof(out), &rq, nonce, key);
	is_str(out, "GET / HTTP/1.1\r\nHost: other:1\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: "
		"dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		"Origin: http://o\r\nX: y\r\n\r\n",
		"-H Host and Origin replace ours in place; 443 implied");
	ok(m > 0, "written");
}

struct vrow {
	const char *name;
	const char *fields;     // after the status line
	const char *protocols, *extensions;   // offered
	const char *why;        // "" success
	const char *proto, *ext;    // chosen on success
};

#define OK101 "HTTP/1.1 101 Switching Protocols\r\n"
#define GOOD "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"

static const struct vrow vrows[] = {
	{ "RFC 1.3", OK101 GOOD, NULL, NULL, "", NULL, "" },
	{ "tab and space around values", OK101 "Upgrade: websocket \r\n"
		"Connection:\tUpgrade\r\nSec-WebSocket-Accept:\t"
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n", NULL, NULL, "", NULL, "" },
	{ "tokens in any case, lists", OK101 "upgrade: WebSocket\r\n"
		"connection: keep-alive, UPGRADE\r\nsec-websocket-accept: "
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", NULL, NULL, "", NULL, "" },
	{ "403", "HTTP/1.1 403 Forbidden\r\n\r\n", NULL, NULL,
		"HTTP 403 Forbidden", NULL, NULL },
	{ "200 without reason", "HTTP/1.1 200\r\n\r\n", NULL, NULL,
		"HTTP 200", NULL, NULL },
	{ "no Upgrade", OK101 "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", NULL, NULL,
		"the response lacks 'Upgrade: websocket'", NULL, NULL },
	{ "Upgrade h2c", OK101 "Upgrade: h2c\r\nConnection: Upgrade\r\n",
		NULL, NULL, "the response lacks 'Upgrade: websocket'", NULL,
		NULL },
	{ "no Connection", OK101 "Upgrade: websocket\r\n", NULL, NULL,
		"the response lacks 'Connection: Upgrade'", NULL, NULL },
	{ "Connection keep-alive", OK101 "Upgrade: websocket\r\n"
		"Connection: keep-alive\r\n", NULL, NULL,
		"the response lacks 'Connection: Upgrade'", NULL, NULL },
	{ "no Accept", OK101 "Upgrade: websocket\r\nConnection: Upgrade\r\n",
		NULL, NULL, "the response has no Sec-WebSocket-Accept", NULL,
		NULL },
	{ "wrong Accept", OK101 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n", NULL,
		NULL, "Sec-WebSocket-Accept mismatch: got "
		"'s3pPLMBiTxaQ9kYGzzhZRbK+xOo', expected "
		"'s3pPLMBiTxaQ9kYGzzhZRbK+xOo='", NULL, NULL },
	{ "two Accepts", OK101 GOOD "Sec-WebSocket-Accept: "
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", NULL, NULL,
		"the response has 2 Sec-WebSocket-Accept fields", NULL, NULL },
	{ "protocol chosen", OK101 GOOD "Sec-WebSocket-Protocol: superchat\r\n",
		"chat, superchat", NULL, "", "superchat", "" },
	{ "protocol not offered", OK101 GOOD "Sec-WebSocket-Protocol: x\r\n",
		"chat", NULL, "server chose subprotocol 'x', which was not "
		"offered", NULL, NULL },
	{ "protocol none offered", OK101 GOOD "Sec-WebSocket-Protocol: chat\r\n",
		NULL, NULL, "server chose subprotocol 'chat', which was not "
		"offered", NULL, NULL },
	{ "protocol case differs", OK101 GOOD "Sec-WebSocket-Protocol: Chat\r\n",
		"chat", NULL, "server chose subprotocol 'Chat', which was not "
		"offered", NULL, NULL },
	{ "two protocols", OK101 GOOD "Sec-WebSocket-Protocol: chat, x\r\n",
		"chat,x", NULL, "server chose subprotocol 'chat, x', which was "
		"not offered", NULL, NULL },
	{ "two protocol fields", OK101 GOOD "Sec-WebSocket-Protocol: chat\r\n"
		"Sec-WebSocket-Protocol: chat\r\n", "chat", NULL,
		"server chose 2 subprotocols", NULL, NULL },
	{ "extension accepted", OK101 GOOD "Sec-WebSocket-Extensions: "
		"permessage-deflate; server_no_context_takeover\r\n", NULL,
		"permessage-deflate; client_max_window_bits", "", NULL,
		"permessage-deflate; server_no_context_takeover" },
	{ "extensions over two fields", OK101 GOOD "Sec-WebSocket-Extensions: "
		"a\r\nSec-WebSocket-Extensions: b;x=\"1,2\"\r\n", NULL, "b, a",
		"", NULL, "a, b;x=\"1,2\"" },
	{ "extension not offered", OK101 GOOD "Sec-WebSocket-Extensions: "
		"permessage-deflate\r\n", NULL, NULL, "server chose extension "
		"'permessage-deflate', which was not offered", NULL, NULL },
	{ "extension twice", OK101 GOOD "Sec-WebSocket-Extensions: a, a\r\n",
		NULL, "a", "server chose extension 'a' twice", NULL, NULL },
};

/* RFC 8441: the same fields as the Upgrade's, as the extended CONNECT;
 * over HTTP/2 a 200 is the answer and no Accept is asked for. */
static void test_request_h2(void)
{
	const char *extra[] = { "X-One: 1", "x-Two:2", "Host: h.example:8" };
	struct wsc_handshake_request rq = {
		.host = "::1", .port = 8443, .tls = true, .path = "/chat?a=b",
		.origin = "http://example.com", .protocols = "chat",
		.extensions = "permessage-deflate",
		.authorization = "Basic dTpw", .headers = extra, .n_headers = 2,
	};
	char out[1024], why[200] = "";
	struct wsc_handshake_result res;
	size_t used;
	const char *resp = "HTTP/1.1 200\r\nsec-websocket-protocol: chat\r\n"
		"sec-websocket-extensions: permessage-deflate\r\n\r\n";

	handshake_write_request_h2(out, sizeof(out), &rq);
	is_str(out, ":method: CONNECT\r\n:protocol: websocket\r\n"
		":scheme: https\r\n:path: /chat?a=b\r\n"
		":authority: [::1]:8443\r\n"
		"sec-websocket-version: 13\r\n"
		"origin: http://example.com\r\n"
		"sec-websocket-protocol: chat\r\n"
		"sec-websocket-extensions: permessage-deflate\r\n"
		"authorization: Basic dTpw\r\n"
		"x-one: 1\r\nx-two: 2\r\n\r\n", "h2: the extended CONNECT");
	rq.n_headers = 3;
	handshake_write_request_h2(out, sizeof(out), &rq);
	ok(strstr(out, ":authority: h.example:8\r\n") &&
		!strstr(out, "host:"), "h2: -H Host is the :authority");
	ok(handshake_write_request_h2(out, 40, &rq) < 0, "h2: too small");
	httphead_init(head, false);
	httphead_feed(head, resp, strlen(resp), &used);
	ok(handshake_check_response(head, NULL, "chat", "permessage-deflate",
		&res, why, sizeof(why)) && !strcmp(res.protocol, "chat"),
		"h2: a 200 is accepted without Accept (%s)", why);
	ok(!handshake_check_response(head, rfc_key, "chat", NULL, &res, why,
		sizeof(why)), "h2: a 200 is no answer to the Upgrade");
}

static void test_verdicts(void)
{
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		const struct vrow *r = &vrows[i];
		struct wsc_handshake_result res;
		char in[1024], why[200] = "", shown[700];
		size_t used;
		bool good;

		snprintf(in, sizeof(in), "%s\r\n", r->fields);
		httphead_init(head, false);
		if (httphead_feed(head, in, strlen(in), &used) != HTTPHEAD_DONE) {
			ok(0, "verdict: %s: head parses (%s)", r->name, head->why);
			continue;
		}
		good = handshake_check_response(head, rfc_key, r->protocols,
			r->extensions, &res, why, sizeof(why));
		is_str(good ? "" : why, r->why, "verdict: %s", r->name);
		if (good && *r->why == '\0') {
			snprintf(shown, sizeof(shown), "%s|%s", res.protocol ?
				res.protocol : "(none)", res.extensions);
			char want[700];

			snprintf(want, sizeof(want), "%s|%s", r->proto ? r->proto :
				"(none)", r->ext);
			is_str(shown, want, "verdict: %s: chosen", r->name);
		}
	}
}

struct srow {
	const char *name;
	const char *in;
	int status;
	const char *why;
};

#define RQ "GET /chat HTTP/1.1\r\n"
#define RQ_FIELDS "Host: server.example.com\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\n"
#define RQ_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define RQ_V13 "Sec-WebSocket-Version: 13\r\n"

static const struct srow srows[] = {
	{ "RFC 1.3 request", RQ RQ_FIELDS RQ_KEY "Origin: http://example.com\r\n"
		"Sec-WebSocket-Protocol: chat, superchat\r\n" RQ_V13, 101, "" },
	{ "trimmed values", RQ "Host: h\r\nUpgrade:\twebsocket \r\n"
		"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key:  "
		"dGhlIHNhbXBsZSBub25jZQ==\t\r\nSec-WebSocket-Version: 13 \r\n",
		101, "" },
	{ "plain GET", "GET / HTTP/1.1\r\nHost: h\r\n", 0, "" },
	{ "POST upgrade", "POST /chat HTTP/1.1\r\n" RQ_FIELDS RQ_KEY RQ_V13,
		405, "the method is not GET" },
	{ "HTTP/1.0", "GET / HTTP/1.0\r\n" RQ_FIELDS RQ_KEY RQ_V13, 400,
		"a WebSocket request must be HTTP/1.1, not HTTP/1.0" },
	{ "no Host", RQ "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		RQ_KEY RQ_V13, 400, "no Host header" },
	{ "no Connection", RQ "Host: h\r\nUpgrade: websocket\r\n" RQ_KEY
		RQ_V13, 400, "the Connection header does not name Upgrade" },
	{ "version 8", RQ RQ_FIELDS RQ_KEY "Sec-WebSocket-Version: 8\r\n",
		426, "unsupported Sec-WebSocket-Version: 8 (13 needed)" },
	{ "no version", RQ RQ_FIELDS RQ_KEY, 426,
		"no Sec-WebSocket-Version (13 needed)" },
	{ "no key", RQ RQ_FIELDS RQ_V13, 400,
		"no Sec-WebSocket-Key" },
	{ "short key", RQ RQ_FIELDS "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n"
		RQ_V13, 400, "Sec-WebSocket-Key is not 16 bytes in base64" },
	{ "key not base64", RQ RQ_FIELDS "Sec-WebSocket-Key: "
		"dGhlIHNhbXBsZSBub25j*Q==\r\n" RQ_V13, 400,
		"Sec-WebSocket-Key is not 16 bytes in base64" },
	{ "two keys", RQ RQ_FIELDS RQ_KEY RQ_KEY RQ_V13, 400,
		"Sec-WebSocket-Key is not 16 bytes in base64" },
};

static void test_server(void)
{
	for (size_t i = 0; i < sizeof(srows) / sizeof(srows[0]); i++) {
		const struct srow *r = &srows[i];
		struct wsc_handshake_offer offer;
		char in[1024], why[200] = "";
		size_t used;
		int st;

		snprintf(in, sizeof(in), "%s\r\n", r->in);
		httphead_init(head, true);
		if (httphead_feed(head, in, strlen(in), &used) != HTTPHEAD_DONE) {
			ok(0, "request: %s: parses (%s)", r->name, head->why);
			continue;
		}
		st = handshake_check_request(head, &offer, why, sizeof(why));
		is_int(st, r->status, "request: %s: status", r->name);
		if (st != 101 && st != 0) {
			is_str(why, r->why, "request: %s: why", r->name);
		} else if (st == 101) {
			is_str(offer.key, rfc_key, "request: %s: key", r->name);
		}
	}
}

static void test_server_answers(void)
{
	char in[512], out[512];
	size_t used;

	snprintf(in, sizeof(in), RQ RQ_FIELDS RQ_KEY "Sec-WebSocket-Protocol: "
		"chat, superchat\r\nSec-WebSocket-Protocol: x\r\n" RQ_V13 "\r\n");
	httphead_init(head, true);
	httphead_feed(head, in, strlen(in), &used);
	ok(handshake_choose_protocol(head, "x,superchat", out, sizeof(out)) &&
		!strcmp(out, "superchat"), "the client's first offer we have");
	ok(handshake_choose_protocol(head, "x", out, sizeof(out)) &&
		!strcmp(out, "x"), "offers from a second field count");
	ok(!handshake_choose_protocol(head, "Chat,y", out, sizeof(out)),
		"no common subprotocol (names are case-sensitive)");
	ok(!handshake_choose_protocol(head, "superchat", out, 9),
		"too small for the name");
	ok(!handshake_choose_protocol(head, NULL, out, sizeof(out)),
		"we have none");

	handshake_write_response(out, sizeof(out), rfc_key, "chat", NULL);
	is_str(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Accept: "
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
		"\r\n", "the 101 of RFC 1.3");
	ok(handshake_write_response(out, 60, rfc_key, NULL, NULL) == -1,
		"101 too large for the buffer");
	handshake_write_refusal(out, sizeof(out), 426, "version 8");
	is_str(out, "HTTP/1.1 426 Upgrade Required\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 10\r\nConnection: close\r\n\r\nversion 8\n",
		"426 names the version");
}

/* The client's request through the server's checks and back. */
static void test_both_halves(void)
{
	unsigned char nonce[16];
	struct wsc_mask *m = malloc(sizeof(*m));
	struct wsc_handshake_request rq = { .host = "127.0.0.1", .port = 9,
		.protocols = "a,b", .extensions = "permessage-deflate" };
	struct wsc_handshake_offer offer;
	struct wsc_handshake_result res;
	char req[1024], resp[1024], key[HANDSHAKE_KEY_LEN + 1], proto[16];
	char why[200] = "";
	size_t used;
	bool good;

	mask_init(m);
	mask_bytes(m, nonce, 16);
	handshake_write_request(req, sizeof(req), &rq, nonce, key);
	httphead_init(head, true);
	ok(httphead_feed(head, req, strlen(req), &used) == HTTPHEAD_DONE &&
		used == strlen(req), "our request parses");
	ok(handshake_check_request(head, &offer, why, sizeof(why)) == 101 &&
		!strcmp(offer.key, key), "and passes the server's checks");
	ok(handshake_choose_protocol(head, "b", proto, sizeof(proto)),
		"b chosen");
	handshake_write_response(resp, sizeof(resp), offer.key, proto,
		offer.extensions);
	httphead_init(head, false);
	httphead_feed(head, resp, strlen(resp), &used);
	good = handshake_check_response(head, key, rq.protocols, rq.extensions,
		&res, why, sizeof(why));
	ok(good && !strcmp(res.protocol, "b") &&
		!strcmp(res.extensions, "permessage-deflate"),
		"the server's 101 passes the client's verdict %s", why);
	mask_finish(m);
	free(m);
}

int main(void)
{
	head = malloc(sizeof(*head));
	test_heads();
	test_lists();
	test_accept();
	test_request();
	test_request_h2();
	test_verdicts();
	test_server();
	test_server_answers();
	test_both_halves();
	free(head);
	return done_testing();
}
