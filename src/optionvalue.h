/*
 * optionvalue.h - one option's argument made into its value. The parsers
 * are pure (false with a reason); the setters store the value in struct
 * wsc_opts or print the one usage line and return false.
 */
#ifndef WSC_OPTIONVALUE_H
#define WSC_OPTIONVALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/*
 * Print "wsc: " and fmt, which takes up to two strings, as one line to
 * stderr. Returns false, for the callers' return.
 */
bool options_usage(const char *fmt, const char *a, const char *b)
	__attribute__((format(printf, 1, 0)));

/*
 * Parse a number of seconds ("1.5", "10"; "inf" when allow_inf) into
 * milliseconds (-1 for inf). Pure; false with *why on error.
 */
bool options_parse_secs(const char *s, bool allow_inf, long *ms,
		const char **why);

/* Parse an unsigned integer in [min, max]. Pure; false with *why on error. */
bool options_parse_uint(const char *s, unsigned long long min,
		unsigned long long max, unsigned long long *out, const char **why);

/*
 * Parse --listen's [HOST:]PORT: HOST (an IPv6 address in brackets, which
 * are dropped; 127.0.0.1 when there is none) into host, of size bytes,
 * and PORT (0 to 65535) into *port. Pure; false when malformed.
 */
bool options_parse_listen(const char *arg, char *host, size_t size,
		int *port);

/* The setters: opt is the option's name as the usage line shows it. */
bool options_set_secs(const char *opt, const char *arg, bool allow_inf,
		bool allow_zero, long *ms);
bool options_set_uint(const char *opt, const char *arg,
		unsigned long long min, unsigned long long max,
		unsigned long long *out);
bool options_add_list(const char **list, size_t *n, const char *opt,
		const char *arg);
bool options_set_auth(struct wsc_opts *o, const char *arg);
bool options_set_proxy(struct wsc_opts *o, const char *arg);

/* -l: o->listen is arg, o->listen_host and o->listen_port its parts. */
bool options_set_listen(struct wsc_opts *o, const char *arg);

#endif
