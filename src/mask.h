/*
 * mask.h - masking keys and handshake nonces from a pool of random bytes,
 * refilled from getrandom(2): 4 KiB first (a short session draws little,
 * and 64 KiB from the kernel cost ~0.1 ms at every start), each refill
 * twice the last, up to 64 KiB: one system call per 16 384 frame keys
 * instead of a /dev/urandom read per frame. The client's encoder draws a
 * key per frame; the handshake draws its 16-byte nonce.
 */
#ifndef WSC_MASK_H
#define WSC_MASK_H

#include <stdbool.h>
#include <stddef.h>

#define MASK_POOL_SIZE 65536
#define MASK_POOL_FIRST 4096    // the first fill

/* One per process (or per session) is enough: callers share it. */
struct wsc_mask {
	size_t pos;             // bytes of pool already handed out
	size_t fill;            // bytes of pool the last refill put there
	unsigned long refills;  // getrandom() fills so far (tests, stats)
	unsigned char pool[MASK_POOL_SIZE];
};

/* Start with an empty pool (filled on first use). Allocates nothing. */
void mask_init(struct wsc_mask *m);

/* Wipe the pool. Accepts a zeroed struct. */
void mask_finish(struct wsc_mask *m);

/*
 * n (at most MASK_POOL_SIZE) fresh random bytes into out, refilling the
 * pool when it runs short. false when getrandom() fails (errno set).
 */
bool mask_bytes(struct wsc_mask *m, unsigned char *out, size_t n);

/* A 4-byte frame masking key: mask_bytes(m, key, 4). */
static inline bool mask_key(struct wsc_mask *m, unsigned char key[4])
{
	return mask_bytes(m, key, 4);
}

#endif
