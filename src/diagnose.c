/*
 * diagnose.c - turning how a connection failed or ended into one clear
 * line: HTTP statuses, handshake faults, DNS, connect and TLS errors
 * (in the connection's trace), timeouts and close codes, with the advice
 * that fits (--auth, -L, --ca or -k, wss:// for ws:// and back).
 */
#define _GNU_SOURCE  // memmem
#include "diagnose.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "dump.h"
#include "events.h"
#include "httphead.h"
#include "log.h"
#include "trace.h"
#include "url.h"

/* The URL with the other scheme (wss:// for ws://, ws:// for wss://) and
 * the same port, for a server that speaks the other one: into to_wss for
 * a ws:// url_text, into to_ws for a wss:// one; the other stays "". */
static void other_scheme(const char *url_text, char *to_wss, char *to_ws,
		size_t size)
{
	struct wsc_url u;
	const char *why;

	*to_wss = *to_ws = '\0';
	if (url_parse(url_text, &u, &why)) {
		u.tls = !u.tls;
		url_format(&u, u.tls ? to_wss : to_ws, (unsigned)size);
	}
}

/* Whether the server answered a plain request in TLS: a TLS record, an
 * alert (21) or a handshake (22) of version 3.x (TLS 1.0 to 1.3). */
static bool answered_in_tls(const struct wsc_trace *t)
{
	const unsigned char *p = (const unsigned char *)t->resp + t->resp_server;

	return t->resp_len - t->resp_server >= 2 && (p[0] == 21 || p[0] == 22) &&
		p[1] == 3;
}

/* Whether a 400 says that the port expects TLS, as web servers word it:
 * nginx "The plain HTTP request was sent to HTTPS port", Go "Client sent
 * an HTTP request to an HTTPS server", Apache "You're speaking plain HTTP
 * to an SSL-enabled server port". */
static bool refused_as_not_tls(const struct wsc_trace *t, int status)
{
	const char *body = t->resp + t->resp_head;
	size_t len = t->resp_head ? t->resp_len - t->resp_head : 0;

	return status == 400 && (memmem(body, len, "HTTPS", 5) ||
		memmem(body, len, "SSL", 3));
}

void diagnose_cause(const struct wsc_trace *t, const struct wsc_opts *o,
		const char *url_text, const char *cce, bool timed_out,
		int status, char *out, size_t size)
{
	const char *auth = httphead_get(&t->head, "WWW-Authenticate");
	char to_wss[WSC_URL_HOST_MAX + WSC_URL_PATH_MAX + 32];
	char to_ws[sizeof(to_wss)];

	if (!auth) {
		auth = "";
	}
	other_scheme(url_text, to_wss, to_ws, sizeof(to_wss));
	if (timed_out) {
		bool tried = !t->req_len && *t->attempts;

		snprintf(out, size, "%s: timed out after %.3g s %s%s%s%s "
			"(--connect-timeout)", url_text,
			(double)o->connect_timeout_ms / 1000.0, t->req_len ?
			"waiting for the handshake answer" : "connecting",
			tried ? " (" : "", tried ? t->attempts : "",
			tried ? ")" : "");
	} else if (trace_proxy_refused(t)) {
		snprintf(out, size, "proxy %s refused to connect to %s: HTTP %d%s%s",
			o->proxy, url_text, status,
			*httphead_reason(status) ? " " : "", httphead_reason(status));
	} else if (status == 401) {
		snprintf(out, size, "handshake rejected: HTTP 401 Unauthorized%s%s%s",
			*auth ? " (WWW-Authenticate: " : "", auth, *auth ?
			"; try --auth)" : "");
	} else if (*to_wss && refused_as_not_tls(t, status)) {
		snprintf(out, size, "handshake rejected: HTTP 400 Bad Request (the "
			"server expects TLS on this port; try %s)", to_wss);
	} else if (status >= 200 && status < 300 &&
			status != trace_open_status(t)) {
		snprintf(out, size, "handshake rejected: HTTP %d %s: not upgraded "
			"(is this a WebSocket endpoint?)", status,
			httphead_reason(status));
	} else if (status && status != trace_open_status(t)) {
		snprintf(out, size, "handshake rejected: HTTP %d%s%s", status,
			*httphead_reason(status) ? " " : "", httphead_reason(status));
	} else if (!status && *to_wss && answered_in_tls(t)) {
		snprintf(out, size, "%s: the server speaks TLS on this port (try "
			"%s)", url_text, to_wss);
	} else if (!strncmp(cce, "handshake failed: ", 18)) {
		snprintf(out, size, "%s", cce);
	} else if (*t->h2_error) {
		snprintf(out, size, "%s: %s", url_text, t->h2_error);
	} else if (*t->resolve_error) {
		snprintf(out, size, "%s: cannot resolve '%s': %s", url_text,
			t->resolve_host, t->resolve_error);
	} else if (t->connect_errno) {
		// each address when there were several (dial.h)
		snprintf(out, size, "%s: connect failed: %s", o->unix_socket ?
			o->unix_socket : url_text, *t->attempts ?
			t->attempts : strerror(t->connect_errno));
	} else if (*t->tls_error && t->tls_fault == TLS_FAULT_PLAIN_HTTP &&
			*to_ws) {
		snprintf(out, size, "%s: TLS handshake failed: %s; try %s",
			url_text, t->tls_error, to_ws);
	} else if (*t->tls_error) {
		// only a chain not trusted is one that --ca or -k can help
		snprintf(out, size, "%s: TLS handshake failed: %s%s",
			url_text, t->tls_error, t->tls_fault != TLS_FAULT_TRUST ||
			o->insecure || o->ca ? "" : " (use --ca FILE to trust "
			"it, or -k to skip verification)");
	} else if (t->t_tls_start && !t->t_tls_done) {
		snprintf(out, size, "%s: TLS handshake failed", url_text);
	} else if (t->req_len && !t->head.len) {
		snprintf(out, size, "%s: the server closed the connection during "
			"the handshake%s%s%s", url_text, *to_wss ? " (if it "
			"expects TLS on this port, try " : "", to_wss,
			*to_wss ? ")" : "");
	} else if (t->req_len) {
		snprintf(out, size, "%s: incomplete handshake response",
			url_text);
	} else {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", *cce ? cce : "connection failed");
		msg[0] = (char)tolower((unsigned char)msg[0]);
		snprintf(out, size, "%s: %s", url_text, msg);
	}
}

// The one-line cause of a failed handshake, in wsc's words: the client's
// own faults (redirects) first, then the shared ones.
static void connect_cause(struct wsc_client *c, const char *cce, int status,
		char *out, size_t size)
{
	const struct wsc_trace *t = c->trace;

	if (c->at.too_many_redirects) {
		snprintf(out, size, "%s: too many redirects (more than %u); last "
			"to %s", c->rq.url_text, c->opts->max_redirects,
			c->at.location);
	} else if (c->at.redirect_status) {
		snprintf(out, size, "handshake rejected: HTTP %d %s: redirect to "
			"%s (use -L to follow)", c->at.redirect_status,
			httphead_reason(c->at.redirect_status), c->at.location);
	} else {
		diagnose_cause(t, c->opts, c->rq.url_text, cce, c->at.timed_out,
			status, out, size);
	}
}

// Say why the connection could not be made: details first, cause last.
void diagnose_connect_error(struct wsc_client *c, const char *cce)
{
	char cause[8192];
	int status = trace_status(c->trace);

	if (c->opts->dump) {
		dump_exchange(c->trace, true, false);
	}
	if (status && status != trace_open_status(c->trace)) {
		dump_rejected(c->trace);   // always: status, headers, body start
	} else if (c->opts->dump) {
		dump_exchange(c->trace, false, true);
		if (status == trace_open_status(c->trace)) {
			dump_verdict(c->trace, c->opts->protocols);
		}
	}
	connect_cause(c, cce ? cce : "", status, cause, sizeof(cause));
	log_err("%s", cause);
}

void diagnose_closed(struct wsc_client *c)
{
	const struct wsc_state *s = &c->st;
	const char *who = c->at.close.closing ? "we closed" : "server closed";
	char said[256];

	events_close(c, c->at.close.closing ? "client" : "server", s->close_received);
	if (s->close_received) {
		snprintf(said, sizeof(said), "server closed the connection: "
			"%u%s%s%s%s%s", s->code, *state_close_name(s->code) ?
			" (" : "", state_close_name(s->code),
			*state_close_name(s->code) ? ")" : "", *s->reason ? ": " :
			"", s->reason);
		state_set(&c->st, WSC_CLOSED, "%s, code %u%s%s, %s", who,
			s->code, *s->reason ? " reason " : "", s->reason,
			*c->at.close.fault ? "not clean" : "clean");
		if (c->at.rx_failed) {
			// its line is said
		} else if (*c->at.close.fault) {
			log_err("protocol error: the server sent %s",
				c->at.close.fault);
		} else if (state_exit_status(s) == WSC_EXIT_PEER_CLOSE) {
			log_err("%s", said);
		} else if (c->w->interactive && !c->at.close.closing) {
			// clean, but the prompt went away: say why
			log_info("%s", said);
		}
		return;
	}
	state_set(&c->st, WSC_CLOSED, "code 1006, not clean");
	if (s->quiet_exit || c->at.rx_failed || c->signals) {
		return;
	}
	if (c->at.pong_timed_out) {
		return;     // its line is said
	}
	if (c->at.close.timed_out) {
		log_err("no Close from the server within %.3g s (--close-timeout)",
			(double)c->opts->close_timeout_ms / 1000.0);
	} else {
		// the transport's cause, when it gave one (over HTTP/2: a
		// reset stream, a GOAWAY)
		log_err("connection closed abnormally (1006)%s%s",
			*c->at.dropped ? ": " : "", c->at.dropped);
	}
}
