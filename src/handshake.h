/*
 * handshake.h - the RFC 6455 opening handshake, both halves, as bytes.
 * Pure: writes into the caller's buffers, reads heads parsed by
 * httphead.h, never does I/O or prints.
 *
 * Why: over lws' raw transport wsc writes its own Upgrade request (so -D
 * shows exactly the bytes sent) and reads the response itself (every
 * header as received, values trimmed of optional whitespace); --listen
 * reads each client's request and answers it without touching bytes lws
 * is about to parse.
 *
 * Client: handshake_write_request() (key from 16 random bytes, mask.h),
 * then feed the response to an httphead and ask handshake_check_response()
 * for the verdict; bytes after the head go to the frame decoder.
 * Server: feed the request to an httphead, handshake_check_request(), pick
 * a subprotocol with handshake_choose_protocol(), then write either
 * handshake_write_response() or handshake_write_refusal().
 * Callers: the client connection and the --listen room.
 */
#ifndef WSC_HANDSHAKE_H
#define WSC_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "httphead.h"

#define HANDSHAKE_KEY_LEN    24     // base64 of 16 bytes
#define HANDSHAKE_ACCEPT_LEN 28     // base64 of a SHA-1
#define HANDSHAKE_EXT_MAX    512

/* What the client asks for. NULL (or 0) fields are left out. */
struct wsc_handshake_request {
	const char *host;       // name or address; an IPv6 one without []
	unsigned port;          // shown in Host unless the scheme's default
	bool tls;               // wss: the default port is 443, else 80
	const char *path;       // "/path?query"; NULL or "": "/"
	const char *origin;     // Origin value
	const char *protocols;  // Sec-WebSocket-Protocol: "a, b" or "a,b"
	const char *extensions; // Sec-WebSocket-Extensions offer
	const char *authorization;  // value, e.g. "Basic dXNlcjpwdw=="
	const char *const *headers; // "Name: value" lines, in order; a
	size_t n_headers;       //   Host or Origin among them replaces ours
};

/*
 * Write the Upgrade request into out (size bytes, NUL-terminated), its
 * Sec-WebSocket-Key the base64 of nonce, also copied to key. Lines:
 * request line, Host, Upgrade, Connection, Sec-WebSocket-Key,
 * Sec-WebSocket-Version, Origin, Sec-WebSocket-Protocol,
 * Sec-WebSocket-Extensions, Authorization, the extra headers, blank line.
 * Returns its length, -1 when out is too small.
 */
ssize_t handshake_write_request(char *out, size_t size,
		const struct wsc_handshake_request *rq,
		const unsigned char nonce[16], char key[HANDSHAKE_KEY_LEN + 1]);

/*
 * The request's header fields, the one list both requests are made of,
 * each told to fn in order: Host (the URL's authority, or -H Host), then
 * with key (HTTP/1.1) Upgrade, Connection and Sec-WebSocket-Key, then
 * Sec-WebSocket-Version, Origin, Sec-WebSocket-Protocol,
 * Sec-WebSocket-Extensions, Authorization and the extra headers (names as
 * given; a Host or Origin among them replaced ours). sp + value is what
 * follows the colon: sp is " " for ours, "" for the extra ones, whose
 * value is as given.
 */
typedef void handshake_field_fn(void *arg, const char *name, size_t name_len,
		const char *sp, const char *value);
void handshake_request_fields(const struct wsc_handshake_request *rq,
		const char *key, handshake_field_fn *fn, void *arg);

/*
 * The extended CONNECT of RFC 8441 (WebSocket over HTTP/2) as text, one
 * "name: value" line each, CRLF-terminated, a blank line last: :method
 * CONNECT, :protocol websocket, :scheme, :path, :authority (the Host),
 * then the fields above without the HTTP/1.1 ones, names in lowercase
 * (RFC 9113 8.2.1). The HTTP/2 layer sends each line as one field; -D
 * shows them. Returns the length, -1 when out is too small.
 */
ssize_t handshake_write_request_h2(char *out, size_t size,
		const struct wsc_handshake_request *rq);

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + the RFC's GUID)). */
void handshake_accept(const char *key, char out[HANDSHAKE_ACCEPT_LEN + 1]);

/* What a successful response chose. */
struct wsc_handshake_result {
	const char *protocol;   // the subprotocol, in the head; NULL: none
	char extensions[HANDSHAKE_EXT_MAX];  // accepted extensions, joined
};

/*
 * The client's verdict on a complete response head to a request with key
 * (NULL for the HTTP/2 request: a 200 is the answer, RFC 8441 5),
 * offering protocols and extensions (NULL: none): 101, Upgrade:
 * websocket, Connection: Upgrade, the Accept for key, a subprotocol only
 * from those offered, extensions only those offered and each once.
 * false with why ("HTTP 403 Forbidden", "Sec-WebSocket-Accept mismatch:
 * got 'x', expected 'y'", ...), a line to follow "handshake failed: ".
 */
bool handshake_check_response(const struct wsc_httphead *h, const char *key,
		const char *protocols, const char *extensions,
		struct wsc_handshake_result *res, char *why, size_t size);

/* What a valid Upgrade request carries. */
struct wsc_handshake_offer {
	const char *key;        // Sec-WebSocket-Key, checked
	const char *extensions; // first Sec-WebSocket-Extensions or NULL
};

/*
 * The server's verdict on a complete request head (RFC 6455 4.2.1), the
 * one judge of an Upgrade request. Returns 101 for a valid WebSocket
 * Upgrade (offer filled), 0 for a request that asks for no WebSocket at
 * all (no Upgrade: websocket; the caller may serve a page), or the status
 * to refuse with and why, in the words --listen reports: 405 (not GET),
 * 400 (not HTTP/1.1, no Host, no Connection: Upgrade, a missing, repeated
 * or malformed key) or 426 (Sec-WebSocket-Version not 13).
 */
int handshake_check_request(const struct wsc_httphead *h,
		struct wsc_handshake_offer *offer, char *why, size_t size);

/*
 * The first subprotocol the client offers (its order, all its
 * Sec-WebSocket-Protocol fields) that is in ours (a comma list) into out.
 * false when there is none or out is too small.
 */
bool handshake_choose_protocol(const struct wsc_httphead *h,
		const char *ours, char *out, size_t size);

/*
 * The 101 answer to key, with the chosen protocol and extensions (NULL:
 * none). Returns the length written (NUL-terminated), -1 when too small.
 */
ssize_t handshake_write_response(char *out, size_t size, const char *key,
		const char *protocol, const char *extensions);

/*
 * A refusal: status (400, 426 adds Sec-WebSocket-Version: 13, 503 adds
 * Retry-After: 5, ...) with why as a text/plain body, Connection: close.
 * Returns as above.
 */
ssize_t handshake_write_refusal(char *out, size_t size, int status,
		const char *why);

#endif
