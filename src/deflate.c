/*
 * deflate.c - permessage-deflate (RFC 7692): the per-message transform
 * over zlib, compressing and inflating. Pure: no I/O. What was agreed
 * comes from the negotiation (deflateneg.c).
 */
#define ZLIB_CONST
#include "deflate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

// the empty stored block a flushed message ends with (RFC 7692 7.2.1)
static const unsigned char pmd_tail[4] = { 0x00, 0x00, 0xff, 0xff };

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

	if (!deflate_valid_bits(bits) || !(tx = calloc(1, sizeof(*tx)))) {
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

	if (!deflate_valid_bits(bits) || !(rx = calloc(1, sizeof(*rx)))) {
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
