/*
 * split.h - cut an input byte stream into messages at a delimiter
 * ('\n' or '\0'). Reads land in place in the splitter's buffer; a message
 * longer than the buffer is handed out in pieces (sent as fragments), so
 * memory stays flat whatever the line length. A piece that fills the
 * buffer leaves its last byte behind, so a final piece is never empty.
 * Pure: no I/O.
 */
#ifndef WSC_SPLIT_H
#define WSC_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* One piece of a message: first/last say where it sits in the message. */
typedef bool (*split_emit_fn)(void *ctx, const char *data, size_t len,
		bool first, bool last);

struct wsc_split {
	char delim;
	bool in_msg;            // pieces of the current message already emitted
	size_t len;             // bytes in buf
	size_t cap;
	char *buf;
};

/* False on allocation failure. */
bool split_init(struct wsc_split *s, char delim, size_t cap);
void split_finish(struct wsc_split *s);

/* Where the next read should go, and how much room it has (never 0). */
char *split_space(struct wsc_split *s, size_t *room);

/*
 * n bytes were read into split_space(): emit every complete message, and
 * a piece of the current one if the buffer is full. Returns false as soon
 * as emit does (the rest stays queued in the splitter and is lost).
 */
bool split_commit(struct wsc_split *s, size_t n, split_emit_fn emit,
		void *ctx);

/* End of input: a final message without a delimiter is still a message. */
bool split_eof(struct wsc_split *s, split_emit_fn emit, void *ctx);

#endif
