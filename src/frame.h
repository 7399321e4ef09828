/*
 * frame.h - the RFC 6455 frame codec, one for both halves: the client
 * (wsc URL) and the server (wsc --listen). No I/O, no allocation.
 *
 * Why: libwebsockets' WebSocket role parses client frames one byte per
 * call and cannot say what a peer did wrong; wsc runs over lws' raw
 * transport and frames its own bytes.
 *
 * The decoder is fed whatever a read returned and answers one event per
 * call: a message starts, a span of its payload (pointing into the
 * caller's buffer, unmasked there in place, never one call per byte), the
 * message ends, a Ping, Pong or Close (assembled, at most 125 bytes), or
 * an error naming the Close code to send and what the peer did. It checks
 * everything RFC 6455 asks a receiver to check, including UTF-8 across
 * fragments and in Close reasons and the size limit from frame headers.
 * The rules for a Close payload live here alone: a faulty one is an error
 * that still carries the payload as sent, for the receiver to report.
 * Payload lengths must be in their shortest form (5.2: "the minimal number
 * of bytes MUST be used"); a longer form fails with 1002, as in Chromium.
 *
 * The encoder writes whole frames into the caller's buffer, masking while
 * copying (client role, keys from mask.h) or not (server role, keys NULL);
 * frames go back to back so that one write sends many.
 *
 * Callers: the message layer (message.h: the decoder, for the client
 * connection, the --listen room and --check) and the senders filling
 * their output buffer (encoder).
 */
#ifndef WSC_FRAME_H
#define WSC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mask.h"
#include "utf8check.h"

enum wsc_frame_role {
	FRAME_ROLE_CLIENT,      // we are the client: frames in are unmasked
	FRAME_ROLE_SERVER,      // we are the server: frames in are masked
};

// opcodes (RFC 6455 5.2); the first header byte is FIN | RSV1 | opcode
#define FRAME_CONT      0x0
#define FRAME_TEXT      0x1
#define FRAME_BINARY    0x2
#define FRAME_CLOSE     0x8
#define FRAME_PING      0x9
#define FRAME_PONG      0xa
#define FRAME_FIN       0x80
#define FRAME_RSV1      0x40    // permessage-deflate: compressed message

#define FRAME_CONTROL_MAX 125   // payload of a Ping, Pong or Close
#define FRAME_HEADER_MAX  14    // 2 + 8 (length) + 4 (mask)

enum wsc_frame_ev {
	FRAME_EV_MORE,          // every byte given is used: feed more
	FRAME_EV_START,         // a data message: opcode, rsv1
	FRAME_EV_DATA,          // data/len: message payload; fin: its last
	FRAME_EV_END,           // the message is complete (and valid)
	FRAME_EV_PING,          // data/len: the payload
	FRAME_EV_PONG,          // data/len: the payload
	FRAME_EV_CLOSE,         // code (1005: none), data/len: the reason
	FRAME_EV_ERROR,         // code: the Close code to send; why; close
};

/* Fields an event does not name are left as they were. */
struct wsc_frame_event {
	enum wsc_frame_ev type;
	unsigned opcode;        // START: FRAME_TEXT or FRAME_BINARY
	bool rsv1;              // START: the message is compressed
	bool fin;               // DATA: this span ends the message
	unsigned code;          // CLOSE: received; ERROR: 1002, 1007, 1009
	const unsigned char *data;  // DATA: in the caller's buffer; control
	size_t len;             //   payloads in the decoder (valid until next call)
	const char *why;        // ERROR: e.g. "reserved opcode 0x3"
	bool close;             // ERROR: a whole Close frame whose payload
				//   is faulty: that payload in data/len
};

struct wsc_frame_decoder {
	// set by frame_decoder_init, fixed afterwards
	bool server, rsv1_ok;
	uint64_t max_size;
	// where the stream stands
	int state;
	unsigned char hdr[FRAME_HEADER_MAX];
	size_t hlen;
	uint64_t left;          // payload bytes of this frame still to come
	unsigned char key[4];
	unsigned phase;         // mask offset of the next payload byte
	bool masked, fin;
	unsigned op;            // this frame's opcode
	bool in_msg;            // a data message is open (START given)
	bool msg_text, msg_rsv1;
	uint64_t msg_size;      // payload bytes of the message so far
	struct wsc_utf8check utf8;
	unsigned char ctl[FRAME_CONTROL_MAX];
	size_t clen;
	unsigned err_code;
	char why[128];
};

/*
 * Start a decoder for one connection. role is our side; rsv1_ok when
 * permessage-deflate was negotiated (RSV1 then marks a compressed message,
 * whose text the decoder cannot check: UTF-8 is the inflater's to check);
 * max_size limits a message's payload (0: no limit), judged from headers
 * before any byte of the frame that would pass it is handed on.
 */
void frame_decoder_init(struct wsc_frame_decoder *d, enum wsc_frame_role role,
		bool rsv1_ok, uint64_t max_size);

/*
 * Decode from buf[0..len) (the payload is unmasked there, in place) and
 * report one event in *ev. Returns the bytes used; call again with the
 * rest until FRAME_EV_MORE. After FRAME_EV_ERROR the decoder is dead: it
 * reports the same error and uses nothing. After FRAME_EV_CLOSE it uses
 * and ignores all input (nothing may follow a Close).
 */
size_t frame_decode(struct wsc_frame_decoder *d, unsigned char *buf,
		size_t len, struct wsc_frame_event *ev);

/* A Close code an endpoint may send (RFC 6455 7.4, IANA registry). */
bool frame_close_code_ok(unsigned code);

/*
 * XOR n bytes of src into dst with key, starting at key byte phase % 4,
 * a word at a time. dst may equal src (in place), must not overlap else.
 */
void frame_mask(unsigned char *dst, const unsigned char *src, size_t n,
		const unsigned char key[4], unsigned phase);

/* Header bytes for a payload of len, masked or not: 2 to 14. */
static inline size_t frame_header_len(uint64_t len, bool masked)
{
	return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/*
 * Write a frame header: b0 is FRAME_FIN | FRAME_RSV1 | opcode as wanted.
 * With keys (client role) a key is drawn into key and the mask bit set;
 * without (server role) key is untouched. Returns the header length, 0
 * when no key could be drawn (getrandom failed).
 */
size_t frame_write_header(unsigned char *out, unsigned b0, uint64_t len,
		struct wsc_mask *keys, unsigned char key[4]);

/*
 * Write a whole frame, payload masked while copied when keys is given.
 * out must hold frame_header_len(len, keys) + len bytes. Returns the
 * bytes written, 0 when no key could be drawn or a control frame's
 * payload is longer than 125 bytes.
 */
size_t frame_write(unsigned char *out, unsigned b0, const void *payload,
		size_t len, struct wsc_mask *keys);

/*
 * A Close frame: no payload when code is 0, else the code and the reason
 * (cut to 123 bytes at a UTF-8 sequence boundary). out must hold
 * FRAME_HEADER_MAX + FRAME_CONTROL_MAX bytes. Returns as frame_write().
 */
size_t frame_write_close(unsigned char *out, unsigned code,
		const char *reason, size_t rlen, struct wsc_mask *keys);

#endif
