/*
 * roomq.c - a client's queue of shared messages (roomq.h).
 */
#include "roomq.h"

#include <stdlib.h>

#include "frame.h"

void roomq_init(struct roomq *q, struct roombudget *b)
{
	q->head = q->tail = NULL;
	q->off = q->backlog = 0;
	q->budget = b;
}

static size_t cost(const struct roommsg *m)
{
	return m->hlen + m->len + ROOMQ_OVERHEAD;
}

bool roomq_push(struct roomq *q, struct roommsg *m)
{
	struct roomq_item *it = malloc(sizeof(*it));

	if (!it) {
		return false;
	}
	it->next = NULL;
	it->m = roommsg_ref(m);
	if (q->tail) {
		q->tail->next = it;
	} else {
		q->head = it;
	}
	q->tail = it;
	q->backlog += cost(m);
	roombudget_add(q->budget, ROOMQ_OVERHEAD);
	return true;
}

static void unlink_after(struct roomq *q, struct roomq_item *prev,
		struct roomq_item *it)
{
	if (prev) {
		prev->next = it->next;
	} else {
		q->head = it->next;
	}
	if (q->tail == it) {
		q->tail = prev;
	}
	roombudget_release(q->budget, ROOMQ_OVERHEAD);
	roommsg_unref(it->m);
	free(it);
}

size_t roomq_iov(const struct roomq *q, struct iovec *iov, size_t max)
{
	size_t k = 0;

	for (struct roomq_item *it = q->head; it && k < max; it = it->next) {
		size_t len;
		const unsigned char *f = roommsg_frame(it->m, &len);

		if (k == 0) {
			f += q->off;
			len -= q->off;
		}
		iov[k].iov_base = (void *)f;
		iov[k++].iov_len = len;
		if (roommsg_opcode(it->m) == FRAME_CLOSE) {
			break;
		}
	}
	return k;
}

bool roomq_written(struct roomq *q, size_t n)
{
	bool close = false;

	while (n && q->head) {
		size_t len, left;

		roommsg_frame(q->head->m, &len);
		left = len - q->off;
		if (n < left) {
			q->off += n;
			q->backlog -= n;
			return close;
		}
		n -= left;
		q->backlog -= left + ROOMQ_OVERHEAD;
		q->off = 0;
		close = close || roommsg_opcode(q->head->m) == FRAME_CLOSE;
		unlink_after(q, NULL, q->head);
	}
	return close;
}

void roomq_discard(struct roomq *q)
{
	struct roomq_item *prev = NULL, *it = q->head;

	if (it && q->off) {
		prev = it;      // being written: the frame is finished first
		it = it->next;
	}
	while (it) {
		struct roomq_item *next = it->next;

		if (roommsg_opcode(it->m) == FRAME_CLOSE) {
			prev = it;
		} else {
			q->backlog -= cost(it->m);
			unlink_after(q, prev, it);
		}
		it = next;
	}
}

void roomq_finish(struct roomq *q)
{
	while (q->head) {
		unlink_after(q, NULL, q->head);
	}
	q->off = q->backlog = 0;
}
