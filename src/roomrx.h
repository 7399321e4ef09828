/*
 * roomrx.h - the message one client of the --listen room is sending: its
 * payload (as message.h gives it: inflated, checked, within --max-size)
 * assembled into a shared message (roommsg.h) within the room's budget,
 * handed on whole when it ends.
 */
#ifndef WSC_ROOMRX_H
#define WSC_ROOMRX_H

#include <stdbool.h>
#include <stdint.h>

#include "roommsg.h"

enum roomrx_status {
	ROOMRX_OK,
	ROOMRX_BUDGET,          // past what is left of the room's budget: 1009
	ROOMRX_NOMEM,           // out of memory: 1011
};

struct roomrx {
	struct roombudget *budget;
	uint64_t max;           // --max-size: the most one message grows to
	struct roommsg *msg;    // the message being received, or NULL
	bool binary;
	size_t lead;            // bytes the room put before what it says
};

void roomrx_init(struct roomrx *rx, struct roombudget *b, uint64_t max);
void roomrx_finish(struct roomrx *rx);

/* A message starts; the room's lead[0..n) (a chat name, "NAME: ") goes
 * in front of its payload, so it is relayed as it is held (--max-size
 * still judges only what the client sends). */
enum roomrx_status roomrx_start(struct roomrx *rx, bool binary,
		const void *lead, size_t n);

/* A span of its payload. */
enum roomrx_status roomrx_data(struct roomrx *rx, const void *d, size_t n);

/* The finished message, sealed as a text or binary frame (the caller's
 * reference). */
struct roommsg *roomrx_take(struct roomrx *rx);

/* Forget the message being received (its bytes go back to the budget). */
void roomrx_abort(struct roomrx *rx);

#endif
