/*
 * roomfair.h - the --listen room's slow-reader rule, for one client.
 * A client with bytes queued for it must, within each ROOMFAIR_SECS, take
 * its allowance of them or all of them; else it is too slow and the room
 * drops it. Only what it takes (or not) over time counts: never the size
 * of a message just queued, which the room has not tried to write yet.
 * Pure: the caller gives the times.
 */
#ifndef WSC_ROOMFAIR_H
#define WSC_ROOMFAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOMFAIR_ALLOWANCE (1024 * 1024)    // bytes to take per period
#define ROOMFAIR_SECS 5                     // the period

struct roomfair {
	bool owed;              // something is queued for it
	int64_t since;          // usec: the period began
	size_t taken;           // bytes taken in the period
};

/* n bytes were written to it (n may be 0), backlog bytes are still
 * queued; now in usec. */
void roomfair_wrote(struct roomfair *f, size_t n, size_t backlog,
		int64_t now);

/* Something was queued for it (backlog now queued). */
void roomfair_queued(struct roomfair *f, size_t backlog, int64_t now);

/* When it is too slow unless it takes more (usec), 0: owed nothing. */
int64_t roomfair_deadline(const struct roomfair *f);

#endif
