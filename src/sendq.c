/*
 * sendq.c - a FIFO of frames ready for the socket. Pure: allocates and
 * copies, never touches a socket.
 */
#include "sendq.h"

#include <stdlib.h>
#include <string.h>

void sendq_init(struct wsc_sendq *q, size_t budget)
{
	memset(q, 0, sizeof(*q));
	q->budget = budget;
}

void sendq_finish(struct wsc_sendq *q)
{
	if (!q) {
		return;
	}
	while (q->head) {
		sendq_pop(q);
	}
}

bool sendq_push(struct wsc_sendq *q, enum wsc_frame kind, bool first,
		bool last, const void *data, size_t len)
{
	struct wsc_sendq_item *it = malloc(sizeof(*it) + len);

	if (!it) {
		return false;
	}
	it->next = NULL;
	it->kind = kind;
	it->first = first;
	it->last = last;
	it->rsv1 = false;
	it->len = len;
	if (len) {
		memcpy(it->buf, data, len);
	}
	if (q->tail) {
		q->tail->next = it;
	} else {
		q->head = it;
	}
	q->tail = it;
	q->bytes += len;
	q->cost += len + WSC_SENDQ_OVERHEAD;
	q->items++;
	return true;
}

bool sendq_push_close(struct wsc_sendq *q, unsigned code, const char *reason)
{
	unsigned char p[125];
	size_t n = 0;

	if (code) {
		size_t rlen = reason ? strlen(reason) : 0;

		if (rlen > sizeof(p) - 2) {
			rlen = sizeof(p) - 2;
		}
		p[0] = (unsigned char)(code >> 8);
		p[1] = (unsigned char)(code & 0xff);
		if (rlen) {
			memcpy(p + 2, reason, rlen);
		}
		n = 2 + rlen;
	}
	return sendq_push(q, WSC_FRAME_CLOSE, true, true, p, n);
}

struct wsc_sendq_item *sendq_peek(const struct wsc_sendq *q)
{
	return q->head;
}

void sendq_pop(struct wsc_sendq *q)
{
	struct wsc_sendq_item *it = q->head;

	if (!it) {
		return;
	}
	q->head = it->next;
	if (!q->head) {
		q->tail = NULL;
	}
	q->bytes -= it->len;
	q->cost -= it->len + WSC_SENDQ_OVERHEAD;
	q->items--;
	free(it);
}
