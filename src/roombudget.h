/*
 * roombudget.h - the --listen room's memory budget: the bytes of every
 * message the room holds, counted once however many clients it goes to,
 * whether still arriving (inbound: received or inflated so far) or held
 * for relay (queued for one client or more). Pure: only counts.
 */
#ifndef WSC_ROOMBUDGET_H
#define WSC_ROOMBUDGET_H

#include <stdbool.h>
#include <stddef.h>

// the default budget, and its floor: twice the default --max-size
#define ROOMBUDGET_DEFAULT (32u * 1024 * 1024)
// an inbound message may pass this size only while limit / 8 stays free,
// kept for the short messages of everyone else
#define ROOMBUDGET_SMALL (64 * 1024)

struct roombudget {
	size_t limit;
	size_t inbound;         // messages being received
	size_t held;            // messages waiting in client queues
};

/* limit: twice the largest message (max_size), ROOMBUDGET_DEFAULT at least. */
void roombudget_init(struct roombudget *b, unsigned long long max_size);

/*
 * An inbound message of size bytes (counted so far) grows by n: true and
 * counted when it fits what is left (see ROOMBUDGET_SMALL), else false.
 */
bool roombudget_take(struct roombudget *b, size_t size, size_t n);

/* What an inbound message of size bytes may still grow by. */
size_t roombudget_left(const struct roombudget *b, size_t size);

/* Bytes counted with roombudget_take() given back. */
void roombudget_give(struct roombudget *b, size_t n);

/* n inbound bytes become held (a received message goes out). */
void roombudget_hold(struct roombudget *b, size_t n);

/* n bytes held that were made here (input, a compressed copy, a control
 * frame): counted, never refused (the room pauses its sources instead). */
void roombudget_add(struct roombudget *b, size_t n);

/* n held bytes freed. */
void roombudget_release(struct roombudget *b, size_t n);

/*
 * Should the room stop reading its sources (clients and input)? paused is
 * whether it does now: it pauses above half the budget held for relay and
 * resumes at a quarter.
 */
bool roombudget_pause(const struct roombudget *b, bool paused);

#endif
