/*
 * state.c - readyState transitions, the -S lines, and the one function
 * that turns how a session ended into an exit status.
 */
#include "state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "log.h"
#include "utf8.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void state_init(struct wsc_state *s, bool show)
{
	memset(s, 0, sizeof(*s));
	s->show = show;
	s->t0_us = now_us();
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
	log_note("[+%.3fs] %s (%d)%s%s", (double)(now_us() - s->t0_us) / 1e6,
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

// RFC 6455 7.4 and the IANA registry: codes an endpoint may send.
bool state_close_fault(const unsigned char *p, size_t len, char *why,
		size_t size, unsigned *reply)
{
	unsigned code = len >= 2 ? (unsigned)(p[0] << 8 | p[1]) : 1005;

	*reply = len >= 2 ? code : 0;
	if (len == 1) {
		snprintf(why, size, "a Close payload of 1 byte");
	} else if (len >= 2 && !frame_close_code_ok(code)) {
		snprintf(why, size, "Close code %u, which may not be sent", code);
	} else if (len > 2 && !utf8_valid(p + 2, len - 2)) {
		snprintf(why, size, "a Close reason that is not valid UTF-8");
		*reply = 1007;
		return true;
	} else {
		return false;
	}
	*reply = 1002;
	return true;
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
