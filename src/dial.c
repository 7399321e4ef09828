/*
 * dial.c - one connected socket, raced over every address a name
 * resolves to (Happy Eyeballs, RFC 8305): each attempt a non-blocking
 * socket of our own watched in the lws loop. See dial.h.
 */
#include "dial.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "trace.h"

#define DIAL_MAX 16             // addresses tried at most
#define DIAL_DELAY_MS 250       // RFC 8305's Connection Attempt Delay

enum try_state { TRY_WAITING, TRY_CONNECTING, TRY_FAILED, TRY_WON };

struct dial_try {
	struct dial *d;
	struct lws *wsi;        // the watcher, while connecting
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	enum try_state st;
	int err;                // why it failed
};

struct dial {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	const char *protocol;
	struct dial_cb cb;
	void *user;
	struct wsc_trace *trace;
	int port;
	lws_sorted_usec_list_t sul;     // starts the next attempt
	size_t n;               // addresses
	size_t next;            // the next to start
	size_t connecting;      // attempts under way
	struct dial_try t[DIAL_MAX];
};

/* Each attempt started and what came of it into out ("" when only one
 * was made); returns the errno of the last failure (0: none). */
static int describe(const struct dial *d, char *out, size_t size)
{
	size_t len = 0;
	int last = 0;

	out[0] = '\0';
	for (size_t i = 0; i < d->next; i++) {
		const struct dial_try *t = &d->t[i];
		const char *what = t->st == TRY_WON ? "connected" :
			t->st == TRY_FAILED ? strerror(t->err) : "no answer";
		int n;

		if (t->st == TRY_FAILED) {
			last = t->err;
		}
		if (d->next < 2 || len >= size) {
			continue;
		}
		n = snprintf(out + len, size - len, "%s%s port %d: %s",
			len ? "; " : "", t->name, d->port, what);
		len += n > 0 ? (size_t)n : 0;
	}
	return last;
}

// the attempts into the trace, with err as the connect's errno
static void record(struct dial *d, int err)
{
	if (d->trace) {
		describe(d, d->trace->attempts, sizeof(d->trace->attempts));
		d->trace->connect_errno = err;
	}
}

// why no attempt connected, in the trace and in why[]
static void failure(struct dial *d, char *why, size_t size)
{
	char list[sizeof(d->trace->attempts)];
	int last = describe(d, list, sizeof(list));

	record(d, last);
	snprintf(why, size, "connect failed: %s", list[0] ? list :
		strerror(last ? last : ECONNABORTED));
}

static void dial_free(struct dial *d)
{
	lws_sul_cancel(&d->sul);
	for (size_t i = 0; i < d->next; i++) {
		struct lws *wsi = d->t[i].wsi;

		if (wsi) {
			// its callbacks see no attempt and close it
			lws_set_opaque_user_data(wsi, NULL);
			lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
		}
	}
	free(d);
}

// fd into the loop, bound to the caller's protocol (NULL: failed)
static struct lws *adopt(const struct dial *d, lws_adoption_type type, int fd,
		void *opaque)
{
	lws_adopt_desc_t a;

	memset(&a, 0, sizeof(a));
	a.vh = d->vh;
	a.type = type;
	if (type & LWS_ADOPT_SOCKET) {
		a.fd.sockfd = fd;
	} else {
		a.fd.filefd = fd;
	}
	a.vh_prot_name = d->protocol;
	a.opaque = opaque;
	return lws_adopt_descriptor_vhost_via_info(&a);
}

// connect() without waiting, and watch for the outcome; false: failed
static bool try_start(struct dial_try *t)
{
	struct dial *d = t->d;
	int fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		SOCK_CLOEXEC, 0);
	int one = 1;

	t->st = TRY_FAILED;
	if (fd < 0) {
		t->err = errno;
		return false;
	}
	if (t->sa.ss_family != AF_UNIX) {
		// as lws does for its own client sockets: no Nagle delay
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (connect(fd, (struct sockaddr *)&t->sa, t->salen) < 0 &&
			errno != EINPROGRESS) {
		t->err = errno;
		close(fd);
		return false;
	}
	// a raw descriptor: lws never reads it, so SO_ERROR stays for check()
	t->wsi = adopt(d, LWS_ADOPT_RAW_FILE_DESC, fd, t);
	if (!t->wsi) {
		t->err = EMFILE;        // lws' descriptor table is full
		close(fd);
		return false;
	}
	lws_callback_on_writable(t->wsi);
	t->st = TRY_CONNECTING;
	d->connecting++;
	return true;
}

static void next_cb(lws_sorted_usec_list_t *sul);

// start attempts until one is under way or none is left
static void start_next(struct dial *d)
{
	lws_sul_cancel(&d->sul);
	while (d->next < d->n) {
		if (try_start(&d->t[d->next++])) {
			if (d->next < d->n) {
				lws_sul_schedule(d->ctx, 0, &d->sul, next_cb,
					(lws_usec_t)DIAL_DELAY_MS *
					LWS_US_PER_MS);
			}
			return;
		}
	}
}

// every attempt failed: tell the caller, the dial is gone
static void give_up(struct dial *d)
{
	struct dial_cb cb = d->cb;
	void *user = d->user;
	char why[sizeof(d->trace->attempts) + 32];

	failure(d, why, sizeof(why));
	dial_free(d);
	cb.failed(user, why);
}

static void next_cb(lws_sorted_usec_list_t *sul)
{
	struct dial *d = lws_container_of(sul, struct dial, sul);

	start_next(d);
	if (!d->connecting) {
		give_up(d);
	}
}

static void attempt_failed(struct dial_try *t, int err)
{
	struct dial *d = t->d;

	t->st = TRY_FAILED;
	t->err = err;
	d->connecting--;
	start_next(d);          // at once, not after the delay
	if (!d->connecting) {
		give_up(d);
	}
}

// t connected on fd (its watcher's): a copy of it goes to the caller
static void won(struct dial_try *t, int fd)
{
	struct dial *d = t->d;
	struct dial_cb cb = d->cb;
	void *user = d->user;
	struct lws *wsi;
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (own < 0) {
		attempt_failed(t, errno);
		return;
	}
	t->st = TRY_WON;
	record(d, 0);
	wsi = adopt(d, LWS_ADOPT_SOCKET, own, user);    // closes own if not
	dial_free(d);
	if (!wsi) {
		cb.failed(user, "connect failed: lws would not take the "
			"socket");
		return;
	}
	cb.connected(user, wsi);
}

// the watcher saw its socket change: connected, failed, or not yet
static int check(struct dial_try *t, struct lws *wsi)
{
	int fd = (int)lws_get_socket_fd(wsi), e = 0;
	socklen_t el = sizeof(e);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) {
		e = errno;
	}
	if (!e && getpeername(fd, (struct sockaddr *)&peer, &pl) < 0) {
		if (errno == ENOTCONN) {
			lws_callback_on_writable(wsi);  // not yet
			return 0;
		}
		e = errno;
	}
	t->wsi = NULL;
	lws_set_opaque_user_data(wsi, NULL);
	if (e) {
		attempt_failed(t, e);
	} else {
		won(t, fd);
	}
	return -1;      // the watcher goes (a winner's socket was copied)
}

int dial_callback(struct lws *wsi, enum lws_callback_reasons reason)
{
	struct dial_try *t = lws_get_opaque_user_data(wsi);
	int e = 0;
	socklen_t el = sizeof(e);

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		return t ? check(t, wsi) : -1;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		// lws closed it first (a hang-up it saw before we looked)
		if (t) {
			if (getsockopt((int)lws_get_socket_fd(wsi), SOL_SOCKET,
					SO_ERROR, &e, &el) < 0 || !e) {
				e = ECONNABORTED;
			}
			t->wsi = NULL;
			lws_set_opaque_user_data(wsi, NULL);
			attempt_failed(t, e);
		}
		return 0;
	default:
		return 0;
	}
}

// the addresses of host, one family then the other in turn (RFC 8305 4)
static bool resolve(struct dial *d, const char *host, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL;
	const struct addrinfo *fam[2][DIAL_MAX];
	size_t cnt[2] = { 0, 0 };
	char service[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", d->port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		const char *msg = rc == EAI_SYSTEM ? strerror(errno) :
			gai_strerror(rc);

		if (d->trace) {
			snprintf(d->trace->resolve_error,
				sizeof(d->trace->resolve_error), "%s", msg);
			snprintf(d->trace->resolve_host,
				sizeof(d->trace->resolve_host), "%s", host);
		}
		snprintf(why, size, "cannot resolve '%s': %s", host, msg);
		return false;
	}
	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		int k = a->ai_family != res->ai_family;

		if (cnt[k] < DIAL_MAX && a->ai_addrlen <= sizeof(d->t[0].sa)) {
			fam[k][cnt[k]++] = a;
		}
	}
	for (size_t i = 0; i < cnt[0] || i < cnt[1]; i++) {
		for (int k = 0; k < 2; k++) {
			struct dial_try *t = &d->t[d->n];

			if (i >= cnt[k] || d->n == DIAL_MAX) {
				continue;
			}
			memcpy(&t->sa, fam[k][i]->ai_addr,
				fam[k][i]->ai_addrlen);
			t->salen = fam[k][i]->ai_addrlen;
			if (getnameinfo(fam[k][i]->ai_addr, t->salen, t->name,
					sizeof(t->name), NULL, 0,
					NI_NUMERICHOST)) {
				snprintf(t->name, sizeof(t->name), "?");
			}
			d->n++;
		}
	}
	freeaddrinfo(res);
	return true;
}

// one attempt to the Unix socket path ('@' first: the abstract namespace)
static void unix_address(struct dial *d, const char *path)
{
	struct dial_try *t = &d->t[0];
	struct sockaddr_un *sun = (struct sockaddr_un *)&t->sa;
	size_t len = strlen(path);

	d->n = 1;
	snprintf(t->name, sizeof(t->name), "%s", path);
	sun->sun_family = AF_UNIX;
	if (len >= sizeof(sun->sun_path)) {
		len = sizeof(sun->sun_path) - 1;        // as lws cuts it
	}
	memcpy(sun->sun_path, path, len);
	if (path[0] == '@') {
		sun->sun_path[0] = '\0';
	}
	t->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

struct dial *dial_start(const struct dial_params *p, const struct dial_cb *cb,
		void *user, char *why, size_t size)
{
	struct dial *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	d->ctx = p->ctx;
	d->vh = lws_get_vhost_by_name(p->ctx, "default");
	d->protocol = p->protocol;
	d->cb = *cb;
	d->user = user;
	d->trace = p->trace;
	d->port = p->port;
	for (size_t i = 0; i < DIAL_MAX; i++) {
		d->t[i].d = d;
	}
	if (!d->vh) {
		snprintf(why, size, "connect failed: no lws vhost");
		free(d);
		return NULL;
	}
	if (p->unix_socket) {
		unix_address(d, p->unix_socket);
	} else if (!resolve(d, p->host, why, size)) {
		free(d);
		return NULL;
	}
	if (d->trace) {
		d->trace->t_connect = lws_now_usecs();
	}
	start_next(d);
	if (!d->connecting) {
		failure(d, why, size);
		dial_free(d);
		return NULL;
	}
	return d;
}

void dial_cancel(struct dial *d)
{
	if (!d) {
		return;
	}
	if (d->trace) {
		describe(d, d->trace->attempts, sizeof(d->trace->attempts));
	}
	dial_free(d);
}
