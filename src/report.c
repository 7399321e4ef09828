/*
 * report.c - formatting the --check report (see report.h).
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "jsonl.h"
#include "output.h"

static const char *const names[] = { "pass", "non-strict", "fail", "info" };
static const char *const colors[] = { "\033[32m", "\033[33m", "\033[1;31m",
	NULL };

const char *report_verdict_name(enum check_verdict v)
{
	return names[v];
}

void report_init(struct check_report *r, bool json, bool color)
{
	memset(r, 0, sizeof(*r));
	r->json = json;
	r->color = color && !json;
}

void report_begin(struct check_report *r, const char *url, size_t ncases)
{
	char q[600];

	if (r->json) {
		return;
	}
	report_quote(q, sizeof(q), url, strlen(url), 400);
	printf("wsc --check %s: %zu cases, each on its own connection\n", q,
		ncases);
	fflush(stdout);
}

static void json_field(const char *name, const char *value, bool comma)
{
	char q[4096];

	jsonl_quote(value, strlen(value), q, sizeof(q));
	printf("%s\"%s\":%s", comma ? "," : "", name, q);
}

void report_case(struct check_report *r, const char *id, const char *group,
		const char *sent, const char *expected, enum check_verdict v,
		const char *observed, double ms)
{
	r->count[v]++;
	if (r->json) {
		printf("{");
		json_field("case", id, false);
		json_field("group", group, true);
		json_field("sent", sent, true);
		json_field("result", names[v], true);
		json_field("expected", expected, true);
		json_field("observed", observed, true);
		printf(",\"ms\":%.1f}\n", ms);
	} else {
		if (!r->group || strcmp(r->group, group)) {
			printf("%s\n", group);
		}
		bool c = r->color && colors[v];

		/* the padding outside the colour, so that columns line up */
		printf("  %-6s %s%s%s%*s %s; expected %s; observed %s\n", id,
			c ? colors[v] : "", names[v], c ? "\033[0m" : "",
			10 - (int)strlen(names[v]), "", sent, expected, observed);
	}
	r->group = group;
	fflush(stdout);
}

void report_end(struct check_report *r, double seconds)
{
	unsigned total = r->count[0] + r->count[1] + r->count[2] + r->count[3];

	if (r->json) {
		printf("{\"summary\":{\"cases\":%u,\"pass\":%u,\"non-strict\":%u,"
			"\"fail\":%u,\"info\":%u},\"seconds\":%.2f}\n", total,
			r->count[CHECK_PASS], r->count[CHECK_NONSTRICT],
			r->count[CHECK_FAIL], r->count[CHECK_INFO], seconds);
	} else {
		printf("summary: %u pass, %u non-strict, %u fail, %u info "
			"(%u cases in %.1f s)\n", r->count[CHECK_PASS],
			r->count[CHECK_NONSTRICT], r->count[CHECK_FAIL],
			r->count[CHECK_INFO], total, seconds);
	}
	fflush(stdout);
}

void report_quote(char *out, size_t size, const void *p, size_t n,
		size_t max)
{
	const unsigned char *s = p;
	unsigned char pend[4];
	size_t npend = 0, o = 0;
	bool cut = n > max;
	char esc[6 * (64 + 4)];

	if (size < 16) {
		if (size) {
			out[0] = '\0';
		}
		return;
	}
	if (cut) {
		n = max;
	}
	out[o++] = '\'';
	while (n || npend) {
		size_t k = n > 64 ? 64 : n;
		size_t e = output_escape(s, k, k == n, pend, &npend, esc);

		if (o + e + 6 > size) {
			cut = true;
			break;
		}
		memcpy(out + o, esc, e);
		o += e;
		s += k;
		n -= k;
		if (!n) {
			break;
		}
	}
	out[o++] = '\'';
	if (cut && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
