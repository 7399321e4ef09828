/*
 * roomrx.h - the message one client of the --listen room is sending:
 * its payload (inflated when compressed, UTF-8-checked after inflating)
 * assembled into a shared message (roommsg.h) within the room's budget
 * and the --max-size limit, handed on whole when it ends.
 */
#ifndef WSC_ROOMRX_H
#define WSC_ROOMRX_H

#include <stdbool.h>
#include <stdint.h>

#include "deflate.h"
#include "roommsg.h"
#include "utf8check.h"

enum roomrx_status {
	ROOMRX_OK,
	ROOMRX_TOO_BIG,         // past --max-size: 1009
	ROOMRX_BUDGET,          // past what is left of the room's budget: 1009
	ROOMRX_BAD_UTF8,        // inflated text is not UTF-8: 1007
	ROOMRX_CORRUPT,         // not valid compressed data: roomrx_why()
	ROOMRX_NOMEM,           // out of memory: 1011
};

struct roomrx {
	struct roombudget *budget;
	const struct deflate_params *pmdp;  // NULL: no permessage-deflate
	uint64_t max;           // --max-size (inflated)
	struct roommsg *msg;    // the message being received, or NULL
	bool binary, z;
	struct deflate_rx *inf; // made at the first compressed message
	struct wsc_utf8check u8;
	enum roomrx_status st;  // of the inflater's sink
};

void roomrx_init(struct roomrx *rx, struct roombudget *b,
		const struct deflate_params *pmdp, uint64_t max);
void roomrx_finish(struct roomrx *rx);

/* A message starts (z: compressed). */
enum roomrx_status roomrx_start(struct roomrx *rx, bool binary, bool z);

/* A span of its payload; fin: its end (then roomrx_take() it). */
enum roomrx_status roomrx_data(struct roomrx *rx, const void *d, size_t n,
		bool fin);

/* The finished message, sealed as a text or binary frame (the caller's
 * reference). */
struct roommsg *roomrx_take(struct roomrx *rx);

/* Forget the message being received (its bytes go back to the budget). */
void roomrx_abort(struct roomrx *rx);

/* The close code for a status, and what was wrong with compressed data. */
unsigned roomrx_close_code(enum roomrx_status st);
const char *roomrx_why(const struct roomrx *rx);

#endif
