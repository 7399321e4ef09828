/*
 * roomq.h - one client's queue in the --listen room: references to shared
 * messages (roommsg.h) in order, with how much of the first one's frame
 * the socket has taken. Each reference is counted in the room's budget;
 * its backlog (bytes not yet written) is what the fairness rule judges.
 * Pure: fills iovecs, never touches a socket.
 */
#ifndef WSC_ROOMQ_H
#define WSC_ROOMQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "roombudget.h"
#include "roommsg.h"

#define ROOMQ_OVERHEAD 48       // one reference: counted in backlog and budget

struct roomq_item {
	struct roomq_item *next;
	struct roommsg *m;
};

struct roomq {
	struct roomq_item *head, *tail;
	size_t off;             // bytes of the first frame already written
	size_t backlog;         // frame bytes not yet written, + overhead each
	struct roombudget *budget;
};

void roomq_init(struct roomq *q, struct roombudget *b);
void roomq_finish(struct roomq *q);

/* Queue a sealed message (a new reference to it); false: out of memory. */
bool roomq_push(struct roomq *q, struct roommsg *m);

/* The frames not yet written, from the first unwritten byte, at most max
 * of them, ending with a Close frame if one comes. Returns the count. */
size_t roomq_iov(const struct roomq *q, struct iovec *iov, size_t max);

/* n bytes of what roomq_iov() gave were written; true when a Close frame
 * was among the frames completed. */
bool roomq_written(struct roomq *q, size_t n);

/* Drop every frame not begun, except Close frames. */
void roomq_discard(struct roomq *q);

static inline bool roomq_empty(const struct roomq *q)
{
	return q->head == NULL;
}

#endif
