/*
 * check.c - wsc --check URL (check.h): the battery (checkcases.c) run
 * case by case (checkrun.h) against the server, reported (report.h).
 *
 * Cases after two connections that could not be made in a row are not
 * run (the server went away); when the first case's connection cannot be
 * made or is refused, no case is reported, only the client's line for
 * that failure (diagnose.h). The connection is set up as the client's:
 * the same URL, Host, Origin and Authorization (clientreq.h), TLS and
 * proxy (target.h). With --http2 each case's connection is an HTTP/2
 * connection and its WebSocket the extended CONNECT's stream (RFC 8441);
 * the cases of the HTTP/1.1 Upgrade are left out, those of RFC 8441 run.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "checkrun.h"
#include "diagnose.h"
#include "log.h"
#include "rawconn.h"
#include "state.h"
#include "target.h"
#include "tls.h"
#include "trace.h"

/* Whether the case runs with these options. */
static bool wanted(const struct wsc_opts *opts, const struct ccase *cs)
{
	return (cs->offer == OFFER_NONE || opts->deflate) &&
		cs->transport != (opts->http2 ? TRANSPORT_H1 : TRANSPORT_H2);
}

/* How many cases from the i-th on run (only those needing an echo: echo). */
static size_t count_wanted(const struct wsc_opts *opts, size_t i, bool echo)
{
	size_t n = 0;

	for (; i < check_ncases; i++) {
		n += wanted(opts, &check_cases[i]) &&
			(!echo || check_cases[i].kind->echo);
	}
	return n;
}

/*
 * The first case that needs an echo heard no message back in
 * CHECK_CASE_LIMIT_MS: the server does not echo (a chat room, a script
 * that never answers). The other cases that need one are not run, rather
 * than each waiting out the same silence; say so once. (A later case
 * that is not echoed is that case's failure: the server did echo.)
 */
static void echo_heard(struct checker *k, size_t i, const struct run *r)
{
	const struct ccase *cs = &check_cases[i];

	if (k->echo_tried || !cs->kind->echo) {
		return;
	}
	k->echo_tried = true;
	if (!r->silence || r->messages) {
		return;
	}
	k->no_echo = true;
	log_err("the server does not echo: no message came back in case %s "
		"in %d s; the %zu other cases that need an echo are not run",
		cs->id, CHECK_CASE_LIMIT_MS / 1000,
		count_wanted(k->opts, i + 1, true));
}

/*
 * The first case could not connect, resolve or have its handshake
 * accepted: say why in the client's words, as its one line. No case is
 * run or listed, since none would tell more than that line.
 */
static bool first_case_refused(struct checker *k, const struct run *r)
{
	int status = trace_status(k->trace);    // the proxy's, if it refused
	char cause[8192];

	if (r->opened && (!status || status == trace_open_status(k->trace))) {
		return false;
	}
	diagnose_cause(k->trace, k->opts, k->opts->url_text,
		r->opened ? "" : k->last_fail, !r->opened &&
		!strncmp(k->last_fail, "timeout", 7), status, cause,
		sizeof(cause));
	log_err("%s", cause);
	return true;
}

static void report_run(struct check_report *rep, const struct wsc_opts *o,
		const struct ccase *cs, const struct run *r)
{
	char list[sizeof(o->protocols) + 32];
	const char *sent = cs->sent;

	if (!sent) {            // REQ_PROTOCOLS: the subprotocols offered
		snprintf(list, sizeof(list), "subprotocols %s offered",
			offered_protocols(o));
		sent = list;
	}
	report_case(rep, cs->id, cs->group, sent, cs->expected, r->v,
		r->observed, (double)(lws_now_usecs() - r->t0) / 1000);
}

/* Run the battery; the exit status. */
static int battery(struct checker *k)
{
	struct check_report rep;
	int64_t t0 = lws_now_usecs();
	bool first = true;

	report_init(&rep, k->opts->jsonl, k->opts->color_out);
	for (size_t i = 0; i < check_ncases; i++) {
		const struct ccase *cs = &check_cases[i];
		struct run *r;

		if (!wanted(k->opts, cs)) {
			continue;
		}
		if (!(r = run_case(k, cs, first))) {
			log_err("out of memory");
			return WSC_EXIT_FAILURE;
		}
		if (first && first_case_refused(k, r)) {
			run_free(r);
			return WSC_EXIT_FAILURE;
		}
		if (first) {
			report_begin(&rep, k->opts->url_text,
				count_wanted(k->opts, 0, false));
			first = false;
		}
		report_run(&rep, k->opts, cs, r);
		echo_heard(k, i, r);
		run_free(r);
	}
	report_end(&rep, (double)(lws_now_usecs() - t0) / 1e6);
	return rep.count[CHECK_FAIL] ? WSC_EXIT_FAILURE : WSC_EXIT_OK;
}

static void lws_log_sink(int level, const char *line)
{
	(void)level;
	(void)line;
}

int check_run(const struct wsc_opts *opts)
{
	struct lws_protocols protocols[] = {
		rawconn_protocol,
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct checker *k = calloc(1, sizeof(*k));
	int ret = WSC_EXIT_FAILURE;

	if (!k || !(k->trace = calloc(1, sizeof(*k->trace)))) {
		log_err("out of memory");
		free(k);
		return WSC_EXIT_FAILURE;
	}
	k->head = &k->trace->head;
	k->trace->http2 = opts->http2;
	k->opts = opts;
	if (!clientreq_init(&k->rq, opts)) {
		free(k->trace);
		free(k);
		return WSC_EXIT_USAGE;
	}
	mask_init(&k->mask);
	k->tls = target_tls_new(opts);
	lws_set_log_level(0, lws_log_sink);
	target_context_info(&info, opts);
	info.protocols = protocols;
	k->ctx = k->tls ? lws_create_context(&info) : NULL;
	if (k->ctx) {
		ret = battery(k);
		lws_context_destroy(k->ctx);
	} else {
		log_err("cannot set up the check");
	}
	tls_ctx_free(k->tls);
	mask_finish(&k->mask);
	free(k->trace);
	free(k);
	return ret;
}
