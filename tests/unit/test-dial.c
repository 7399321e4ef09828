/*
 * test-dial.c - connecting in the lws loop with the cause of a failure:
 * refused on a closed loopback port, a connection on a listening one,
 * ENOENT and ECONNREFUSED for Unix socket paths, the resolver's words for
 * a name in .invalid (RFC 6761: never resolves), and the trace's byte cut.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <libwebsockets.h>

#include "dial.h"
#include "tap.h"
#include "trace.h"

// what the dial said
struct outcome {
	bool done;
	struct lws *wsi;        // the winner
	char why[1200];
};

static void on_connected(void *user, struct lws *wsi)
{
	struct outcome *o = user;

	o->done = true;
	o->wsi = wsi;
}

static void on_failed(void *user, const char *why)
{
	struct outcome *o = user;

	o->done = true;
	snprintf(o->why, sizeof(o->why), "%s", why);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT_FILE:
	case LWS_CALLBACK_RAW_RX_FILE:
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		return dial_callback(wsi, reason);
	default:
		return 0;
	}
}

// dial host:port (or path) and run the loop until it says (5 s at most)
static struct dial *run(struct lws_context *ctx, const char *host, int port,
		const char *path, struct wsc_trace *t, struct outcome *o)
{
	static const struct dial_cb cb = { on_connected, on_failed };
	struct dial_params p = { ctx, "dial-test", host, port, path, t };
	struct dial *d;
	lws_usec_t end = lws_now_usecs() + 5 * LWS_US_PER_SEC;

	memset(o, 0, sizeof(*o));
	trace_reset(t, lws_now_usecs());
	d = dial_start(&p, &cb, o, o->why, sizeof(o->why));
	while (d && !o->done && lws_now_usecs() < end) {
		lws_service(ctx, 0);
	}
	return d;
}

// a loopback port, listening or (listen false) bound and closed again
static int loopback_port(bool listen_on, int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
			getsockname(s, (struct sockaddr *)&a, &len) ||
			(listen_on && listen(s, 1))) {
		return -1;
	}
	if (listen_on) {
		*fd = s;
	} else {
		close(s);
	}
	return ntohs(a.sin_port);
}

static void lws_log_sink(int level, const char *line)
{
	(void)level;
	(void)line;
}

int main(void)
{
	static const struct lws_protocols protocols[] = {
		{ "dial-test", callback, 0, 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	static struct wsc_trace t;
	struct outcome o;
	char path[108];
	int fd = -1, port;
	struct dial *d;

	lws_set_log_level(0, lws_log_sink);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	ok(ctx != NULL, "an lws context");

	port = loopback_port(false, NULL);
	d = run(ctx, "127.0.0.1", port, NULL, &t, &o);
	ok(d && o.done && !o.wsi, "a closed port: the dial fails");
	is_str(o.why, "connect failed: Connection refused",
		"a closed port: connection refused");
	is_int(t.connect_errno, ECONNREFUSED, "a closed port: in the trace");
	is_str(t.attempts, "", "one address: no list of attempts");
	ok(t.t_connect >= t.t_start, "the trace has the time of connect()");

	port = loopback_port(true, &fd);
	d = run(ctx, "127.0.0.1", port, NULL, &t, &o);
	ok(d && o.done && o.wsi, "a listening port: connected");
	is_int(t.connect_errno, 0, "a listening port: no cause");
	if (o.wsi) {
		lws_set_timeout(o.wsi, PENDING_TIMEOUT_USER_OK,
			LWS_TO_KILL_SYNC);
	}
	close(fd);

	snprintf(path, sizeof(path), "/tmp/wsc-dial-%d", (int)getpid());
	unlink(path);
	d = run(ctx, NULL, 0, path, &t, &o);
	ok(!d, "a Unix socket path that does not exist: fails at once");
	is_str(o.why, "connect failed: No such file or directory",
		"a Unix socket path that does not exist: ENOENT");
	is_int(t.connect_errno, ENOENT, "ENOENT in the trace");

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		ok(fd >= 0 && !bind(fd, (struct sockaddr *)&sun, sizeof(sun)),
			"a Unix socket bound, not listening");
	}
	d = run(ctx, NULL, 0, path, &t, &o);
	ok(!d, "a Unix socket nobody listens on: fails at once");
	is_int(t.connect_errno, ECONNREFUSED,
		"a Unix socket nobody listens on: refused");
	close(fd);
	unlink(path);

	d = run(ctx, "nonexistent.invalid", 80, NULL, &t, &o);
	ok(!d, "a name in .invalid: fails at once");
	ok(t.resolve_error[0] != '\0',
		"a name in .invalid: the resolver's words");
	diag("resolver: %s", t.resolve_error);
	{
		const char *w = "cannot resolve 'nonexistent.invalid': ";

		ok(!strncmp(o.why, w, strlen(w)), "a name in .invalid: why");
	}
	is_int(t.connect_errno, 0,
		"a name that does not resolve: no connect errno");
	lws_context_destroy(ctx);

	trace_reset(&t, 42);
	ok(t.t_start == 42 && !t.req_len && !t.resp_len, "trace_reset");
	{
		static char big[WSC_TRACE_MAX + 10];

		memset(big, 'x', sizeof(big));
		trace_add(t.req, &t.req_len, "GET", 3);
		trace_add(t.req, &t.req_len, big, sizeof(big));
		is_int((long)t.req_len, WSC_TRACE_MAX, "trace_add cuts at the max");
		ok(!memcmp(t.req, "GETxx", 5), "trace_add appends");
	}
	return done_testing();
}
