/*
 * roomfair.c - the room's slow-reader rule (roomfair.h).
 */
#include "roomfair.h"

void roomfair_queued(struct roomfair *f, size_t backlog, int64_t now)
{
	if (!f->owed && backlog) {
		f->owed = true;
		f->since = now;
		f->taken = 0;
	}
}

void roomfair_wrote(struct roomfair *f, size_t n, size_t backlog,
		int64_t now)
{
	if (!backlog) {
		f->owed = false;    // it took everything
		return;
	}
	if (!f->owed) {
		roomfair_queued(f, backlog, now);
		return;
	}
	f->taken += n;
	if (f->taken >= ROOMFAIR_ALLOWANCE) {
		f->since = now;     // it took its allowance: a new period
		f->taken = 0;
	}
}

int64_t roomfair_deadline(const struct roomfair *f)
{
	return f->owed ? f->since + (int64_t)ROOMFAIR_SECS * 1000000 : 0;
}
