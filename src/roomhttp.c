/*
 * roomhttp.c - the HTTP side of a --listen connection: wsc reads the
 * request head itself (httphead.h) and answers it: a 101 for a WebSocket
 * handshake that handshake.h accepts, the chat page at GET / (chatpage.h),
 * a 404, or a refusal with its reason. Browser pages are let in only from
 * the room's own origin (admit.h: 403).
 *
 * permessage-deflate (deflate.h), with --deflate, when a client offers
 * it: the room answers server_no_context_takeover, so what it sends does
 * not depend on a client's history and one compressor per window size
 * (not one per client: ~320 KiB each) compresses a relayed message once
 * for all (roomz.h).
 */
#include "room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handshake.h"
#include "log.h"
#include "output.h"

#define HEAD_MAX 4096                   // largest request head taken

int roomhttp_answer(struct wsc_peer *p, const char *head, const char *body,
		size_t blen)
{
	size_t hl = strlen(head);

	p->raw = malloc(hl + blen);
	if (!p->raw) {
		return -1;
	}
	memcpy(p->raw, head, hl);
	if (blen) {
		memcpy(p->raw + hl, body, blen);
	}
	p->raw_len = hl + blen;
	p->raw_off = 0;
	p->state = PEER_ANSWER;
	lws_callback_on_writable(p->wsi);
	return 0;
}

/* Answer status with why as a plain-text body and report it; -1: no
 * memory (close it). */
static int refuse(struct wsc_peer *p, int status, const char *why, bool tag)
{
	char buf[1024];
	ssize_t n = handshake_write_refusal(buf, sizeof(buf), status, why);

	if (tag) {
		room_refused(room_of(p->wsi), p->addr, "%s (HTTP %d)", why, status);
	} else {
		room_refused(room_of(p->wsi), p->addr, "%s", why);
	}
	return n > 0 ? roomhttp_answer(p, buf, NULL, 0) : -1;
}

static int serve_http(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE",
		"PATCH", "OPTIONS", "TRACE", "CONNECT" };
	bool head = !strcmp(h->method, "HEAD");
	size_t tl = strcspn(h->target, "?#");
	char hdr[512];

	if (!head && strcmp(h->method, "GET")) {
		for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
			if (!strcmp(h->method, methods[i])) {
				return refuse(p, 405, "the method is not GET", true);
			}
		}
		return refuse(p, 403, "malformed HTTP request", false);
	}
	if (!(tl == 1 && h->target[0] == '/') &&
			!(tl == 11 && !strncmp(h->target, "/index.html", 11))) {
		static const char body[] = "404 Not Found\n";

		snprintf(hdr, sizeof(hdr), "HTTP/1.1 404 Not Found\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n",
			sizeof(body) - 1);
		return roomhttp_answer(p, hdr, body, head ? 0 : sizeof(body) - 1);
	}
	// not a CSP: the page runs its own inline script
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Length: %zu\r\nCache-Control: no-store\r\n"
		"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
		r->page_len);
	return roomhttp_answer(p, hdr, r->page, head ? 0 : r->page_len);
}

/*
 * The room's state, then the request as handshake_check_request() judges
 * it, then the Origin, then the subprotocol: the first the client offers
 * that is ours, else none (or a refusal with --require-subprotocol).
 * Returns false when it was refused.
 */
static bool check_upgrade(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h, char *proto, size_t size)
{
	const char *v, *offered;
	struct wsc_handshake_offer offer;
	char why[400];
	int rc;

	if (r->closing) {
		refuse(p, 503, "the server is shutting down", true);
		return false;
	}
	rc = handshake_check_request(h, &offer, why, sizeof(why));
	if (rc != 101) {
		refuse(p, rc ? rc : 400, rc ? why : "not a WebSocket "
			"request", true);
		return false;
	}
	v = httphead_get(h, "Origin");
	if (!admit_origin(v, httphead_get(h, "Host"), r->host,
			r->opts->allow_origin, r->opts->n_allow_origin)) {
		// the value is the client's: shown terminal-safe, cut short
		unsigned char pend[4];
		size_t npend = 0, n = strlen(v) < 60 ? strlen(v) : 60;
		char shown[6 * (60 + 4) + 1];

		shown[output_escape((const unsigned char *)v, n, true, pend,
			&npend, shown)] = '\0';
		snprintf(why, sizeof(why), "Origin %.340s is not the room's own page",
			shown);
		refuse(p, 403, why, true);
		return false;
	}
	*proto = '\0';
	offered = httphead_get(h, "Sec-WebSocket-Protocol");
	if (!handshake_choose_protocol(h, r->opts->protocols, proto, size)) {
		*proto = '\0';
		if (r->opts->require_protocol) {
			if (offered) {
				snprintf(why, sizeof(why), "it offered subprotocol "
					"%.126s, none of %.200s", offered,
					r->opts->protocols);
			} else {
				snprintf(why, sizeof(why), "it offered no subprotocol "
					"(--require-subprotocol %.200s)",
					r->opts->protocols);
			}
			refuse(p, 400, why, true);
		return false;
		}
	}
	return true;
}

/*
 * With --deflate: the client's permessage-deflate offers (all its
 * Sec-WebSocket-Extensions fields, joined) judged by deflate.h into
 * resp; false when none is taken (or there is none).
 */
static bool choose_deflate(struct room *r, struct wsc_peer *p,
		const struct wsc_httphead *h, char *resp, size_t size)
{
	// ours is reset per message: one compressor serves every client
	static const struct deflate_config policy = {
		.server_no_context_takeover = true,
	};
	char value[HTTPHEAD_MAX], why[160];
	size_t n = 0;

	if (!r->opts->deflate || !httphead_count(h, "Sec-WebSocket-Extensions")) {
		return false;
	}
	for (size_t i = 0; i < h->nfields; i++) {
		size_t l = strlen(h->field[i].value);

		if (strcasecmp(h->field[i].name, "Sec-WebSocket-Extensions") ||
				l + 2 >= sizeof(value) - n) {
			continue;
		}
		if (n) {
			value[n++] = ',';
		}
		memcpy(value + n, h->field[i].value, l);
		n += l;
	}
	if (!deflate_server_choose(value, n, &policy, &p->pmdp, resp, size, why,
			sizeof(why))) {
		log_info("client from %s: permessage-deflate not used: %s",
			p->addr, why);
		return false;
	}
	return true;
}

/* The head is complete: answer it; rest/n are the bytes after it. */
static int on_request(struct room *r, struct wsc_peer *p, unsigned char *rest,
		size_t n)
{
	const struct wsc_httphead *h = p->head;
	const char *up = httphead_get(h, "Upgrade");
	char proto[128], buf[1024], why[128], ext[256];
	ssize_t len;

	if (up && !httphead_has_token(h, "Upgrade", "websocket")) {
		snprintf(why, sizeof(why), "unsupported Upgrade: %.64s", up);
		return refuse(p, 403, why, true);
	}
	if (!up) {
		return serve_http(r, p, h);
	}
	if (!check_upgrade(r, p, h, proto, sizeof(proto))) {
		return p->raw ? 0 : -1;
	}
	p->pmd = choose_deflate(r, p, h, ext, sizeof(ext));
	len = handshake_write_response(buf, sizeof(buf),
		httphead_get(h, "Sec-WebSocket-Key"), *proto ? proto : NULL,
		p->pmd ? ext : NULL);
	if (len < 0 || !(p->raw = malloc((size_t)len))) {
		return -1;
	}
	memcpy(p->raw, buf, (size_t)len);
	p->raw_len = (size_t)len;
	p->raw_off = 0;
	room_join(r, p, proto, rest, n);
	return 0;
}

int roomhttp_read(struct room *r, struct wsc_peer *p, unsigned char *in,
		size_t len)
{
	enum wsc_httphead_status st;
	size_t used = 0;
	char why[160];

	p->head_bytes += len;
	st = httphead_feed(p->head, (const char *)in, len, &used);
	if (st == HTTPHEAD_DONE && p->head->len <= HEAD_MAX) {
		return on_request(r, p, in + used, len - used);
	}
	if (st == HTTPHEAD_DONE || p->head_bytes > HEAD_MAX) {
		snprintf(why, sizeof(why), "request too large (%zu bytes)",
			p->head_bytes);
		return refuse(p, 431, why, false);
	}
	if (st == HTTPHEAD_ERROR) {
		snprintf(why, sizeof(why), "malformed HTTP request (%s)",
			p->head->why);
		return refuse(p, 400, why, false);
	}
	return 0;
}
