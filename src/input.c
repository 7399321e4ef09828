/*
 * input.c - stdin and signals as adopted descriptors in the lws loop.
 * Reads land in the splitter, whose messages go to the endpoint (the
 * client's send queue, or the room); while it has no room stdin pauses.
 * It never writes to a socket itself.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "endpoint.h"
#include "log.h"
#include "repl.h"
#include "sendfile.h"

static bool emit(void *ctx, const char *data, size_t len, bool first,
		bool last)
{
	struct wsc *w = ctx;
	enum wsc_frame kind = w->opts->binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT;

	return endpoint_send(&w->ep, kind, data, len, first, last);
}

static void input_eof(struct wsc *w)
{
	split_eof(&w->split, emit, w);
	w->input_done = true;
	endpoint_wake(&w->ep);
}

/*
 * stdin is watched through a dup of fd 0, so lws may close its descriptor:
 * pausing closes it (a paused pipe whose writer has gone reports POLLHUP
 * alone, and lws would hang up with data still in the pipe) and resuming
 * adopts a fresh dup. fd 0 itself stays open until exit.
 */
static bool adopt_stdin(struct wsc *w)
{
	lws_sock_file_fd_type fd;

	fd.filefd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd.filefd < 0) {
		return false;
	}
	w->in = lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd,
		input_protocol_stdin.name, NULL);
	return w->in != NULL;
}

static int stdin_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct wsc *w = lws_context_user(lws_get_context(wsi));
	size_t room;
	char *dst;
	ssize_t n;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (w->input_done || w->in_paused) {
			return -1;
		}
		dst = split_space(&w->split, &room);
		n = read(STDIN_FILENO, dst, room);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				return 0;
			}
			log_err("stdin: %s", strerror(errno));
			input_eof(w);
			return -1;
		}
		if (n == 0) {
			input_eof(w);
			return -1;
		}
		if (!split_commit(&w->split, (size_t)n, emit, w)) {
			input_eof(w);   // the endpoint said why (and failed)
			return -1;
		}
		endpoint_wake(&w->ep);
		if (endpoint_flow(&w->ep, false) != WSC_FLOW_GO) {
			w->in_paused = true;
			return -1;
		}
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == w->in) {
			w->in = NULL;
			if (!w->in_paused && !w->input_done) {
				input_eof(w);   // hung up with nothing left to read
			}
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * The session routes signals: a resize, and Ctrl-C while the REPL takes
 * typed input, are the REPL's (except while the endpoint is still
 * connecting: then Ctrl-C aborts like any signal, there is nothing to
 * close yet); the rest are the endpoint's.
 */
static void route_signal(struct wsc *w, int signo)
{
	if (signo == SIGWINCH || (signo == SIGINT && w->repl_active &&
			!endpoint_connecting(&w->ep))) {
		if (w->interactive) {
			repl_signal(w, signo);
		}
		return;
	}
	endpoint_signal(&w->ep, signo);
}

static int signal_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct wsc *w = lws_context_user(lws_get_context(wsi));
	struct signalfd_siginfo si;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (read(lws_get_socket_fd(wsi), &si, sizeof(si)) !=
				(ssize_t)sizeof(si)) {
			return 0;
		}
		route_signal(w, (int)si.ssi_signo);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		w->sig = NULL;
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols input_protocol_stdin = {
	"wsc-stdin", stdin_cb, 0, 0, 0, NULL, 0,
};

const struct lws_protocols input_protocol_signal = {
	"wsc-signal", signal_cb, 0, 0, 0, NULL, 0,
};

bool input_start(struct wsc *w, struct lws_vhost *vh, int sigfd)
{
	lws_sock_file_fd_type fd;

	if (sigfd >= 0) {
		fd.filefd = sigfd;
		w->sig = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC,
			fd, input_protocol_signal.name, NULL);
		if (!w->sig) {
			log_err("cannot watch signals");
			return false;
		}
	}
	if (w->opts->n_steps || w->opts->replay) {
		// the script (-x, --send-file, -e) or the recording (--replay)
		// is the input: the client runs it on each connection and ends
		// input when it is over
		return true;
	}
	w->vh = vh;
	if (w->interactive) {
		return repl_start(w, vh);
	}
	if (!adopt_stdin(w)) {
		// not pollable (e.g. a closed descriptor): there is no input
		w->input_done = true;
	}
	return true;
}

void input_resume(struct wsc *w)
{
	sendfile_pump(w);
	if (w->in_paused && !w->input_done &&
			endpoint_flow(&w->ep, true) == WSC_FLOW_GO) {
		w->in_paused = false;
		if (!w->in && !adopt_stdin(w)) {
			log_err("stdin: cannot watch it again");
			input_eof(w);
		}
	}
}

void input_stop(struct wsc *w)
{
	w->input_done = true;
	if (w->interactive) {
		repl_stop(w);
		return;
	}
	if (w->in) {
		lws_set_timeout(w->in, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}
