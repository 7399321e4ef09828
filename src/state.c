/*
 * state.c - readyState transitions, the -S lines, and the one function
 * that turns how a session ended into an exit status.
 */
#include "state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libwebsockets.h>

#include "log.h"

void state_init(struct wsc_state *s, bool show)
{
	memset(s, 0, sizeof(*s));
	s->show = show;
	s->t0_us = lws_now_usecs();
	s->ready = WSC_CONNECTING;
}

void state_restart(struct wsc_state *s)
{
	s->ready = WSC_CONNECTING;
	s->announced = false;
	s->opened = s->failed = false;
	s->close_sent = s->close_received = false;
	s->sent_code = s->code = 0;
	s->reason[0] = '\0';
}

static const char *const ready_names[] = {
	"CONNECTING", "OPEN", "CLOSING", "CLOSED",
};

void state_set(struct wsc_state *s, enum wsc_ready to, const char *why_fmt,
		...)
{
	char why[512];
	va_list ap;

	if (to == WSC_OPEN) {
		s->opened = true;
	}
	// readyState only moves forward; CONNECTING is announced once a
	// connection (state_restart() lets a new one begin)
	if (to < s->ready || (to == s->ready && (to != WSC_CONNECTING ||
			s->announced))) {
		return;
	}
	s->announced = true;
	s->ready = to;
	if (!s->show) {
		return;
	}
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	if (s->hook) {
		s->hook(s->hook_ctx, to, why);
	}
	log_note("[+%.3fs] %s (%d)%s%s", (double)(lws_now_usecs() - s->t0_us) / 1e6,
		ready_names[to], (int)to, *why ? ": " : "", why);
}

const char *state_name(enum wsc_ready r)
{
	return ready_names[r];
}

const char *state_close_name(unsigned code)
{
	switch (code) {
	case 1000: return "normal closure";
	case 1001: return "going away";
	case 1002: return "protocol error";
	case 1003: return "unsupported data";
	case 1005: return "no status code";
	case 1006: return "abnormal closure";
	case 1007: return "invalid payload data";
	case 1008: return "policy violation";
	case 1009: return "message too big";
	case 1010: return "mandatory extension";
	case 1011: return "internal error";
	case 1012: return "service restart";
	case 1013: return "try again later";
	case 1014: return "bad gateway";
	case 1015: return "TLS handshake failure";
	}
	return "";
}

static bool clean_code(unsigned code)
{
	return code == 1000 || code == 1001 || code == 1005;
}

enum wsc_exit state_exit_status(const struct wsc_state *s)
{
	if (s->quiet_exit) {
		return WSC_EXIT_OK;
	}
	if (s->failed || !s->opened) {
		return WSC_EXIT_FAILURE;
	}
	if (!s->close_received) {
		return WSC_EXIT_FAILURE;   // 1006: the connection just ended
	}
	if (s->close_sent) {
		return WSC_EXIT_OK;        // we closed; the reply completed it
	}
	return clean_code(s->code) ? WSC_EXIT_OK : WSC_EXIT_PEER_CLOSE;
}
