/*
 * record.h - --record FILE: the session's events, both directions, as
 * JSON lines in the -j schema, written to FILE. The recording is a second
 * sink of the same formatters (events.c for events, output.c for message
 * events): it adds no format of its own. A message received and one sent
 * may be under way at once; each is written whole on its own line (what
 * the direction that did not start first formats waits in memory until
 * the other's message ends).
 *
 * A write that fails (disk full) is said once, "--record: FILE: why";
 * the session goes on, and record_close() reports the failure so the exit
 * status can say it (1).
 */
#ifndef WSC_RECORD_H
#define WSC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"

struct wsc_record;

/* Create FILE (truncating it); "t" counts from t0_us (monotonic, as the
 * output's).
 * NULL after one line saying why. */
struct wsc_record *record_open(const char *path, int64_t t0_us);

/* One whole event line (no newline), from events.c. r may be NULL. */
void record_event(struct wsc_record *r, const char *json);

/* A message event in pieces: sent (a "sent" event) or received (a
 * "message" event) that began at at (jsonl_now()). r may be NULL. */
void record_begin(struct wsc_record *r, bool sent, bool binary,
		const struct jsonl_time *at);
void record_data(struct wsc_record *r, bool sent, const void *p, size_t n);
void record_end(struct wsc_record *r, bool sent);

/* Write out what is buffered (before the loop sleeps). */
void record_flush(struct wsc_record *r);

/* Flush, close and free; false when a write failed at any time. */
bool record_close(struct wsc_record *r);

#endif
