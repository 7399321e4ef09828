/*
 * sendq.h - the outgoing queue between input and the client's socket.
 * Each item is one frame's payload; the client's encoder frames it as it
 * copies it out. Pure: no I/O. The byte budget is a soft limit the reader obeys.
 */
#ifndef WSC_SENDQ_H
#define WSC_SENDQ_H

#include <stdbool.h>
#include <stddef.h>

enum wsc_frame {
	WSC_FRAME_TEXT,
	WSC_FRAME_BINARY,
	WSC_FRAME_PING,
	WSC_FRAME_PONG,
	WSC_FRAME_CLOSE,
};

struct wsc_sendq_item {
	struct wsc_sendq_item *next;
	enum wsc_frame kind;
	bool first;     // first frame of a message (data frames only)
	bool last;      // final frame of a message (data frames only)
	bool rsv1;      // compressed (permessage-deflate); false when pushed
	size_t len;
	unsigned char buf[];   // len bytes of payload
};

// What one queued frame costs beyond its payload (item, malloc),
// so a flood of tiny messages is bounded too.
#define WSC_SENDQ_OVERHEAD 64

struct wsc_sendq {
	struct wsc_sendq_item *head, *tail;
	size_t bytes;          // payload bytes queued
	size_t cost;           // bytes + WSC_SENDQ_OVERHEAD per frame
	size_t items;
	size_t budget;         // sendq_full() above this
};

void sendq_init(struct wsc_sendq *q, size_t budget);
void sendq_finish(struct wsc_sendq *q);

/* Queue one frame; data is copied. False on allocation failure. */
bool sendq_push(struct wsc_sendq *q, enum wsc_frame kind, bool first,
		bool last, const void *data, size_t len);

/* Queue a Close frame with code (0: no code) and reason (may be NULL). */
bool sendq_push_close(struct wsc_sendq *q, unsigned code, const char *reason);

/* The oldest frame or NULL; its payload is at item->buf. */
struct wsc_sendq_item *sendq_peek(const struct wsc_sendq *q);

/* Drop the oldest frame. */
void sendq_pop(struct wsc_sendq *q);

static inline unsigned char *sendq_payload(const struct wsc_sendq *q,
		struct wsc_sendq_item *it)
{
	(void)q;
	return it->buf;
}

static inline bool sendq_full(const struct wsc_sendq *q)
{
	return q->cost >= q->budget;
}

static inline bool sendq_empty(const struct wsc_sendq *q)
{
	return q->head == NULL;
}

#endif
