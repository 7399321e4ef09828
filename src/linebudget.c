/*
 * linebudget.c - a token bucket for the room's per-connection lines
 * (linebudget.h).
 */
#include "linebudget.h"

bool linebudget_take(struct linebudget *b, long long now_ms)
{
	long long step = 1000 / LINEBUDGET_RATE;

	if (!b->started || now_ms < b->last_ms) {
		b->started = true;
		b->tokens = LINEBUDGET_BURST;
		b->last_ms = now_ms;
	}
	if (now_ms - b->last_ms >= step) {
		long long add = (now_ms - b->last_ms) / step;

		b->tokens = add >= LINEBUDGET_BURST - b->tokens ?
			LINEBUDGET_BURST : b->tokens + (unsigned)add;
		b->last_ms += add * step;
	}
	if (!b->tokens) {
		return false;
	}
	b->tokens--;
	return true;
}
