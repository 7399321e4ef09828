/*
 * roomrx.c - one client's incoming message in the room (roomrx.h).
 */
#include "roomrx.h"

#include "frame.h"

void roomrx_init(struct roomrx *rx, struct roombudget *b, uint64_t max)
{
	rx->budget = b;
	rx->max = max;
	rx->msg = NULL;
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
}

enum roomrx_status roomrx_start(struct roomrx *rx, bool binary,
		const void *lead, size_t n)
{
	roomrx_abort(rx);
	rx->msg = roommsg_new(rx->budget);
	rx->binary = binary;
	rx->lead = 0;
	if (!rx->msg) {
		return ROOMRX_NOMEM;
	}
	if (n) {
		enum roomrx_status st = roomrx_data(rx, lead, n);

		if (st != ROOMRX_OK) {
			roomrx_abort(rx);
			return st;
		}
		rx->lead = n;
	}
	return ROOMRX_OK;
}

enum roomrx_status roomrx_data(struct roomrx *rx, const void *d, size_t n)
{
	size_t max = rx->max && rx->max < (size_t)-1 - rx->lead ?
		(size_t)rx->max + rx->lead : (size_t)-1;

	switch (roommsg_append(rx->msg, d, n, max)) {
	case ROOMMSG_OK:
		return ROOMRX_OK;
	case ROOMMSG_BUDGET:
		return ROOMRX_BUDGET;
	default:
		return ROOMRX_NOMEM;
	}
}

struct roommsg *roomrx_take(struct roomrx *rx)
{
	struct roommsg *m = rx->msg;

	rx->msg = NULL;
	roommsg_seal(m, FRAME_FIN | (rx->binary ? FRAME_BINARY : FRAME_TEXT));
	return m;
}
