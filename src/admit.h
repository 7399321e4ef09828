/*
 * admit.h - whom the room (--listen) lets in: the Origin rule against
 * cross-site WebSocket hijacking, and how many clients the descriptor limit
 * leaves room for. Pure: no I/O, no state.
 */
#ifndef WSC_ADMIT_H
#define WSC_ADMIT_H

#include <stdbool.h>
#include <stddef.h>

#define ADMIT_NOFILE 8192               // descriptors the room asks for
#define ADMIT_CLIENTS_MAX 1000000       // largest --max-clients
#define ADMIT_TRANSIENT 8               // files opened now and then

/*
 * May a request with this Origin (NULL: none, a client that is not a
 * browser) upgrade? Yes when it is listed in allow (or allow has "*"), or
 * when it is the room's own page: "http://" + the request's Host, for a
 * Host that names the room by an IP address, "localhost" or the name it
 * was told to listen on (listen_host) - another name pointing at it is a
 * DNS-rebinding page's. Case-insensitive.
 */
bool admit_origin(const char *origin, const char *host,
		const char *listen_host, const char *const *allow, size_t n_allow);

struct admit_limits {
	unsigned long nofile;       // the soft RLIMIT_NOFILE to set
	unsigned long max_clients;  // connections served at once
	unsigned long spare;        // more, answered 503 at once
};

/*
 * The limits for a room whose process has in_use descriptors besides its
 * clients (stdio, signalfd, listening sockets, lws's pipe), given the
 * hard RLIMIT_NOFILE and --max-clients (0: not given). The room
 * takes ADMIT_NOFILE descriptors, or the hard limit when that is lower,
 * or what --max-clients needs; each connection is one descriptor, and
 * spare more (1/16, 2 to 64) let newcomers to a full room be answered.
 * false with why when they do not fit.
 */
bool admit_limits(unsigned long hard, unsigned long in_use,
		unsigned long requested,
		struct admit_limits *out, char *why, size_t size);

#endif
