/*
 * linebudget.h - how many lines about single connections (joins, leaves,
 * refusals) the room prints: a burst of LINEBUDGET_BURST, then
 * LINEBUDGET_RATE a second; the caller counts the rest for a summary, so
 * churn cannot flood the console. Pure: the caller gives the time.
 */
#ifndef WSC_LINEBUDGET_H
#define WSC_LINEBUDGET_H

#include <stdbool.h>

#define LINEBUDGET_BURST 20
#define LINEBUDGET_RATE 10

struct linebudget {
	long long last_ms;      // when tokens was last refilled
	unsigned tokens;        // lines that may print now
	bool started;
};

/* May one more line print at now_ms (a monotonic clock)? */
bool linebudget_take(struct linebudget *b, long long now_ms);

#endif
