/*
 * dial.h - one connected socket to a host name or address and port (or a
 * Unix socket path), raced over every address the name resolves to
 * (Happy Eyeballs, RFC 8305), with the cause of each failed attempt.
 *
 * Why: libwebsockets 4.1.6's client connect, after a first address
 * fails, polls the next address's socket for reading only, so it never
 * notices that connect finish: a name that resolves to ::1 and 127.0.0.1
 * against a server on 127.0.0.1 waited out --connect-timeout. It also
 * reports every failure as "Unable to connect", the errno lost.
 *
 * How: the name is resolved here with getaddrinfo (lws' resolver is a
 * blocking getaddrinfo too); each attempt is a non-blocking socket of our
 * own, started in turn (families interleaved, the next one 250 ms later or
 * at once when the current one fails), and watched in the lws loop by
 * adopting it as a raw descriptor asking for POLLOUT; its outcome is read
 * with SO_ERROR before anything reads the socket. The first to connect
 * wins: its descriptor is adopted as a raw socket of the caller's
 * protocol; the other attempts are closed. Unix sockets are one attempt.
 *
 * The watchers' lws callbacks (the RAW_*_FILE reasons) must be passed to
 * dial_callback() by the protocol named in the parameters.
 */
#ifndef WSC_DIAL_H
#define WSC_DIAL_H

#include <stddef.h>

#include <libwebsockets.h>

struct dial;
struct wsc_trace;

struct dial_params {
	struct lws_context *ctx;        // its "default" vhost is used
	const char *protocol;   // the winner and the watchers are bound to it
	const char *host;       // name or address (IPv6 without brackets)
	int port;
	const char *unix_socket;        // a path: connect there instead
	// or NULL: gets t_connect, the resolver's error, the errno of a
	// failure, and attempts[] when more than one address was tried
	struct wsc_trace *trace;
};

struct dial_cb {
	// the winner, an lws raw socket with opaque user data `user`
	void (*connected)(void *user, struct lws *wsi);
	// no address connected (or the name did not resolve): why
	void (*failed)(void *user, const char *why);
};

/*
 * Start. NULL with why when it failed at once (nothing to resolve, every
 * address refused at once); else exactly one callback follows, from the
 * lws loop, never from inside this call. After it the dial is gone.
 */
struct dial *dial_start(const struct dial_params *p, const struct dial_cb *cb,
		void *user, char *why, size_t size);

/* Stop trying (no callback follows); the trace gets what each attempt
 * did so far. */
void dial_cancel(struct dial *d);

/* The protocol's callback for the RAW_*_FILE reasons of the watchers. */
int dial_callback(struct lws *wsi, enum lws_callback_reasons reason);

#endif
