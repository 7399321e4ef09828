/*
 * script.c - the conversation of -x, --send-file, -e and --expect-json:
 * its steps read and compiled before connecting, run on each connection
 * that opens, each awaited reply matched against what is received, and a
 * reply not met said in one line (script.h).
 */
#include "script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jsonfmt.h"
#include "log.h"
#include "utf8.h"

#define FILE_MAX (1ULL << 30)   // --send-file: one message, held in memory

// A whole file into memory; false after saying why.
static bool read_file(struct script_step *st)
{
	struct wsc_buf b = { 0 };
	int err = buf_load(&b, st->arg, FILE_MAX);

	if (err) {
		log_err("--send-file: %s: %s", st->arg, err == EFBIG ?
			"larger than 1 GiB" : strerror(err));
		buf_free(&b);
		return false;
	}
	st->data = b.p;
	st->len = b.len;
	return true;
}

// --expect-json PATH=VALUE: the first '=' not escaped ends PATH.
static bool prepare_json(struct script_step *st)
{
	const char *eq = st->arg, *why;

	while (*eq && *eq != '=') {
		eq += eq[0] == '\\' && eq[1] ? 2 : 1;
	}
	if (!*eq) {
		log_err("--expect-json: expected PATH=VALUE, got '%s'", st->arg);
		return false;
	}
	st->path = malloc(sizeof(*st->path));
	if (!st->path) {
		log_err("out of memory");
		return false;
	}
	if (!jsonpath_parse(st->path, st->arg, (size_t)(eq - st->arg), &why)) {
		log_err("--expect-json: bad path in '%s': %s", st->arg, why);
		return false;
	}
	st->value = eq + 1;
	st->value_len = strlen(st->value);
	st->value_json = jsonfmt_valid_value(st->value, st->value_len);
	return true;
}

static bool prepare(struct script_step *st, bool binary)
{
	int err;

	switch (st->kind) {
	case WSC_STEP_FILE:
		if (!read_file(st)) {
			return false;
		}
		if (!binary && !utf8_valid(st->data, st->len)) {
			log_err("--send-file: %s is not UTF-8 text; use -b to send "
				"it as a binary message", st->arg);
			return false;
		}
		return true;
	case WSC_STEP_EXPECT:
		err = regcomp(&st->re, st->arg, REG_EXTENDED | REG_NOSUB);
		if (err) {
			char why[160];

			regerror(err, &st->re, why, sizeof(why));
			log_err("--expect: bad pattern '%s': %s", st->arg, why);
			return false;
		}
		st->compiled = true;
		return true;
	case WSC_STEP_EXPECT_JSON:
		return prepare_json(st);
	default:
		st->data = (unsigned char *)st->arg;
		st->len = strlen(st->arg);
		return true;
	}
}

bool script_init(struct wsc_script *s, const struct wsc_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->binary = opts->binary;
	s->timeout_ms = opts->expect_timeout_ms;
	for (size_t i = 0; i < opts->n_steps; i++) {
		s->steps[i].kind = opts->steps[i].kind;
		s->steps[i].arg = opts->steps[i].arg;
		s->n = i + 1;
		if (!prepare(&s->steps[i], opts->binary)) {
			return false;
		}
	}
	return true;
}

void script_finish(struct wsc_script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->steps[i].kind == WSC_STEP_FILE) {
			free(s->steps[i].data);
		}
		if (s->steps[i].compiled) {
			regfree(&s->steps[i].re);
		}
		free(s->steps[i].path);
	}
	free(s->rx);
	s->rx = NULL;
	s->n = 0;
}

// Done waiting: the copy of what is received is not needed any more.
static void stop_waiting(struct wsc_client *c)
{
	struct wsc_script *s = &c->script;

	s->waiting = false;
	lws_sul_cancel(&s->sul);
	free(s->rx);
	s->rx = NULL;
}

// The awaited reply was not met (why: how the wait ended): one line.
static void unmet(struct wsc_client *c, const char *why)
{
	struct wsc_script *s = &c->script;
	double secs = (double)(lws_now_usecs() - s->since_us) / 1e6;

	const char *what = s->steps[s->next].kind == WSC_STEP_EXPECT ?
		"a message matching" : "a JSON message with";

	stop_waiting(c);
	s->unmet = true;
	if (s->rx_seen) {
		log_err("expected %s '%s': %s after %.1f s; the last of %lu "
			"received: %s", what, s->steps[s->next].arg, why, secs,
			s->rx_seen, s->last);
	} else {
		log_err("expected %s '%s': %s after %.1f s; none was received",
			what, s->steps[s->next].arg, why, secs);
	}
}

static void timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		script.sul);

	unmet(c, "timed out (--expect-timeout)");
	closing_start(c, 1000, "");
}

// Send until a reply is to be awaited; at the end, input is over.
static void run(struct wsc_client *c)
{
	struct wsc_script *s = &c->script;

	for (; s->next < s->n; s->next++) {
		const struct script_step *st = &s->steps[s->next];

		if (st->kind == WSC_STEP_EXPECT ||
				st->kind == WSC_STEP_EXPECT_JSON) {
			s->rx_max = st->kind == WSC_STEP_EXPECT ? SCRIPT_MATCH_MAX :
				SCRIPT_JSON_MAX;
			s->rx = malloc(s->rx_max + 2);
			if (!s->rx) {
				log_err("out of memory");
				c->st.failed = true;
				closing_start(c, 1011, "");
				return;
			}
			s->waiting = true;
			s->since_us = lws_now_usecs();
			s->rx_len = 0;
			s->rx_seen = 0;
			client_schedule(c, &s->sul, timeout_cb, s->timeout_ms);
			return;
		}
		client_send(c, s->binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT,
			st->data, st->len);
	}
	// the script is the input (input.c): it is over now
	c->w->input_done = true;
	closing_maybe_finish(c);
}

void script_opened(struct wsc_client *c)
{
	if (!c->script.n) {
		return;     // no script: input is stdin or the prompt
	}
	c->script.next = 0;
	run(c);
}

void script_rx_begin(struct wsc_client *c)
{
	c->script.rx_len = 0;
}

void script_rx_data(struct wsc_client *c, const void *p, size_t n)
{
	struct wsc_script *s = &c->script;

	if (!s->waiting || s->rx_len > s->rx_max) {
		return;
	}
	if (n > s->rx_max + 1 - s->rx_len) {
		n = s->rx_max + 1 - s->rx_len;     // one more: too long to be JSON
	}
	memcpy(s->rx + s->rx_len, p, n);
	s->rx_len += n;
}

// The message, shown on one line: its start, control bytes as '?'.
static void remember(struct wsc_script *s)
{
	size_t n = s->rx_len < SCRIPT_SHOW_MAX ? s->rx_len : SCRIPT_SHOW_MAX;
	size_t o = 0;

	// do not cut a UTF-8 sequence in two
	while (n < s->rx_len && n > 0 && (s->rx[n] & 0xc0) == 0x80) {
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char b = s->rx[i];

		s->last[o++] = b < 0x20 || b == 0x7f ? '?' : (char)b;
	}
	s->last[o] = '\0';
	if (n < s->rx_len) {
		snprintf(s->last + o, sizeof(s->last) - o, "... (%zu%s bytes)",
			s->rx_len, s->rx_len == s->rx_max ? "+" : "");
	}
}

// Whether the message received (whole: at most rx_max bytes) is the step's.
static bool matches(struct wsc_script *s, const struct script_step *st)
{
	const char *m = (const char *)s->rx;
	regmatch_t rm = { 0 };
	size_t at, len;

	if (st->kind == WSC_STEP_EXPECT) {
		size_t n = s->rx_len > s->rx_max ? s->rx_max : s->rx_len;

		s->rx[n] = '\0';
		rm.rm_eo = (regoff_t)n;
		// REG_STARTEND: a NUL byte in the message does not end it
		return !regexec(&st->re, m, 1, &rm, REG_STARTEND);
	}
	if (s->rx_len > s->rx_max ||
			!jsonpath_find(m, s->rx_len, st->path, &at, &len)) {
		return false;
	}
	return st->value_json ? jsonpath_equal(m + at, len, st->value,
		st->value_len) : jsonpath_is_string(m + at, len, st->value,
		st->value_len);
}

void script_rx_end(struct wsc_client *c)
{
	struct wsc_script *s = &c->script;

	if (!s->waiting) {
		return;
	}
	s->rx_seen++;
	if (!matches(s, &s->steps[s->next])) {
		if (s->rx_len > s->rx_max) {
			s->rx_len = s->rx_max;
		}
		remember(s);
		return;
	}
	stats_sample(&c->stats.expect, lws_now_usecs() - s->since_us);
	stop_waiting(c);
	s->next++;
	run(c);
}

void script_conn_over(struct wsc_client *c)
{
	if (!c->script.waiting) {
		return;
	}
	if (c->signals) {
		stop_waiting(c);    // interrupted: not a reply that failed to come
		return;
	}
	unmet(c, "the connection closed");
}
