/*
 * log.c - the only place that writes diagnostics to stderr. Each call is
 * one whole line, written with one write so lines never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool log_quiet;  // file-static: set once from -q

void log_init(bool quiet)
{
	log_quiet = quiet;
}

static void emit(const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "wsc: ");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
	}
	// one line, whatever the arguments held
	for (int i = 5; i < n; i++) {
		if (line[i] == '\n' || line[i] == '\r') {
			line[i] = ' ';
		}
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		// nowhere left to report it
	}
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet) {
		return;
	}
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}
