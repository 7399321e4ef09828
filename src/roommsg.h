/*
 * roommsg.h - one message of the --listen room, held once however many
 * clients it goes to: reference-counted, its bytes counted in the room's
 * budget (roombudget.h), and its frame written once (server frames are
 * not masked, so every recipient gets the same bytes): the header goes in
 * the headroom in front of the payload when the message is sealed.
 */
#ifndef WSC_ROOMMSG_H
#define WSC_ROOMMSG_H

#include <stdbool.h>
#include <stddef.h>

#include "roombudget.h"

#define ROOMMSG_HEADROOM 10     // the longest unmasked frame header
#define ROOMMSG_OVERHEAD 64     // counted per message beyond its payload

enum roommsg_status {
	ROOMMSG_OK,
	ROOMMSG_BUDGET,         // the room's budget has no room for it
	ROOMMSG_NOMEM,          // malloc failed
};

struct roommsg {
	unsigned refs;
	bool sealed;            // framed and counted as held
	unsigned char b0;       // FIN | RSV1 | opcode, once sealed
	size_t hlen;            // frame header length, once sealed
	size_t len, cap;        // payload bytes, and room for them
	size_t charged;         // bytes counted in the budget
	struct roombudget *budget;
	unsigned char *buf;     // ROOMMSG_HEADROOM + cap bytes
};

/* An empty inbound message (one reference); NULL when out of memory. */
struct roommsg *roommsg_new(struct roombudget *b);

/*
 * Append n bytes to an inbound message, growing it (its payload never
 * past max bytes of room) within the budget's inbound rule.
 */
enum roommsg_status roommsg_append(struct roommsg *m, const void *d,
		size_t n, size_t max);

/* Frame it with first byte b0 (FRAME_FIN | opcode ...): its bytes now
 * count as held for relay. */
void roommsg_seal(struct roommsg *m, unsigned b0);

/* A sealed message made whole from data (input, a control frame): counted
 * as held, never refused. NULL when out of memory. */
struct roommsg *roommsg_make(struct roombudget *b, unsigned b0,
		const void *data, size_t n);

static inline unsigned char *roommsg_payload(const struct roommsg *m)
{
	return m->buf + ROOMMSG_HEADROOM;
}

/* The whole frame of a sealed message: header and payload. */
static inline const unsigned char *roommsg_frame(const struct roommsg *m,
		size_t *len)
{
	*len = m->hlen + m->len;
	return m->buf + ROOMMSG_HEADROOM - m->hlen;
}

static inline unsigned roommsg_opcode(const struct roommsg *m)
{
	return m->b0 & 0x0f;
}

static inline struct roommsg *roommsg_ref(struct roommsg *m)
{
	m->refs++;
	return m;
}

/* Drop a reference; the last one frees it and gives its bytes back. */
void roommsg_unref(struct roommsg *m);

#endif
