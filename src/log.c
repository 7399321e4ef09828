/*
 * log.c - the only place that writes diagnostics to stderr. Each call is
 * one whole line, written with one write so lines never interleave; the
 * lines said per message (--rpc's round trips) may instead wait in a
 * buffer and go out together with the batch of stdout they follow, and
 * any other line writes them first, so stderr keeps its order.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "buf.h"

#define LOG_HELD_MAX (64 * 1024)    // held lines written before growing past

// File-static: logging is called from everywhere, including lws's
// callbacks, and these are set once at start.
static bool log_quiet;
static bool log_color;
static void (*log_sink)(void *ctx, const char *line, size_t len);
static void *log_sink_ctx;
static void (*log_error_hook)(void *ctx, const char *msg);
static void *log_error_ctx;
static char *log_last;          // the last error line is kept here
static size_t log_last_size;
static struct wsc_buf *log_held;    // the caller's: lines held (log_hold())

void log_init(bool quiet, bool color)
{
	log_quiet = quiet;
	log_color = color;
}

void log_set_error_hook(void (*fn)(void *ctx, const char *msg), void *ctx)
{
	log_error_hook = fn;
	log_error_ctx = ctx;
}

void log_keep_last_error(char *buf, size_t size)
{
	log_last = size ? buf : NULL;
	log_last_size = size;
	if (log_last) {
		*log_last = '\0';
	}
}

void log_set_sink(void (*fn)(void *ctx, const char *line, size_t len),
		void *ctx)
{
	log_sink = fn;
	log_sink_ctx = ctx;
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return;     // nowhere left to report it
		}
		p += w;
		n -= (size_t)w;
	}
}

void log_release(void)
{
	if (log_held && log_held->len) {
		write_all((const char *)log_held->p, log_held->len);
		buf_clear(log_held);
	}
}

void log_hold(struct wsc_buf *b)
{
	log_release();
	log_held = b;
}

// One whole line: to the sink, held, or written after what is held.
static void put_line(const char *line, size_t n, bool hold)
{
	if (log_sink) {
		log_sink(log_sink_ctx, line, n);
		return;
	}
	if (hold && log_held) {
		if (log_held->len + n > LOG_HELD_MAX) {
			log_release();
		}
		if (buf_append(log_held, line, n, 0)) {
			return;
		}
	}
	log_release();
	write_all(line, n);
}

static void emit(bool error, bool hold, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void emit(bool error, bool hold, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "%swsc:%s ",
		!log_color ? "" : error ? "\033[1;31m" : "\033[2m",
		log_color && error ? "\033[0m" : "");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
	}
	if (log_color && !error && n < (int)sizeof(line) - 6) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "\033[0m");
	}
	// one line, whatever the arguments held
	for (int i = 5; i < n; i++) {
		if (line[i] == '\n' || line[i] == '\r') {
			line[i] = ' ';
		}
	}
	line[n++] = '\n';
	put_line(line, (size_t)n, hold);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(true, false, fmt, ap);
	va_end(ap);
	if (log_last) {
		va_start(ap, fmt);
		vsnprintf(log_last, log_last_size, fmt, ap);
		va_end(ap);
	}
	if (log_error_hook) {
		char msg[2048];
		void (*hook)(void *, const char *) = log_error_hook;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_error_hook = NULL;  // an error while reporting one stops here
		hook(log_error_ctx, msg);
		log_error_hook = hook;
	}
}

void log_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(false, false, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet) {
		return;
	}
	va_start(ap, fmt);
	emit(false, false, fmt, ap);
	va_end(ap);
}

void log_note_held(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(false, true, fmt, ap);
	va_end(ap);
}

void log_info_held(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet) {
		return;
	}
	va_start(ap, fmt);
	emit(false, true, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	put_line(line, (size_t)n, false);
}
