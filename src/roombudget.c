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

size_t roombudget_left(const struct roombudget *b, size_t size)
{
	size_t used = b->inbound + b->held;
	size_t line = b->limit - b->limit / 8;
	size_t all = used < b->limit ? b->limit - used : 0;
	size_t small = size < ROOMBUDGET_SMALL ? ROOMBUDGET_SMALL - size : 0;

	// up to the reserve line; past it, a message's first bytes only
	small = small < all ? small : all;
	return used < line && line - used > small ? line - used : small;
}

bool roombudget_take(struct roombudget *b, size_t size, size_t n)
{
	if (n > roombudget_left(b, size)) {
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
