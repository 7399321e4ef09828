/*
 * test-netcause.c - the cause of a failed connect, asked again: refused
 * on a closed loopback port, nothing for a listening one, ENOENT and
 * ECONNREFUSED for Unix socket paths, the resolver's words for a name in
 * .invalid (RFC 6761: never resolves), and the trace's byte cut.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "netcause.h"
#include "tap.h"
#include "trace.h"

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

int main(void)
{
	char resolve[128], path[108];
	int err = -1, fd = -1, port;
	static struct wsc_trace t;

	port = loopback_port(false, NULL);
	resolve[0] = '\0';
	netcause_probe("127.0.0.1", port, NULL, 500, resolve, sizeof(resolve),
		&err);
	is_int(err, ECONNREFUSED, "a closed port: connection refused");
	is_str(resolve, "", "a closed port: the name resolved");

	port = loopback_port(true, &fd);
	netcause_probe("127.0.0.1", port, NULL, 500, resolve, sizeof(resolve),
		&err);
	is_int(err, 0, "a listening port: no cause found");
	close(fd);

	snprintf(path, sizeof(path), "/tmp/wsc-netcause-%d", (int)getpid());
	unlink(path);
	netcause_probe(NULL, 0, path, 500, resolve, sizeof(resolve), &err);
	is_int(err, ENOENT, "a Unix socket path that does not exist");

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		ok(fd >= 0 && !bind(fd, (struct sockaddr *)&sun, sizeof(sun)),
			"a Unix socket bound, not listening");
	}
	netcause_probe(NULL, 0, path, 500, resolve, sizeof(resolve), &err);
	is_int(err, ECONNREFUSED, "a Unix socket nobody listens on");
	close(fd);
	unlink(path);

	resolve[0] = '\0';
	err = -1;
	netcause_probe("nonexistent.invalid", 80, NULL, 500, resolve,
		sizeof(resolve), &err);
	ok(resolve[0] != '\0', "a name in .invalid: the resolver's words");
	diag("resolver: %s", resolve);
	is_int(err, 0, "a name that does not resolve: no connect errno");

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
