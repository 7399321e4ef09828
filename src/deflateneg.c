/*
 * deflateneg.c - permessage-deflate (RFC 7692) negotiation: the client's
 * offer and its check of the server's answer, the server's choice among a
 * client's offers and its answer, all as Sec-WebSocket-Extensions values.
 * Pure: no I/O, no zlib (the codec is deflate.c).
 */
#include "deflate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char pmd_name[] = "permessage-deflate";

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !size) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/* ---- Sec-WebSocket-Extensions ------------------------------------------ */

/*
 * RFC 6455 9.1 with RFC 9110's list rules:
 *   list      = [ element ] *( OWS "," OWS [ element ] )
 *   element   = token *( OWS ";" OWS param )
 *   param     = token [ OWS "=" OWS ( token / quoted-string ) ]
 * A quoted value must unquote to a token.
 */

// One permessage-deflate element as written: 0 absent, else the value.
struct pmd_params {
	bool snct, cnct;
	int smwb, cmwb;         // 0: absent; DEFLATE_BITS_BARE; 8..15
};

struct lex {
	const char *start, *p, *end;
};

struct element {
	const char *name;
	size_t nlen;
	bool pmd;               // the name is permessage-deflate
	struct pmd_params prm;  // its parameters, when pmd
};

enum { EL_EMPTY, EL_OK, EL_BAD };

// widest name or value quoted in a reason
#define SHOW 40

static bool is_tchar(unsigned char c)
{
	// RFC 9110 token characters
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void ows(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t')) {
		l->p++;
	}
}

static size_t token(struct lex *l)
{
	const char *s = l->p;

	while (l->p < l->end && is_tchar((unsigned char)*l->p)) {
		l->p++;
	}
	return (size_t)(l->p - s);
}

static int show_len(size_t n)
{
	return n > SHOW ? SHOW : (int)n;
}

// "unexpected X at offset N" for the byte at l->p (or the end)
static void syntax(const struct lex *l, const char *what, char *why,
		size_t ws)
{
	size_t off = (size_t)(l->p - l->start);
	unsigned char c = l->p < l->end ? (unsigned char)*l->p : 0;

	if (l->p >= l->end) {
		say(why, ws, "%s at the end", what);
	} else if (c > 0x20 && c < 0x7f) {
		say(why, ws, "%s at offset %zu ('%c')", what, off, c);
	} else {
		say(why, ws, "%s at offset %zu (\\x%02x)", what, off, c);
	}
}

// past the next ',' outside a quoted string (or to the end)
static void skip_element(struct lex *l)
{
	bool quoted = false;

	for (; l->p < l->end; l->p++) {
		char c = *l->p;

		if (quoted) {
			if (c == '\\' && l->p + 1 < l->end) {
				l->p++;
			} else if (c == '"') {
				quoted = false;
			}
		} else if (c == '"') {
			quoted = true;
		} else if (c == ',') {
			return;
		}
	}
}

// inside a quoted string: past its closing quote (or to the end)
static void skip_quoted(struct lex *l)
{
	for (; l->p < l->end; l->p++) {
		if (*l->p == '\\' && l->p + 1 < l->end) {
			l->p++;
		} else if (*l->p == '"') {
			l->p++;
			return;
		}
	}
}

/*
 * A parameter value at l->p: a token or a quoted string holding one. Its
 * first cap - 1 bytes (unquoted) go to v, NUL-terminated; *vlen is the
 * whole length.
 */
static bool param_value(struct lex *l, char *v, size_t cap, size_t *vlen,
		char *why, size_t ws)
{
	size_t n = 0;

	if (l->p < l->end && *l->p == '"') {
		const char *open = l->p++;

		for (;;) {
			unsigned char c;

			if (l->p >= l->end) {
				l->p = open;
				syntax(l, "unterminated quoted string", why, ws);
				return false;
			}
			c = (unsigned char)*l->p;
			if (c == '"') {
				l->p++;
				break;
			}
			if (c == '\\' && l->p + 1 < l->end) {
				c = (unsigned char)*++l->p;
			}
			if (!is_tchar(c)) {
				syntax(l, "quoted value is not a token", why, ws);
				l->p++;
				skip_quoted(l);
				return false;
			}
			if (n + 1 < cap) {
				v[n] = (char)c;
			}
			n++;
			l->p++;
		}
		if (!n) {
			l->p = open;
			syntax(l, "empty quoted value", why, ws);
			return false;
		}
	} else {
		const char *s = l->p;

		n = token(l);
		if (!n) {
			syntax(l, "expected a value", why, ws);
			return false;
		}
		memcpy(v, s, n < cap ? n : cap - 1);
	}
	v[n < cap ? n : cap - 1] = '\0';
	*vlen = n;
	return true;
}

// "8".."15", no sign, no leading zero; 0 otherwise
static int parse_bits(const char *v, size_t n)
{
	if (n == 1 && v[0] >= '8' && v[0] <= '9') {
		return v[0] - '0';
	}
	if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') {
		return 10 + v[1] - '0';
	}
	return 0;
}

static bool name_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && !memcmp(s, name, n);
}

// Record one permessage-deflate parameter (offer: as a client writes it).
static bool pmd_param(struct pmd_params *prm, const char *name, size_t nlen,
		const char *v, size_t vlen, bool has_value, bool offer,
		char *why, size_t ws)
{
	bool *flag = NULL;
	int *bits = NULL;

	if (name_is(name, nlen, "server_no_context_takeover")) {
		flag = &prm->snct;
	} else if (name_is(name, nlen, "client_no_context_takeover")) {
		flag = &prm->cnct;
	} else if (name_is(name, nlen, "server_max_window_bits")) {
		bits = &prm->smwb;
	} else if (name_is(name, nlen, "client_max_window_bits")) {
		bits = &prm->cmwb;
	} else {
		say(why, ws, "unknown parameter '%.*s'", show_len(nlen), name);
		return false;
	}
	if (flag ? *flag : *bits != 0) {
		say(why, ws, "duplicate parameter '%.*s'", (int)nlen, name);
		return false;
	}
	if (flag) {
		if (has_value) {
			say(why, ws, "'%.*s' takes no value (got '%.*s')",
				(int)nlen, name, show_len(vlen), v);
			return false;
		}
		*flag = true;
		return true;
	}
	if (!has_value) {
		if (offer && bits == &prm->cmwb) {
			*bits = DEFLATE_BITS_BARE;
			return true;
		}
		say(why, ws, "'%.*s' without a value", (int)nlen, name);
		return false;
	}
	*bits = parse_bits(v, vlen);
	if (!*bits) {
		say(why, ws, "'%.*s=%.*s' is not 8..15", (int)nlen, name,
			show_len(vlen), v);
		return false;
	}
	return true;
}

/*
 * One list element at l->p, up to the ',' that ends it or the end of the
 * value (l->p is left there). EL_BAD (why set) skips to that ','.
 */
static int parse_element(struct lex *l, bool offer, struct element *e,
		char *why, size_t ws)
{
	memset(e, 0, sizeof(*e));
	ows(l);
	if (l->p >= l->end || *l->p == ',') {
		return EL_EMPTY;
	}
	e->name = l->p;
	e->nlen = token(l);
	if (!e->nlen) {
		syntax(l, "expected an extension name", why, ws);
		goto bad;
	}
	e->pmd = name_is(e->name, e->nlen, pmd_name);
	ows(l);
	while (l->p < l->end && *l->p == ';') {
		const char *name;
		size_t nlen, vlen = 0;
		char v[SHOW + 1] = "";
		bool has_value = false;

		l->p++;
		ows(l);
		name = l->p;
		nlen = token(l);
		if (!nlen) {
			syntax(l, "expected a parameter name", why, ws);
			goto bad;
		}
		ows(l);
		if (l->p < l->end && *l->p == '=') {
			l->p++;
			ows(l);
			if (!param_value(l, v, sizeof(v), &vlen, why, ws)) {
				goto bad;
			}
			has_value = true;
			ows(l);
		}
		if (e->pmd && !pmd_param(&e->prm, name, nlen, v, vlen,
				has_value, offer, why, ws)) {
			goto bad;
		}
	}
	if (l->p < l->end && *l->p != ',') {
		syntax(l, "unexpected character", why, ws);
		goto bad;
	}
	return EL_OK;
bad:
	skip_element(l);
	return EL_BAD;
}

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

// "permessage-deflate; ..." from written parameters; false if too small.
static bool format_element(const struct pmd_params *p, char *buf,
		size_t size)
{
	struct out o = { buf, size, 0, false };

	if (!size) {
		return false;
	}
	buf[0] = '\0';
	put(&o, "%s", pmd_name);
	if (p->snct) {
		put(&o, "; server_no_context_takeover");
	}
	if (p->cnct) {
		put(&o, "; client_no_context_takeover");
	}
	if (p->smwb) {
		put(&o, "; server_max_window_bits=%d", p->smwb);
	}
	if (p->cmwb == DEFLATE_BITS_BARE) {
		put(&o, "; client_max_window_bits");
	} else if (p->cmwb) {
		put(&o, "; client_max_window_bits=%d", p->cmwb);
	}
	if (o.full) {
		buf[0] = '\0';
	}
	return !o.full;
}

bool deflate_offer_format(const struct deflate_config *c, char *buf,
		size_t size)
{
	struct pmd_params p = {
		c->server_no_context_takeover, c->client_no_context_takeover,
		c->server_max_window_bits, c->client_max_window_bits,
	};

	if ((p.smwb && !deflate_valid_bits(p.smwb)) ||
			(p.cmwb && p.cmwb != DEFLATE_BITS_BARE &&
			!deflate_valid_bits(p.cmwb))) {
		if (size) {
			buf[0] = '\0';
		}
		return false;
	}
	return format_element(&p, buf, size);
}

int deflate_client_accept(const char *value, size_t len,
		const struct deflate_config *off, struct deflate_params *out,
		char *why, size_t ws)
{
	struct lex l = { value, value, value + len };
	struct pmd_params got = { 0 };
	bool found = false;
	int osm = deflate_valid_bits(off->server_max_window_bits) ?
		off->server_max_window_bits : 0;
	int ocm = off->client_max_window_bits == DEFLATE_BITS_BARE ||
		deflate_valid_bits(off->client_max_window_bits) ?
		off->client_max_window_bits : 0;

	say(why, ws, "%s", "");
	for (;;) {
		struct element e;
		int r = parse_element(&l, false, &e, why, ws);

		if (r == EL_BAD) {
			return -1;
		}
		if (r == EL_OK) {
			if (!e.pmd) {
				say(why, ws, "the server accepted extension "
					"'%.*s', which was not offered",
					show_len(e.nlen), e.name);
				return -1;
			}
			if (found) {
				say(why, ws, "%s accepted twice", pmd_name);
				return -1;
			}
			found = true;
			got = e.prm;
		}
		if (l.p >= l.end) {
			break;
		}
		l.p++;
	}
	if (!found) {
		return 0;
	}
	if (off->server_no_context_takeover && !got.snct) {
		say(why, ws, "server_no_context_takeover was offered but "
			"not accepted");
		return -1;
	}
	if (osm && !got.smwb) {
		say(why, ws, "server_max_window_bits=%d was offered but not "
			"accepted", osm);
		return -1;
	}
	if (osm && got.smwb > osm) {
		say(why, ws, "server_max_window_bits=%d is above the offered "
			"%d", got.smwb, osm);
		return -1;
	}
	if (got.cmwb && !ocm) {
		say(why, ws, "client_max_window_bits=%d in the response, but "
			"not offered", got.cmwb);
		return -1;
	}
	if (got.cmwb && ocm != DEFLATE_BITS_BARE && got.cmwb > ocm) {
		say(why, ws, "client_max_window_bits=%d is above the offered "
			"%d", got.cmwb, ocm);
		return -1;
	}
	out->server_no_context_takeover = got.snct;
	out->client_no_context_takeover = got.cnct ||
		off->client_no_context_takeover;
	out->server_max_window_bits = got.smwb ? got.smwb : 15;
	out->client_max_window_bits = got.cmwb ? got.cmwb :
		deflate_valid_bits(ocm) ? ocm : 15;
	return 1;
}

bool deflate_server_choose(const char *value, size_t len,
		const struct deflate_config *pol, struct deflate_params *out,
		char *resp, size_t respsize, char *why, size_t ws)
{
	struct lex l = { value, value, value + len };
	int psm = deflate_valid_bits(pol->server_max_window_bits) ?
		pol->server_max_window_bits : 0;
	int pcm = deflate_valid_bits(pol->client_max_window_bits) ?
		pol->client_max_window_bits : 0;

	say(why, ws, "no %s offer", pmd_name);
	if (respsize) {
		resp[0] = '\0';
	}
	for (;;) {
		struct element e;
		char reason[160];
		int r = parse_element(&l, true, &e, reason, sizeof(reason));

		if (r == EL_BAD && e.pmd) {
			say(why, ws, "%s offer declined: %s", pmd_name, reason);
		}
		if (r == EL_OK && e.pmd) {
			struct pmd_params a = { 0 };   // the response
			const struct pmd_params *o = &e.prm;

			a.snct = o->snct || pol->server_no_context_takeover;
			a.cnct = o->cnct || pol->client_no_context_takeover;
			a.smwb = o->smwb && (!psm || o->smwb < psm) ?
				o->smwb : psm;
			if (o->cmwb == DEFLATE_BITS_BARE) {
				a.cmwb = pcm;
			} else if (o->cmwb) {
				a.cmwb = pcm && pcm < o->cmwb ? pcm : o->cmwb;
			}
			if (!format_element(&a, resp, respsize)) {
				say(why, ws, "response too long");
				return false;
			}
			out->server_no_context_takeover = a.snct;
			out->client_no_context_takeover = a.cnct;
			out->server_max_window_bits = a.smwb ? a.smwb : 15;
			out->client_max_window_bits = a.cmwb ? a.cmwb : 15;
			say(why, ws, "%s", "");
			return true;
		}
		if (l.p >= l.end) {
			return false;
		}
		l.p++;
	}
}
