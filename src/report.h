/*
 * report.h - the --check report: one line per case (text) or one JSON
 * object per case (-j), then a summary. Server bytes quoted in a report
 * go through report_quote() first, so nothing the server sent reaches a
 * terminal raw (the escaping of output.c). With colour on, the verdict
 * words of the text report are coloured: pass green, non-strict yellow,
 * fail red, info plain.
 */
#ifndef WSC_REPORT_H
#define WSC_REPORT_H

#include <stdbool.h>
#include <stddef.h>

enum check_verdict { CHECK_PASS, CHECK_NONSTRICT, CHECK_FAIL, CHECK_INFO };

struct check_report {
	bool json;
	bool color;             // colour the verdict words (text only)
	const char *group;      // the group of the last case printed
	unsigned count[4];      // per verdict
};

void report_init(struct check_report *r, bool json, bool color);

/* The first line (text only): the URL and how many cases. */
void report_begin(struct check_report *r, const char *url, size_t ncases);

/* One case; a group heading precedes the first case of each group. */
void report_case(struct check_report *r, const char *id, const char *group,
		const char *sent, const char *expected, enum check_verdict v,
		const char *observed, double ms);

/* The summary line (text) or object (-j). */
void report_end(struct check_report *r, double seconds);

const char *report_verdict_name(enum check_verdict v);

/*
 * Server bytes p[0..n) as terminal-safe text in single quotes into out
 * (size bytes, NUL-terminated): control characters and invalid UTF-8
 * escaped (\xNN, \n, ...); cut with "..." past about max bytes.
 */
void report_quote(char *out, size_t size, const void *p, size_t n,
		size_t max);

#endif
