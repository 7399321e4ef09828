/*
 * roombudget.c - the room's memory budget (roombudget.h): what may grow,
 * and when the room should stop reading.
 */
#include "roombudget.h"

void roombudget_init(struct roombudget *b, unsigned long long max_size)
{
	b->limit = ROOMBUDGET_DEFAULT;
	if (max_size > b->limit / 2) {
		b->limit = max_size > (size_t)-1 / 2 ? (size_t)-1 :
			(size_t)max_size * 2;
	}
	b->inbound = b->held = 0;
}

bool roombudget_take(struct roombudget *b, size_t size, size_t n)
{
	size_t used = b->inbound + b->held;
	size_t limit = b->limit;

	if (size + n > ROOMBUDGET_SMALL) {
		limit -= limit / 8;
	}
	if (used > limit || n > limit - used) {
		return false;
	}
	b->inbound += n;
	return true;
}

void roombudget_give(struct roombudget *b, size_t n)
{
	b->inbound -= n;
}

void roombudget_hold(struct roombudget *b, size_t n)
{
	b->inbound -= n;
	b->held += n;
}

void roombudget_add(struct roombudget *b, size_t n)
{
	b->held += n;
}

void roombudget_release(struct roombudget *b, size_t n)
{
	b->held -= n;
}

bool roombudget_pause(const struct roombudget *b, bool paused)
{
	return paused ? b->held > b->limit / 4 : b->held > b->limit / 2;
}
