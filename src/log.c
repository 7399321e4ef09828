/*
 * log.c - the only place that writes diagnostics to stderr. Each call is
 * one whole line, written with one write so lines never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static void emit(bool error, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void emit(bool error, const char *fmt, va_list ap)
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
	if (log_sink) {
		log_sink(log_sink_ctx, line, (size_t)n);
	} else if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		// nowhere left to report it
	}
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(true, fmt, ap);
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
	emit(false, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet) {
		return;
	}
	va_start(ap, fmt);
	emit(false, fmt, ap);
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
	if (log_sink) {
		log_sink(log_sink_ctx, line, (size_t)n);
	} else if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		// nowhere left to report it
	}
}
