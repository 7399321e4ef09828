/*
 * log.h - diagnostics: one line on stderr, "wsc: ...". Errors always
 * print; notes (joins, choices, -S lines) are silenced by -q.
 */
#ifndef WSC_LOG_H
#define WSC_LOG_H

#include <stdbool.h>
#include <stddef.h>

void log_init(bool quiet, bool color);

/*
 * Send whole lines (with their newline) to fn instead of stderr; NULL
 * restores stderr. The REPL uses it to print above its prompt.
 */
void log_set_sink(void (*fn)(void *ctx, const char *line, size_t len),
		void *ctx);

/* An error: always printed. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Asked-for output (-S lines, /state, /help): always printed, not an error. */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Information: printed unless -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Lines said per message: as log_note() and log_info(), but with a buffer
 * set by log_hold() the line waits there until log_release() (the caller
 * releases them with the stdout batch they follow) or until any other
 * line, which writes them first. Bounded: past 64 KiB they are written.
 */
void log_note_held(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info_held(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where held lines wait (the caller's; NULL: nowhere, they are written at
 * once). What waits in the old one is written first. */
struct wsc_buf;
void log_hold(struct wsc_buf *b);

/* Write the held lines. */
void log_release(void);

/* Also tell fn of every error line (its text after "wsc: "), for -j. */
void log_set_error_hook(void (*fn)(void *ctx, const char *msg), void *ctx);

/* Keep the text (after "wsc: ") of the last error line in buf, size
 * bytes (--stats says it); NULL or 0 stops. */
void log_keep_last_error(char *buf, size_t size);

/* A line printed as is (dumps): no prefix, always printed. */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
