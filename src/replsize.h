/*
 * replsize.h - the REPL's prompt and typed line redrawn after a terminal
 * resize, from where the terminal says the cursor is (replsize.c).
 */
#ifndef WSC_REPLSIZE_H
#define WSC_REPLSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define REPLSIZE_KEPT 256

struct wsc;

/*
 * Terminal input read while the terminal's answer was looked for: keys
 * typed meanwhile, given to readline in order (replsize_getc()) before
 * anything read later.
 */
struct replsize {
	unsigned char kept[REPLSIZE_KEPT];
	size_t kept_len;
	size_t kept_off;        // given to readline so far
	bool owed;              // an answer is late: taken out of the input
				// when it comes; no question asked until then
};

/* The terminal was resized (SIGWINCH) while the prompt is shown. */
void replsize_resized(struct wsc *w);

/* The terminal has input while an answer is owed: take the answer out,
 * give the rest to readline. */
void replsize_input(struct wsc *w);

/* readline's rl_getc_function: kept input first, then the terminal. */
int replsize_getc(struct replsize *rs, FILE *in);

#endif
