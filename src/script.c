/*
 * script.c - the conversation of -x, --send-file and -e: its steps read
 * and compiled before connecting, run on each connection that opens, each
 * awaited reply matched against what is received, and a reply not met
 * said in one line (script.h).
 */
#include "script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
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

	stop_waiting(c);
	s->unmet = true;
	if (s->rx_seen) {
		log_err("expected a message matching '%s': %s after %.1f s; "
			"the last of %lu received: %s", s->steps[s->next].arg, why,
			secs, s->rx_seen, s->last);
	} else {
		log_err("expected a message matching '%s': %s after %.1f s; "
			"none was received", s->steps[s->next].arg, why, secs);
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

		if (st->kind == WSC_STEP_EXPECT) {
			s->rx = malloc(SCRIPT_MATCH_MAX + 1);
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

	if (!s->waiting || s->rx_len >= SCRIPT_MATCH_MAX) {
		return;
	}
	if (n > SCRIPT_MATCH_MAX - s->rx_len) {
		n = SCRIPT_MATCH_MAX - s->rx_len;
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
			s->rx_len, s->rx_len == SCRIPT_MATCH_MAX ? "+" : "");
	}
}

void script_rx_end(struct wsc_client *c)
{
	struct wsc_script *s = &c->script;
	regmatch_t m = { 0 };

	if (!s->waiting) {
		return;
	}
	s->rx[s->rx_len] = '\0';
	m.rm_eo = (regoff_t)s->rx_len;
	s->rx_seen++;
	// REG_STARTEND: a NUL byte in the message does not end it
	if (regexec(&s->steps[s->next].re, (const char *)s->rx, 1, &m,
			REG_STARTEND)) {
		remember(s);
		return;
	}
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
