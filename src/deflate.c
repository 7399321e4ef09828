/*
 * deflate.c - permessage-deflate (RFC 7692): the Sec-WebSocket-Extensions
 * negotiation and the per-message transform over zlib. Pure: no I/O.
 */
#define ZLIB_CONST
#include "deflate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char pmd_name[] = "permessage-deflate";

// the empty stored block a flushed message ends with (RFC 7692 7.2.1)
static const unsigned char pmd_tail[4] = { 0x00, 0x00, 0xff, 0xff };

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

static bool valid_bits(int b)
{
	return b >= 8 && b <= 15;
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

	if ((p.smwb && !valid_bits(p.smwb)) ||
			(p.cmwb && p.cmwb != DEFLATE_BITS_BARE &&
			!valid_bits(p.cmwb))) {
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
	int osm = valid_bits(off->server_max_window_bits) ?
		off->server_max_window_bits : 0;
	int ocm = off->client_max_window_bits == DEFLATE_BITS_BARE ||
		valid_bits(off->client_max_window_bits) ?
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
		valid_bits(ocm) ? ocm : 15;
	return 1;
}

bool deflate_server_choose(const char *value, size_t len,
		const struct deflate_config *pol, struct deflate_params *out,
		char *resp, size_t respsize, char *why, size_t ws)
{
	struct lex l = { value, value, value + len };
	int psm = valid_bits(pol->server_max_window_bits) ?
		pol->server_max_window_bits : 0;
	int pcm = valid_bits(pol->client_max_window_bits) ?
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

int deflate_close_code(enum deflate_status st)
{
	switch (st) {
	case DEFLATE_TOO_BIG: return 1009;
	case DEFLATE_CORRUPT: return 1007;
	case DEFLATE_INTERNAL: return 1011;
	case DEFLATE_OK:
	case DEFLATE_STOPPED:
		break;
	}
	return 0;
}

/* ---- compression ------------------------------------------------------- */

// zlib takes at most this much input per call (uInt)
#define PIECE (1u << 30)

struct deflate_tx {
	z_stream z;
	bool reset;             // no context takeover: a new window per message
	enum deflate_status st;
	uint64_t msg_in;        // input bytes of the current message
	size_t held;            // out[0..held): kept back, maybe the tail
	unsigned char out[DEFLATE_CHUNK + sizeof(pmd_tail)];
};

struct deflate_tx *deflate_tx_new(const struct deflate_params *p,
		enum deflate_role self, int level)
{
	int bits = self == DEFLATE_CLIENT ? p->client_max_window_bits :
		p->server_max_window_bits;
	struct deflate_tx *tx;

	if (!valid_bits(bits) || !(tx = calloc(1, sizeof(*tx)))) {
		return NULL;
	}
	tx->reset = self == DEFLATE_CLIENT ? p->client_no_context_takeover :
		p->server_no_context_takeover;
	// zlib refuses raw windowBits 8; 9 stays within 256 (deflate.h)
	if (deflateInit2(&tx->z, level, Z_DEFLATED, -(bits == 8 ? 9 : bits),
			8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(tx);
		return NULL;
	}
	return tx;
}

void deflate_tx_free(struct deflate_tx *tx)
{
	if (tx) {
		deflateEnd(&tx->z);
		free(tx);
	}
}

static enum deflate_status tx_fail(struct deflate_tx *tx,
		enum deflate_status st)
{
	tx->st = st;
	return st;
}

enum deflate_status deflate_tx_write(struct deflate_tx *tx, const void *data,
		size_t n, bool fin, deflate_sink_fn sink, void *arg)
{
	const unsigned char *p = data;

	if (tx->st) {
		return tx->st;
	}
	if (!n && !fin) {
		return DEFLATE_OK;
	}
	tx->msg_in += n;
	if (fin && !tx->msg_in) {
		/*
		 * An empty message: an empty stored block less its 00 00 ff
		 * ff. zlib would write nothing (a second flush in a row is
		 * Z_BUF_ERROR), and an empty payload is not valid.
		 */
		static const unsigned char empty[1] = { 0x00 };

		if (sink(arg, empty, 1)) {
			return tx_fail(tx, DEFLATE_STOPPED);
		}
		return DEFLATE_OK;
	}
	do {
		uInt piece = n > PIECE ? PIECE : (uInt)n;
		int flush = fin && piece == n ? Z_SYNC_FLUSH : Z_NO_FLUSH;

		tx->z.next_in = p;
		tx->z.avail_in = piece;
		p += piece;
		n -= piece;
		do {
			size_t have, keep, emit;
			int r;

			tx->z.next_out = tx->out + tx->held;
			tx->z.avail_out = DEFLATE_CHUNK;
			r = deflate(&tx->z, flush);
			if (r != Z_OK && r != Z_BUF_ERROR) {
				return tx_fail(tx, DEFLATE_INTERNAL);
			}
			have = tx->held + (DEFLATE_CHUNK - tx->z.avail_out);
			if (flush == Z_SYNC_FLUSH && tx->z.avail_out) {
				// flushed: drop the tail (always there)
				keep = 0;
				emit = have >= sizeof(pmd_tail) &&
					!memcmp(tx->out + have - sizeof(pmd_tail),
						pmd_tail, sizeof(pmd_tail)) ?
					have - sizeof(pmd_tail) : have;
			} else {
				// the last 4 bytes may be the tail: hold them
				keep = have < sizeof(pmd_tail) ? have :
					sizeof(pmd_tail);
				emit = have - keep;
			}
			if (emit && sink(arg, tx->out, emit)) {
				return tx_fail(tx, DEFLATE_STOPPED);
			}
			memmove(tx->out, tx->out + emit, keep);
			tx->held = keep;
		} while (tx->z.avail_out == 0);
	} while (n);
	if (fin) {
		tx->msg_in = 0;
		if (tx->reset && deflateReset(&tx->z) != Z_OK) {
			return tx_fail(tx, DEFLATE_INTERNAL);
		}
	}
	return DEFLATE_OK;
}

/* ---- decompression ----------------------------------------------------- */

struct deflate_rx {
	z_stream z;
	bool reset;             // no context takeover: a new window per message
	bool in_msg;            // a message is under way
	bool ended;             // zlib's stream ended (BFINAL) in this message
	uint64_t max, total;
	enum deflate_status st;
	char why[96];
	unsigned char out[DEFLATE_CHUNK];
};

struct deflate_rx *deflate_rx_new(const struct deflate_params *p,
		enum deflate_role self, uint64_t max_size)
{
	int bits = self == DEFLATE_CLIENT ? p->server_max_window_bits :
		p->client_max_window_bits;
	struct deflate_rx *rx;

	if (!valid_bits(bits) || !(rx = calloc(1, sizeof(*rx)))) {
		return NULL;
	}
	rx->reset = self == DEFLATE_CLIENT ? p->server_no_context_takeover :
		p->client_no_context_takeover;
	rx->max = max_size;
	// always the full window: see deflate.h
	if (inflateInit2(&rx->z, -15) != Z_OK) {
		free(rx);
		return NULL;
	}
	return rx;
}

void deflate_rx_free(struct deflate_rx *rx)
{
	if (rx) {
		inflateEnd(&rx->z);
		free(rx);
	}
}

uint64_t deflate_rx_total(const struct deflate_rx *rx)
{
	return rx->total;
}

const char *deflate_rx_why(const struct deflate_rx *rx)
{
	return rx->why;
}

__attribute__((format(printf, 3, 4)))
static enum deflate_status rx_fail(struct deflate_rx *rx,
		enum deflate_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rx->why, sizeof(rx->why), fmt, ap);
	va_end(ap);
	rx->st = st;
	return st;
}

static enum deflate_status rx_feed(struct deflate_rx *rx,
		const unsigned char *p, size_t n, deflate_sink_fn sink, void *arg)
{
	while (!rx->ended) {
		uInt piece = n > PIECE ? PIECE : (uInt)n;

		rx->z.next_in = p;
		rx->z.avail_in = piece;
		p += piece;
		n -= piece;
		for (;;) {
			size_t room = DEFLATE_CHUNK, have;
			bool bad;
			int r;

			if (rx->max) {
				// one byte past the limit tells it is exceeded
				uint64_t left = rx->max - rx->total;

				if (left < DEFLATE_CHUNK) {
					room = (size_t)left + 1;
				}
			}
			rx->z.next_out = rx->out;
			rx->z.avail_out = (uInt)room;
			r = inflate(&rx->z, Z_SYNC_FLUSH);
			// what was inflated before a fault goes on first, so
			// any way of cutting the payload gives the same
			bad = r == Z_DATA_ERROR || r == Z_NEED_DICT;
			if (!bad && r != Z_OK && r != Z_STREAM_END &&
					r != Z_BUF_ERROR) {
				return rx_fail(rx, DEFLATE_INTERNAL,
					"zlib inflate failed (%d)", r);
			}
			have = room - rx->z.avail_out;
			if (rx->max && have > rx->max - rx->total) {
				size_t within = (size_t)(rx->max - rx->total);

				if (within && sink(arg, rx->out, within)) {
					return rx_fail(rx, DEFLATE_STOPPED,
						"stopped");
				}
				rx->total += within;
				return rx_fail(rx, DEFLATE_TOO_BIG, "message "
					"inflates to more than %llu bytes",
					(unsigned long long)rx->max);
			}
			rx->total += have;
			if (have && sink(arg, rx->out, have)) {
				return rx_fail(rx, DEFLATE_STOPPED, "stopped");
			}
			if (bad) {
				return rx_fail(rx, DEFLATE_CORRUPT,
					"invalid compressed data (%s)",
					rx->z.msg ? rx->z.msg : "zlib");
			}
			if (r == Z_STREAM_END) {
				// BFINAL: the rest of the message is ignored
				rx->ended = true;
				break;
			}
			if (rx->z.avail_out) {
				break;  // input used up
			}
		}
		if (!n) {
			break;
		}
	}
	return DEFLATE_OK;
}

// A new message: its own stream, on the same window unless reset.
static enum deflate_status rx_start(struct deflate_rx *rx)
{
	rx->in_msg = true;
	rx->total = 0;
	if (rx->reset) {
		if (inflateReset(&rx->z) != Z_OK) {
			return rx_fail(rx, DEFLATE_INTERNAL, "zlib reset failed");
		}
	} else if (rx->ended) {
		uInt len = 0;

		if (inflateGetDictionary(&rx->z, rx->out, &len) != Z_OK ||
				inflateReset(&rx->z) != Z_OK ||
				inflateSetDictionary(&rx->z, rx->out, len) != Z_OK) {
			return rx_fail(rx, DEFLATE_INTERNAL, "zlib reset failed");
		}
	}
	rx->ended = false;
	return DEFLATE_OK;
}

enum deflate_status deflate_rx_write(struct deflate_rx *rx, const void *data,
		size_t n, bool fin, deflate_sink_fn sink, void *arg)
{
	enum deflate_status st;

	if (rx->st) {
		return rx->st;
	}
	if (!rx->in_msg && (st = rx_start(rx))) {
		return st;
	}
	if ((st = rx_feed(rx, data, n, sink, arg))) {
		return st;
	}
	if (!fin) {
		return DEFLATE_OK;
	}
	if (!rx->ended) {
		if ((st = rx_feed(rx, pmd_tail, sizeof(pmd_tail), sink, arg))) {
			return st;
		}
		// the tail must complete an empty stored block
		if (!rx->ended && !(rx->z.data_type & 128)) {
			return rx_fail(rx, DEFLATE_CORRUPT, "invalid compressed "
				"data (the message does not end on a block "
				"boundary)");
		}
	}
	rx->in_msg = false;
	return DEFLATE_OK;
}
