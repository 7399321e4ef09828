/*
 * check.h - wsc --check URL: a battery of RFC 6455 (and, with --deflate,
 * RFC 7692) cases against a server that echoes every message, each case
 * on its own connection (rawconn.h), judged pass, non-strict, fail or
 * info, reported by report.h. Exit status 0 when no case failed, else 1.
 */
#ifndef WSC_CHECK_H
#define WSC_CHECK_H

#include "options.h"

int check_run(const struct wsc_opts *opts);

#endif
