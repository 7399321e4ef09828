/*
 * roomz.h - the --listen room's compressors: one per window size agreed
 * (no context takeover, so a message's compressed form depends on
 * nothing else), each compressing a relayed message once for every client
 * that agreed on that size, into a shared message (roommsg.h).
 */
#ifndef WSC_ROOMZ_H
#define WSC_ROOMZ_H

#include "deflate.h"
#include "roommsg.h"

struct roomz {
	struct {
		struct deflate_tx *tx;
		struct roommsg *msg;    // the current message, compressed
	} w[16];
};

/* The compressed form of the current message m for params pp (made at
 * the first call after roomz_reset()), or NULL when that failed: it is
 * then sent uncompressed (RSV1 is per message). Not a new reference. */
struct roommsg *roomz_get(struct roomz *z, const struct deflate_params *pp,
		const struct roommsg *m);

/* The current message is done: forget its compressed forms. */
void roomz_reset(struct roomz *z);

void roomz_free(struct roomz *z);

#endif
