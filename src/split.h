/*
 * split.h - cut an input byte stream into messages at a delimiter
 * ('\n' or '\0'). Reads land in place in the splitter's buffer (room
 * for a few pieces, so reads are large); a message longer than cap bytes
 * is handed out in pieces of cap - 1 (sent as fragments), so memory stays
 * flat whatever the line length and a final piece is never empty.
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
	size_t off;             // buf[off, len) is not handed out yet
	size_t len;             // end of the bytes read into buf
	size_t scan;            // buf[off, scan) holds no delimiter
	size_t cap;             // a message longer than this goes in pieces
	size_t size;            // of buf
	char *buf;
};

/* False on allocation failure. */
bool split_init(struct wsc_split *s, char delim, size_t cap);
void split_finish(struct wsc_split *s);

/* Where the next read should go, and how much room it has (never 0). */
char *split_space(struct wsc_split *s, size_t *room);

/*
 * n bytes were read into split_space(): emit every complete message, and
 * pieces of the current one while more than cap bytes of it are here. Returns false as soon
 * as emit does (the rest stays queued in the splitter and is lost).
 */
bool split_commit(struct wsc_split *s, size_t n, split_emit_fn emit,
		void *ctx);

/* End of input: a final message without a delimiter is still a message. */
bool split_eof(struct wsc_split *s, split_emit_fn emit, void *ctx);

#endif
