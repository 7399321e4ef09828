/*
 * jsonl.h - -j: JSON text for events, one object per line. Pure: formats
 * into caller buffers. Text is escaped as JSON strings (invalid UTF-8
 * bytes become U+FFFD); binary data is base64, streamable in pieces.
 */
#ifndef WSC_JSONL_H
#define WSC_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define JSONL_ESCAPE_MAX UTF8_WALK_MAX   // largest piece jsonl_escape() takes

/*
 * Escape len (at most JSONL_ESCAPE_MAX) bytes of text as the inside of a
 * JSON string into out, which must hold 6 * (len + 4) bytes. pend/npend carry a UTF-8 sequence cut at
 * the end of a piece; final=true ends it. Returns bytes written.
 */
size_t jsonl_escape(const unsigned char *in, size_t len, bool final,
		unsigned char pend[4], size_t *npend, char *out);

/*
 * Base64 of a stream in pieces: carry holds up to 2 bytes between pieces.
 * out must hold 4 * (len + 2) / 3 + 4 bytes; final=true pads the end.
 */
size_t jsonl_base64(const unsigned char *in, size_t len, bool final,
		unsigned char carry[2], size_t *ncarry, char *out);

/*
 * s[0..len) as a quoted JSON string into out (size bytes, NUL-terminated);
 * cut (still valid JSON) when out is too small. Returns the length.
 */
size_t jsonl_quote(const char *s, size_t len, char *out, size_t size);

/*
 * A moment on two clocks: the wall clock for "ts", the monotonic one for
 * "t" (an offset the wall clock's steps must not bend: --replay paces by
 * it, on the loop's monotonic timers).
 */
struct jsonl_time {
	int64_t wall_us;
	int64_t mono_us;
};

/* Now, on both clocks. */
struct jsonl_time jsonl_now(void);

/*
 * "ts":1234567890.123,"t":1.234567 into out (at least 64 bytes): the wall
 * clock at at, and the seconds from t0_mono_us (monotonic) to it.
 */
void jsonl_timestamp(char *out, size_t size, const struct jsonl_time *at,
		int64_t t0_mono_us);

#endif
