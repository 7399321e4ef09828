/*
 * roomrx.c - one client's incoming message in the room (roomrx.h).
 */
#include "roomrx.h"

#include "frame.h"

void roomrx_init(struct roomrx *rx, struct roombudget *b,
		const struct deflate_params *pmdp, uint64_t max)
{
	rx->budget = b;
	rx->pmdp = pmdp;
	rx->max = max;
	rx->msg = NULL;
	rx->inf = NULL;
	rx->st = ROOMRX_OK;
}

void roomrx_abort(struct roomrx *rx)
{
	if (rx->msg) {
		roommsg_unref(rx->msg);
		rx->msg = NULL;
	}
}

void roomrx_finish(struct roomrx *rx)
{
	roomrx_abort(rx);
	deflate_rx_free(rx->inf);
	rx->inf = NULL;
}

enum roomrx_status roomrx_start(struct roomrx *rx, bool binary, bool z)
{
	roomrx_abort(rx);
	rx->msg = roommsg_new(rx->budget);
	rx->binary = binary;
	rx->z = z;
	rx->st = ROOMRX_OK;
	utf8check_init(&rx->u8);
	return rx->msg ? ROOMRX_OK : ROOMRX_NOMEM;
}

static enum roomrx_status append(struct roomrx *rx, const void *d, size_t n)
{
	size_t max = rx->max && rx->max < (size_t)-1 ? (size_t)rx->max :
		(size_t)-1;

	if (rx->max && n > rx->max - rx->msg->len) {
		return ROOMRX_TOO_BIG;
	}
	switch (roommsg_append(rx->msg, d, n, max)) {
	case ROOMMSG_OK:
		return ROOMRX_OK;
	case ROOMMSG_BUDGET:
		return ROOMRX_BUDGET;
	default:
		return ROOMRX_NOMEM;
	}
}

static int inflate_sink(void *arg, const unsigned char *d, size_t n)
{
	struct roomrx *rx = arg;

	if (!rx->binary && utf8check_feed(&rx->u8, d, n) != n) {
		rx->st = ROOMRX_BAD_UTF8;
	} else {
		rx->st = append(rx, d, n);
	}
	return rx->st != ROOMRX_OK;
}

static enum roomrx_status inflate_span(struct roomrx *rx, const void *d,
		size_t n, bool fin)
{
	enum deflate_status st;

	if (!rx->inf) {
		rx->inf = deflate_rx_new(rx->pmdp, DEFLATE_SERVER, rx->max);
		if (!rx->inf) {
			return ROOMRX_NOMEM;
		}
	}
	st = deflate_rx_write(rx->inf, d, n, fin, inflate_sink, rx);
	if (st == DEFLATE_OK && fin && !rx->binary &&
			!utf8check_done(&rx->u8)) {
		return ROOMRX_BAD_UTF8;
	}
	switch (st) {
	case DEFLATE_OK:
		return ROOMRX_OK;
	case DEFLATE_STOPPED:
		return rx->st;
	case DEFLATE_TOO_BIG:
		return ROOMRX_TOO_BIG;
	case DEFLATE_INTERNAL:
		return ROOMRX_NOMEM;
	default:
		return ROOMRX_CORRUPT;
	}
}

enum roomrx_status roomrx_data(struct roomrx *rx, const void *d, size_t n,
		bool fin)
{
	enum roomrx_status st;

	if (!rx->z) {
		return n ? append(rx, d, n) : ROOMRX_OK;
	}
	st = inflate_span(rx, d, n, fin);
	if (st == ROOMRX_OK && fin && rx->pmdp->client_no_context_takeover) {
		// it resets its context: nothing to keep between messages
		deflate_rx_free(rx->inf);
		rx->inf = NULL;
	}
	return st;
}

struct roommsg *roomrx_take(struct roomrx *rx)
{
	struct roommsg *m = rx->msg;

	rx->msg = NULL;
	roommsg_seal(m, FRAME_FIN | (rx->binary ? FRAME_BINARY : FRAME_TEXT));
	return m;
}

unsigned roomrx_close_code(enum roomrx_status st)
{
	switch (st) {
	case ROOMRX_TOO_BIG:
	case ROOMRX_BUDGET:
		return 1009;
	case ROOMRX_BAD_UTF8:
		return 1007;
	case ROOMRX_NOMEM:
		return 1011;
	default:
		return 1007;    // corrupt compressed data (deflate.h)
	}
}

const char *roomrx_why(const struct roomrx *rx)
{
	return rx->inf ? deflate_rx_why(rx->inf) : "";
}
