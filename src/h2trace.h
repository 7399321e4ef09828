/*
 * h2trace.h - an HTTP/2 SETTINGS frame in words for the trace (trace.h):
 * one line, "SETTINGS NAME=value ..." (an unknown setting by its number),
 * on the side that sent it, which -D shows as "> " or "< ".
 *
 * Why: nghttp2 gives the settings as numbers; -D names them, and the
 * names are RFC 9113 6.5.2's and RFC 8441 3's.
 *
 * Built only with nghttp2, as h2.c which uses it.
 */
#ifndef WSC_H2TRACE_H
#define WSC_H2TRACE_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stddef.h>

#include "trace.h"

/* Add iv[0..n) to t's request (ours) or response as one line; t may be
 * NULL (nothing is recorded). */
void h2trace_settings(struct wsc_trace *t, bool ours,
		const nghttp2_settings_entry *iv, size_t n);

#endif
