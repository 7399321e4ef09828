/*
 * netcause.c - the cause of a failed connect, found by asking again
 * (see netcause.h).
 */
#include "netcause.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

// errno of one non-blocking connect to sa (0: it connected)
static int try_connect(int family, const struct sockaddr *sa, socklen_t len,
		long wait_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int e = 0;
	socklen_t el = sizeof(e);

	if (fd < 0) {
		return errno;
	}
	if (connect(fd, sa, len) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			e = ETIMEDOUT;
			if (poll(&p, 1, (int)wait_ms) == 1 && !getsockopt(fd,
					SOL_SOCKET, SO_ERROR, &e, &el)) {
				// e is the outcome (0: connected)
			}
		}
	}
	close(fd);
	return e;
}

void netcause_probe(const char *host, int port, const char *unix_path,
		long wait_ms, char *resolve, size_t rsize, int *err)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int rc;

	*err = 0;
	if (wait_ms <= 0 || wait_ms > 1000) {
		wait_ms = 1000;
	}
	if (unix_path) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", unix_path);
		if (sun.sun_path[0] == '@') {
			sun.sun_path[0] = '\0';     // abstract, as lws takes it
		}
		*err = try_connect(AF_UNIX, (struct sockaddr *)&sun,
			sizeof(sun), wait_ms);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		snprintf(resolve, rsize, "%s", rc == EAI_SYSTEM ?
			strerror(errno) : gai_strerror(rc));
		return;
	}
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		*err = try_connect(a->ai_family, a->ai_addr, a->ai_addrlen,
			wait_ms);
		if (!*err) {
			break;
		}
	}
	freeaddrinfo(res);
}
