/*
 * replayfile.c - reading a --record file. The recording is JSON lines in
 * wsc's own -j schema, and a replay needs four top-level fields of each
 * line ("event", "t", "type", "data"): a JSON library would be a new
 * dependency for that. jsonfmt.c already scans JSON and checks its syntax
 * (RFC 8259), handing out every token as it is; this file walks those
 * tokens for the top-level members and decodes the two kinds of value it
 * takes (a string's escapes, base64).
 */
#include "replayfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonfmt.h"
#include "jsonstr.h"
#include "log.h"
#include "utf8.h"

#define REPLAY_FILE_MAX (1ULL << 30)    // held in memory, as --send-file

enum field { F_EVENT, F_T, F_TYPE, F_DATA, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"\"event\"", "\"t\"", "\"type\"", "\"data\"",
};

// One line's top-level members of interest, as tokens (quotes included).
struct line_scan {
	int want;               // the member whose value comes next, or -1
	const char *tok[F_COUNT];
	size_t len[F_COUNT];
	enum jsonfmt_tok kind[F_COUNT];
};

static void on_token(void *ctx, enum jsonfmt_tok kind, const char *tok,
		size_t len, unsigned depth)
{
	struct line_scan *ls = ctx;

	if (depth != 1 || kind == JSONFMT_SPACE || kind == JSONFMT_NEWLINE ||
			(kind == JSONFMT_PUNCT && *tok == ':')) {
		return;
	}
	if (kind == JSONFMT_KEY) {
		ls->want = -1;
		for (int i = 0; i < F_COUNT; i++) {
			if (len == strlen(field_names[i]) &&
					!memcmp(tok, field_names[i], len)) {
				ls->want = i;
			}
		}
		return;
	}
	if (ls->want >= 0) {
		// a value: a container's '{' or '[' counts, as not a scalar
		ls->tok[ls->want] = tok;
		ls->len[ls->want] = len;
		ls->kind[ls->want] = kind;
		ls->want = -1;
	}
}

/*
 * A JSON string token (quotes included, escapes already checked by the
 * scanner) decoded into out (at least len bytes). NULL, or the problem.
 */
static const char *unescape(const char *s, size_t len, unsigned char *out,
		size_t *olen)
{
	size_t i = 1, o = 0, k;
	bool lone;

	while ((k = jsonstr_next(s, len, &i, out + o, &lone))) {
		if (lone) {
			return "a lone surrogate in a string";
		}
		o += k;
	}
	*olen = o;
	return NULL;
}

// Base64 (with padding, as -j writes it) into out; the problem or NULL.
static const char *unbase64(const unsigned char *in, size_t len,
		unsigned char *out, size_t *olen)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	if (len % 4) {
		return "binary data is not base64 (its length is not a multiple "
			"of 4)";
	}
	for (size_t i = 0; i < len; i += 4) {
		unsigned v = 0;
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			const char *p = in[i + k] ? strchr(b64, in[i + k]) : NULL;

			if (in[i + k] == '=' && i + 4 == len && k >= 2 &&
					(k == 3 || in[i + 3] == '=')) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!p || pad) {
				return "binary data is not base64";
			}
			v = v << 6 | (unsigned)(p - b64);
		}
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2) {
			out[o++] = (unsigned char)(v >> 8);
		}
		if (pad < 1) {
			out[o++] = (unsigned char)v;
		}
	}
	*olen = o;
	return NULL;
}

static bool list_add(struct replay_list *l, const struct replay_msg *m)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct replay_msg *p = realloc(l->m, cap * sizeof(*p));

		if (!p) {
			return false;
		}
		l->m = p;
		l->cap = cap;
	}
	l->m[l->n++] = *m;
	return true;
}

static bool is_str(const struct line_scan *ls, enum field f, const char *v)
{
	return ls->tok[f] && ls->kind[f] == JSONFMT_STRING &&
		ls->len[f] == strlen(v) + 2 && !memcmp(ls->tok[f] + 1, v,
		strlen(v));
}

// A "sent" or "message" event's message; the problem or NULL.
static const char *take_msg(struct replay_file *f, const struct line_scan *ls,
		bool sent)
{
	struct replay_msg m = { 0 };
	unsigned char *raw;
	size_t rlen;
	const char *why;

	if (!is_str(ls, F_TYPE, "text") && !is_str(ls, F_TYPE, "binary")) {
		return "\"type\" is not \"text\" or \"binary\"";
	}
	if (!ls->tok[F_DATA] || ls->kind[F_DATA] != JSONFMT_STRING) {
		return "\"data\" is missing or not a string";
	}
	m.binary = is_str(ls, F_TYPE, "binary");
	m.t = ls->kind[F_T] == JSONFMT_NUMBER && ls->tok[F_T] ?
		strtod(ls->tok[F_T], NULL) : -1;
	if (sent && m.t < 0) {
		return "\"t\" is missing or not a number";
	}
	m.rx_before = (unsigned long)f->rx.n;
	raw = malloc(ls->len[F_DATA] + 1);
	m.data = malloc(ls->len[F_DATA] + 1);
	if (!raw || !m.data) {
		free(raw);
		free(m.data);
		return "out of memory";
	}
	why = unescape(ls->tok[F_DATA], ls->len[F_DATA], raw, &rlen);
	if (!why && m.binary) {
		why = unbase64(raw, rlen, m.data, &m.len);
	} else if (!why) {
		memcpy(m.data, raw, rlen);
		m.len = rlen;
		if (!utf8_valid(m.data, m.len)) {
			why = "text data is not UTF-8";
		}
	}
	free(raw);
	if (!why && !list_add(sent ? &f->sent : &f->rx, &m)) {
		why = "out of memory";
	}
	if (why) {
		free(m.data);
	}
	return why;
}

// One line; the problem or NULL.
static const char *take_line(struct replay_file *f, const char *s, size_t n,
		bool *opened)
{
	struct line_scan ls = { .want = -1 };
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
		i++;
	}
	if (i == n) {
		return NULL;    // a blank line
	}
	if (s[i] != '{' || !jsonfmt_format(s, n, on_token, &ls)) {
		return "not a JSON object";
	}
	if (!ls.tok[F_EVENT] || ls.kind[F_EVENT] != JSONFMT_STRING) {
		return "no \"event\" name";
	}
	if (is_str(&ls, F_EVENT, "open")) {
		if (*opened) {
			return "a second open event: a recording of one connection "
				"is replayed, not one made with --reconnect";
		}
		*opened = true;
		if (ls.tok[F_T] && ls.kind[F_T] == JSONFMT_NUMBER) {
			f->t_open = strtod(ls.tok[F_T], NULL);
		}
		return NULL;
	}
	if (is_str(&ls, F_EVENT, "sent")) {
		return take_msg(f, &ls, true);
	}
	if (is_str(&ls, F_EVENT, "message")) {
		return take_msg(f, &ls, false);
	}
	return NULL;    // the other events say nothing a replay needs
}

bool replayfile_parse(struct replay_file *f, const char *name,
		const char *text, size_t len)
{
	unsigned long line = 0;
	bool opened = false;
	size_t i = 0;

	memset(f, 0, sizeof(*f));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *why;

		line++;
		why = take_line(f, text + i, n, &opened);
		if (why) {
			log_err("--replay: %s:%lu: %s", name, line, why);
			replayfile_free(f);
			return false;
		}
		i += n + 1;
	}
	return true;
}

bool replayfile_read(struct replay_file *f, const char *path)
{
	struct wsc_buf b = { 0 };
	int err = buf_load(&b, path, REPLAY_FILE_MAX);
	bool ok;

	memset(f, 0, sizeof(*f));
	if (err) {
		log_err("--replay: %s: %s", path, err == EFBIG ?
			"larger than 1 GiB" : strerror(err));
		buf_free(&b);
		return false;
	}
	ok = replayfile_parse(f, path, (const char *)b.p, b.len);
	buf_free(&b);
	return ok;
}

void replayfile_free(struct replay_file *f)
{
	struct replay_list *l[] = { &f->sent, &f->rx };

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < l[k]->n; i++) {
			free(l[k]->m[i].data);
		}
		free(l[k]->m);
	}
	memset(f, 0, sizeof(*f));
}
