/*
 * optionvalue.c - one option's argument made into its value: numbers,
 * seconds, the --listen address, --auth, --proxy, the repeatable lists;
 * a bad one becomes the one usage line (exit 2).
 */
#include "optionvalue.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// One usage error line; fmt takes up to two strings.
bool options_usage(const char *fmt, const char *a, const char *b)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "wsc: ");

	// a format with fewer conversions simply ignores the extra arguments
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(line + n, sizeof(line) - (size_t)n, fmt, a, b);
#pragma GCC diagnostic pop
	fprintf(stderr, "%s\n", line);
	return false;
}

bool options_parse_uint(const char *s, unsigned long long min,
		unsigned long long max, unsigned long long *out, const char **why)
{
	char *end;
	unsigned long long v;

	// strtoull() would skip spaces and accept a sign: digits only
	if (!isdigit((unsigned char)*s)) {
		*why = "not a number";
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		*why = "not a number";
		return false;
	}
	if (errno == ERANGE || v < min || v > max) {
		*why = "out of range";
		return false;
	}
	*out = v;
	return true;
}

bool options_parse_secs(const char *s, bool allow_inf, long *ms,
		const char **why)
{
	char *end;
	double v;

	if (allow_inf && (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
		*ms = -1;
		return true;
	}
	// strtod() would skip spaces and accept a sign, hex and "nan"
	if ((!isdigit((unsigned char)*s) && !(*s == '.' &&
			isdigit((unsigned char)s[1]))) ||
			s[strspn(s, "0123456789.eE+-")] != '\0') {
		*why = "not a number of seconds";
		return false;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v)) {
		*why = "not a number of seconds";
		return false;
	}
	if (v > 86400.0 * 365) {
		*why = "out of range";
		return false;
	}
	*ms = (long)(v * 1000.0 + 0.5);
	return true;
}

bool options_parse_listen(const char *arg, char *host, size_t size, int *port)
{
	const char *colon = strrchr(arg, ':');
	unsigned long long v;
	const char *why, *ps = colon ? colon + 1 : arg;

	if (colon) {
		size_t hl = (size_t)(colon - arg);

		if (hl && arg[0] == '[' && arg[hl - 1] == ']') {
			arg++;
			hl -= 2;
		} else if (memchr(arg, ':', hl)) {
			return false;   // an IPv6 address only in brackets
		}
		if (!hl || hl >= size) {
			return false;
		}
		memcpy(host, arg, hl);
		host[hl] = '\0';
	} else {
		snprintf(host, size, "127.0.0.1");
	}
	if (!options_parse_uint(ps, 0, 65535, &v, &why)) {
		return false;
	}
	*port = (int)v;
	return true;
}

bool options_set_secs(const char *opt, const char *arg, bool allow_inf,
		bool allow_zero, long *ms)
{
	const char *why;

	if (!options_parse_secs(arg, allow_inf, ms, &why)) {
		return options_usage("%s: %s", opt, why);
	}
	if (!allow_zero && *ms == 0) {
		return options_usage("%s: must be more than 0: '%s'", opt, arg);
	}
	return true;
}

bool options_set_uint(const char *opt, const char *arg, unsigned long long min,
		unsigned long long max, unsigned long long *out)
{
	const char *why;

	if (!options_parse_uint(arg, min, max, out, &why)) {
		char what[160];

		snprintf(what, sizeof(what), "%s: '%s'", why, arg);
		return options_usage("%s: %s", opt, what);
	}
	return true;
}

bool options_add_list(const char **list, size_t *n, const char *opt,
		const char *arg)
{
	if (*n >= WSC_MAX_LIST) {
		return options_usage("%s: given too many times", opt, NULL);
	}
	list[(*n)++] = arg;
	return true;
}

bool options_set_auth(struct wsc_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');

	free(o->auth_user);
	free(o->auth_pass);
	o->auth_pass = NULL;
	if (colon) {
		o->auth_user = strndup(arg, (size_t)(colon - arg));
		o->auth_pass = strdup(colon + 1);
	} else {
		o->auth_user = strdup(arg);
	}
	if (!o->auth_user || !*o->auth_user) {
		return options_usage("--auth: empty user name", NULL, NULL);
	}
	if (strpbrk(arg, "\r\n")) {
		return options_usage("--auth: contains CR or LF", NULL, NULL);
	}
	return true;
}

bool options_set_proxy(struct wsc_opts *o, const char *arg)
{
	const char *p = arg;

	if (!strncasecmp(p, "http://", 7)) {
		p += 7;
	} else if (strstr(p, "://")) {
		return options_usage("--proxy: only http:// (CONNECT) proxies are "
			"supported: '%s'", arg, NULL);
	}
	if (!*p || *p == ':' || *p == '/' || strpbrk(p, " \r\n")) {
		return options_usage("--proxy: expected http://HOST:PORT: '%s'",
			arg, NULL);
	}
	o->proxy = p;
	return true;
}

bool options_set_listen(struct wsc_opts *o, const char *arg)
{
	if (!options_parse_listen(arg, o->listen_host, sizeof(o->listen_host),
			&o->listen_port)) {
		return options_usage("--listen: expected [HOST:]PORT (an IPv6 "
			"address in brackets): '%s'", arg, NULL);
	}
	o->listen = arg;
	return true;
}
