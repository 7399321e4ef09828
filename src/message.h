/*
 * message.h - the message layer over the frame codec (frame.h): what the
 * client connection, the --listen room and --check receive, folded once.
 * No I/O; allocation only for the inflater and the hold buffer.
 *
 * Why: the fold from frames to messages (a message starts, its payload,
 * inflated when compressed and checked for UTF-8 after inflating, bounded
 * by the size limit, ends) is the same for every receiver; written once,
 * the receivers cannot disagree on what they accept.
 *
 * The reader owns its state: the frame decoder, the inflater (made at the
 * first compressed message, made anew after each one when the peer resets
 * its context: *_no_context_takeover), the UTF-8 check of inflated text
 * and, when asked for, the hold buffer. It is fed whatever a read returned
 * and calls back with one event at a time:
 * - START: a data message begins (binary or text, compressed or not);
 * - DATA: a span of its payload as sent or inflated, never empty;
 * - END: it is complete and valid;
 * - PING, PONG: the payload (at most 125 bytes);
 * - CLOSE: the peer's Close and its verdict: the code (1005: none) and
 *   reason, and when the payload breaks RFC 6455 (a 1-byte payload, a code
 *   an endpoint may not send, a reason that is not UTF-8) the fault: the
 *   code to answer with (1002, 1007) and why. The rules are frame.c's;
 * - ERROR: the peer broke RFC 6455 or RFC 7692, or a message passes the
 *   limit: the Close code to send (1002, 1007, 1009, 1011) and why.
 * After CLOSE or ERROR, or when the callback says stop, nothing more is
 * read.
 *
 * The size limit is judged on the payload the user sees: as sent for a
 * plain message, inflated for a compressed one. The frame decoder judges
 * it early from frame headers, with a slack when permessage-deflate is
 * agreed (a compressed payload may be a little longer than its message),
 * set here alone; the rest is judged here as the payload comes. Plain text found invalid within one read is not
 * handed on at all: a span is given when the event after it is known.
 *
 * With hold, a message is kept (within the limit) and given at its end as
 * START, one DATA (when not empty) and END, so a message that turns out
 * invalid or too big gives nothing.
 */
#ifndef WSC_MESSAGE_H
#define WSC_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "deflate.h"
#include "frame.h"
#include "utf8check.h"

enum msg_ev {
	MSG_EV_START,           // binary, compressed
	MSG_EV_DATA,            // data/len
	MSG_EV_END,             // binary, compressed
	MSG_EV_PING,            // data/len
	MSG_EV_PONG,            // data/len
	MSG_EV_CLOSE,           // code, reason/rlen, fault/why
	MSG_EV_ERROR,           // code, why, compressed
};

struct msg_event {
	enum msg_ev type;
	bool binary;            // START, END: a binary message (else text)
	bool compressed;        // START, END: RSV1; ERROR: inflating failed
	const unsigned char *data;  // DATA, PING, PONG: the payload
	size_t len;             //   (valid during the callback)
	unsigned code;          // CLOSE: received (1005: none); ERROR: to send
	const char *reason;     // CLOSE: the reason (not NUL-terminated)
	size_t rlen;
	unsigned fault;         // CLOSE: 0 when well formed, else 1002, 1007
	const char *why;        // CLOSE with a fault, ERROR: what was wrong
};

/* Told each event; false stops the read (the rest of the bytes is
 * dropped and reading is over). The reader is touched after fn returns:
 * fn must not free it. */
typedef bool (*msg_fn)(void *arg, const struct msg_event *ev);

struct msg_params {
	enum wsc_frame_role role;       // our side: masking expected or not
	const struct deflate_params *pmd;   // agreed, NULL: none
	uint64_t max_size;      // largest message (0: any)
	bool hold;              // give each message whole at its end
};

struct msg_reader {
	struct wsc_frame_decoder dec;
	enum wsc_frame_role role;
	bool pmd, reset;        // permessage-deflate; the peer resets
	struct deflate_params pmdp;
	uint64_t max_size;
	bool hold;
	bool over;              // a CLOSE or ERROR given, or fn said stop
	// the message being received
	bool binary, compressed;
	uint64_t size;          // payload bytes (inflated) so far
	struct deflate_rx *inf;
	struct wsc_utf8check u8;    // inflated text
	struct wsc_buf held;
	// during msg_read()
	msg_fn fn;
	void *arg;
	bool stopped, bad_utf8;
	char why[200];
};

void msg_init(struct msg_reader *m, const struct msg_params *p);

/* Free the inflater and the hold buffer. */
void msg_finish(struct msg_reader *m);

/*
 * Read buf[0..len) (unmasked there in place), calling fn for each event.
 * Returns false when reading is over: fn returned false, or a CLOSE or
 * ERROR was given (then later calls read nothing).
 */
bool msg_read(struct msg_reader *m, unsigned char *buf, size_t len,
		msg_fn fn, void *arg);

#endif
