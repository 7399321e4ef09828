/*
 * output.h - received messages to stdout. On a pipe the bytes pass
 * unchanged, followed by the delimiter; on a terminal each message is one
 * "< " line with control characters and invalid UTF-8 shown escaped, and
 * binary shown as hex. Messages arrive in pieces and are written as they
 * come (streaming); writes are batched and flushed by output_flush().
 * With pretty set, a text message that is a JSON object or array is held
 * until it is complete and shown re-indented, each token as received.
 */
#ifndef WSC_OUTPUT_H
#define WSC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jsonl.h"
#include "utf8.h"

#define WSC_OUTPUT_BUF (64 * 1024)
#define WSC_OUTPUT_HEX_MAX 32   // binary bytes shown on a terminal
#define WSC_OUTPUT_ESCAPE_MAX UTF8_WALK_MAX  // largest piece output_escape() takes
#define WSC_OUTPUT_PRETTY_MAX (1024 * 1024)  // larger JSON is shown as received

struct wsc_output {
	int fd;
	bool tty;               // terminal formatting
	char delim;             // pipe mode message delimiter
	bool timestamps;
	bool color;             // colour the "< " prefix
	bool jsonl;             // -j: each message is a JSON event line
	const char *peer;       // --listen: who sent the next message ("#3")
	bool peer_named;        // peer is a chat name: "NAME: " before text
	unsigned peer_id;
	bool broken;            // the reader went away (EPIPE), or a write failed
	int err;                // and the errno that said so
	bool pretty;            // --pretty: re-indent JSON on a terminal
	int64_t t0_us;          // -j "t" counts from here (output_init(); monotonic)

	bool hold;              // collecting a text message to re-indent
	struct wsc_buf pbuf;    // the collected message
	unsigned pad;           // columns of the "< " prefix, for later lines

	bool binary;            // kind of the message being written
	unsigned long long msg_bytes;
	unsigned char pend[4];  // a UTF-8 sequence cut by a fragment boundary
	size_t npend;
	unsigned char hex[WSC_OUTPUT_HEX_MAX];
	bool in_msg;            // between output_begin() and output_end()
	unsigned char carry[2]; // -j base64 of binary in pieces
	size_t ncarry;
	char held[4096];        // -j events that came in the middle of a message
	size_t nheld;

	// where flushed bytes go instead of fd (the REPL keeps its prompt)
	void (*sink)(void *ctx, const char *buf, size_t len);
	void *sink_ctx;

	size_t len;
	char buf[WSC_OUTPUT_BUF];
};

void output_init(struct wsc_output *o, int fd, bool tty, char delim,
		bool timestamps, bool color);

/* Free what a message cut short left behind. */
void output_finish(struct wsc_output *o);

/* Switch to -j: messages become JSON events; no terminal formatting. */
void output_set_jsonl(struct wsc_output *o);

/* A message starts. */
void output_begin(struct wsc_output *o, bool binary);

/*
 * -j: a message event named event ("message" received, "sent" for
 * --record) that began at at (jsonl_now()).
 */
void output_begin_event(struct wsc_output *o, const char *event, bool binary,
		const struct jsonl_time *at);

/* A piece of the current message. */
void output_data(struct wsc_output *o, const void *data, size_t len);

/* The current message is complete. */
void output_end(struct wsc_output *o);

/* The same, with -j: fields (",\"name\":value...", JSON) added to its
 * message event. */
void output_end_fields(struct wsc_output *o, const char *fields);

/*
 * One whole JSON event line (without newline) for -j; held back while a
 * message is being written, so lines never interleave.
 */
void output_event(struct wsc_output *o, const char *json);

/* Bytes as they are (lines another output formatted), batched. */
void output_write(struct wsc_output *o, const void *data, size_t len);

/* Write out what is buffered. False when the reader has gone (EPIPE). */
bool output_flush(struct wsc_output *o);

static inline bool output_pending(const struct wsc_output *o)
{
	return o->len > 0;
}

/*
 * Terminal-safe rendering of text into out: control characters but tab as
 * \e \n \r \xNN, C1 controls as \u00NN, invalid UTF-8 bytes as \xNN.
 * len is at most WSC_OUTPUT_ESCAPE_MAX; out must hold 6 * (len + 4) bytes. pend/npend carry a UTF-8
 * sequence cut at the end of a piece; final=true flushes it as escapes.
 * Returns the number of bytes written to out. Pure.
 */
size_t output_escape(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out);

#endif
