/*
 * utf8check.h - validating UTF-8 that arrives in pieces, for the frame
 * decoder (text messages across fragments, Close reasons) and the message
 * layer (inflated permessage-deflate text). Pure; ASCII runs go 8 bytes a
 * step.
 */
#ifndef WSC_UTF8CHECK_H
#define WSC_UTF8CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where a walk stands: need continuation bytes are still due, the next of
 * them within [lo, hi] (the first one after a lead byte has a narrower
 * range, which excludes overlong forms, surrogates and > U+10FFFF). A
 * zeroed struct is the start of text.
 */
struct wsc_utf8check {
	unsigned char need, lo, hi;
};

static inline void utf8check_init(struct wsc_utf8check *u)
{
	u->need = 0;
}

/*
 * Check p[0..n) as the continuation of what came before. Returns n when
 * the text so far can still be valid, else the offset of the first byte
 * that makes it invalid (the state is then unusable).
 */
size_t utf8check_feed(struct wsc_utf8check *u, const unsigned char *p,
		size_t n);

/* The text ends here: true when no sequence is left incomplete. */
static inline bool utf8check_done(const struct wsc_utf8check *u)
{
	return u->need == 0;
}

#endif
