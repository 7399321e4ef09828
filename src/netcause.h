/*
 * netcause.h - why a connection could not be made, asked again: the
 * resolver's answer for the name, or the errno of a connect() to each of
 * its addresses (or to a Unix socket path).
 *
 * Why: libwebsockets 4.1.6 reports every failed client connect as "Unable
 * to connect" (it reads SO_ERROR itself, which clears it), and a name that
 * does not resolve as a NULL wsi. wsc's error line names the cause
 * ("Connection refused", the resolver's words), so rawconn.c asks once
 * more, only after lws has failed. A short bounded probe, no interposition.
 */
#ifndef WSC_NETCAUSE_H
#define WSC_NETCAUSE_H

#include <stddef.h>

/*
 * Probe host:port (unix_path instead when not NULL). On a resolver
 * failure resolve[] gets its message; on a connect failure *err the errno
 * (0: the probe connected, no cause found). Waits at most wait_ms for a
 * connect in progress.
 */
void netcause_probe(const char *host, int port, const char *unix_path,
		long wait_ms, char *resolve, size_t rsize, int *err);

#endif
