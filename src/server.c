/*
 * server.c - the --listen mode, on libwebsockets' raw listening sockets
 * with wsc's own codec: lws accepts and polls, and every accepted socket
 * is a raw one handed to the room (room.h), which reads and writes it
 * itself: the request head and its answer (roomhttp.c), then frames
 * (roompeer.c). This file listens on every address of --listen's HOST,
 * admits newcomers and runs the session with the room as its endpoint.
 *
 * Admission (admit.h): at most max_clients connections, with spare
 * descriptors to answer newcomers 503 and the open file limit set to match
 * (so lws never fails an accept). It lives here, with the limit it is
 * computed from and the accept it answers, not in the room.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chatpage.h"
#include "handshake.h"
#include "log.h"
#include "room.h"

#define LISTEN_MAX 8                    // addresses one host name may give

/* --- admission: at most max_clients connections --- */

static const char full_why[] = "the room is full (--max-clients); try again "
	"later";

static void note_full(struct room *r)
{
	r->turned_away++;
	if (!r->full) {
		r->full = true;
		if (room_line(r, LINE_REFUSAL)) {
			log_info("the room is full (%lu connections, --max-clients): "
				"newcomers get HTTP 503", r->lim.max_clients);
		}
	}
}

/*
 * A newcomer: one of max_clients, else answered 503 (and its request
 * ignored) while one of the spare descriptors is free, else sent the 503
 * and closed at once. So the room never runs out of descriptors and every
 * newcomer hears why.
 */
static int adopt(struct room *r, struct lws *wsi)
{
	bool full = r->conns >= r->lim.max_clients;
	struct wsc_peer *p;
	char buf[256];
	ssize_t n = handshake_write_refusal(buf, sizeof(buf), 503, full_why);

	if (full && r->surplus >= r->lim.spare) {
		note_full(r);
		if (n > 0) {
			(void)send(lws_get_socket_fd(wsi), buf, (size_t)n,
				MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		return -1;
	}
	p = peer_new(wsi);
	if (!p) {
		return -1;
	}
	if (!full) {
		p->counted = true;
		r->conns++;
		return 0;
	}
	p->surplus = true;
	r->surplus++;
	note_full(r);
	return n > 0 ? roomhttp_answer(p, buf, NULL, 0) : -1;
}

void server_release(struct room *r, struct wsc_peer *p)
{
	r->conns -= p->counted;
	r->surplus -= p->surplus;
	if (r->full && r->conns < r->lim.max_clients) {
		r->full = false;
		if (room_line(r, LINE_REFUSAL)) {
			log_info("the room has space again (%lu newcomer%s turned away "
				"while it was full)", r->turned_away,
				r->turned_away == 1 ? " was" : "s were");
		}
		r->turned_away = 0;
	}
}

/* --- the callback --- */

static int server_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct room *r = room_of(wsi);
	struct wsc_peer *p = lws_get_opaque_user_data(wsi);

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		return adopt(r, wsi);

	case LWS_CALLBACK_RAW_RX:
		if (!p || !in) {
			return 0;
		}
		switch (p->state) {
		case PEER_HEAD:
			return roomhttp_read(r, p, in, len);
		case PEER_OPEN:
			peer_rx(r, p, in, len);
			return 0;
		case PEER_LINGER:
			peer_linger_more(p);
			return 0;
		default:
			return 0;   // after the answer or our Close: not read
		}

	case LWS_CALLBACK_RAW_WRITEABLE:
		return p ? peer_flush(r, p) : 0;

	case LWS_CALLBACK_RAW_CLOSE:
		if (p) {
			lws_set_opaque_user_data(wsi, NULL);
			room_gone(r, p);
		}
		return 0;

	default:
		return 0;
	}
}

/* --- running --- */

/*
 * --- where to listen ---
 *
 * HOST is an address (bound exactly: 127.0.0.1 is not every interface) or
 * a name, resolved with getaddrinfo(); wsc listens on every address a name
 * gives (localhost: 127.0.0.1 and ::1 where both resolve), skipping those
 * this machine cannot bind (no IPv6, say) while one is left, all on one
 * port. An IPv6 socket is IPv6-only, so [::] is every IPv6 interface and
 * 0.0.0.0 every IPv4 one.
 */
struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char numeric[INET6_ADDRSTRLEN];
};

// What the listening vhosts point to (lws keeps pointers to each vhost's
// name and interface): it lives as long as the room, on server_run()'s
// stack.
struct listening {
	struct listen_addr a[LISTEN_MAX];
	char vname[LISTEN_MAX][24];
	char where[LISTEN_MAX * (INET6_ADDRSTRLEN + 16)];   // server_where()
};

static const char *resolve(const char *host, struct listen_addr *a,
		size_t *n)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		return rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
	}
	*n = 0;
	for (ai = res; ai && *n < LISTEN_MAX; ai = ai->ai_next) {
		struct listen_addr *x = &a[*n];
		bool dup = false;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
				ai->ai_addrlen > sizeof(x->sa) ||
				getnameinfo(ai->ai_addr, ai->ai_addrlen, x->numeric,
				sizeof(x->numeric), NULL, 0, NI_NUMERICHOST)) {
			continue;
		}
		for (size_t k = 0; k < *n; k++) {
			dup = dup || !strcmp(a[k].numeric, x->numeric);
		}
		if (!dup) {
			memcpy(&x->sa, ai->ai_addr, ai->ai_addrlen);
			x->len = ai->ai_addrlen;
			(*n)++;
		}
	}
	freeaddrinfo(res);
	return *n ? NULL : "no IPv4 or IPv6 address";
}

/*
 * Can a socket like the one lws makes (SO_REUSEADDR; IPv6-only) bind a at
 * port? 0 or the errno: lws itself only says that it failed.
 */
static int probe(struct listen_addr *a, int port)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1,
		e = 0;

	if (fd < 0) {
		return errno;
	}
	if (a->sa.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a->sa, a->len)) {
		e = errno;
	}
	close(fd);
	return e;
}

static bool is_literal(const char *host)
{
	unsigned char b[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, b) == 1 ||
		inet_pton(AF_INET6, host, b) == 1;
}

/*
 * Where a browser finds the chat page: the first address listened on (every
 * address serves the same room), or for every interface the loopback one
 * of its family, the address that surely reaches this machine.
 */
static void announce_page(const struct listen_addr *x, int port)
{
	const bool v6 = x->sa.ss_family == AF_INET6;
	const char *host = x->numeric;

	if (!strcmp(host, "0.0.0.0")) {
		host = "127.0.0.1";
	} else if (!strcmp(host, "::")) {
		host = "::1";
	}
	log_info("the chat page: http://%s%s%s:%d/", v6 ? "[" : "", host,
		v6 ? "]" : "", port);
}

/*
 * Create one vhost per address of host (all on one port: port 0 takes the
 * first one's); print "listening on" for each and where the page is, or
 * one error and false.
 */
static bool listen_all(struct lws_context *ctx, struct listening *l,
		const char *host, int port,
		struct lws_context_creation_info *info, struct lws_vhost **first)
{
	struct listen_addr *a = l->a;
	struct lws_vhost *vhs[LISTEN_MAX];
	const bool v6host = strchr(host, ':') != NULL;
	size_t n = 0, bound = 0, idx[LISTEN_MAX];
	const char *why = resolve(host, a, &n);
	int err = 0;

	for (size_t i = 0; !why && i < n; i++) {
		const bool v6 = a[i].sa.ss_family == AF_INET6;
		int e = probe(&a[i], port);

		if (e && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT) &&
				!is_literal(host) && (bound || i + 1 < n)) {
			err = err ? err : e;
			continue;   // a name's address this machine lacks
		}
		if (e) {
			why = strerror(e);
			break;
		}
		snprintf(l->vname[i], sizeof(l->vname[i]), "wsc%zu", i);
		info->vhost_name = l->vname[i];
		info->iface = a[i].numeric;
		info->port = port;
		// every accepted socket is a raw one, bound to the room
		info->options = LWS_SERVER_OPTION_ONLY_RAW |
			LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | (v6 ?
			LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
			LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE :
			LWS_SERVER_OPTION_DISABLE_IPV6);
		vhs[bound] = lws_create_vhost(ctx, info);
		if (!vhs[bound]) {
			e = probe(&a[i], port);
			why = e ? strerror(e) : "libwebsockets could not listen";
			break;
		}
		if (!port) {
			port = lws_get_vhost_listen_port(vhs[bound]);
		}
		idx[bound++] = i;
	}
	if (!why && !bound) {
		why = strerror(err);
	}
	if (why) {
		log_err("cannot listen on %s%s%s:%d: %s", v6host ? "[" : "", host,
			v6host ? "]" : "", port, why);
		return false;
	}
	l->where[0] = '\0';
	for (size_t i = 0; i < bound; i++) {
		const struct listen_addr *x = &a[idx[i]];
		const bool v6 = x->sa.ss_family == AF_INET6;
		size_t at = strlen(l->where);

		log_note("listening on %s%s%s:%d", v6 ? "[" : "", x->numeric,
			v6 ? "]" : "", port);
		snprintf(l->where + at, sizeof(l->where) - at, "%s%s%s%s:%d",
			i ? " and " : "", v6 ? "[" : "", x->numeric, v6 ? "]" : "",
			port);
	}
	announce_page(&a[idx[0]], port);
	*first = vhs[0];
	return true;
}

const char *server_where(const struct listening *l)
{
	return l->where;
}

/* Descriptors open now (those inherited, stdio, the signalfd, ...). */
static unsigned long open_files(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned long n = 0;

	if (!d) {
		return 64;      // no /proc: a generous guess
	}
	while (readdir(d)) {
		n++;
	}
	closedir(d);
	return n > 3 ? n - 3 : 0;   // ".", ".." and the directory's own
}

/*
 * How many connections the room takes (admit.h), with the soft open file
 * limit set to match and libwebsockets told the same (its table of
 * descriptors is as large as the limit: no descriptor it cannot hold).
 * Besides what is open now the room opens lws's pipe (2) and up to
 * LISTEN_MAX listening sockets.
 */
static bool set_limits(struct room *r, unsigned long requested)
{
	struct rlimit rl;
	unsigned long hard;
	char why[200];

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max = 1024;
	}
	// unlimited counts as plenty; the hard limit itself is left as it is
	hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1UL << 24) ?
		1UL << 24 : (unsigned long)rl.rlim_max;
	if (!admit_limits(hard, open_files() + 2 + LISTEN_MAX, requested,
			&r->lim, why, sizeof(why))) {
		log_err("%s", why);
		return false;
	}
	rl.rlim_cur = r->lim.nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		log_err("cannot set the open file limit to %lu: %s", r->lim.nofile,
			strerror(errno));
		return false;
	}
	return true;
}

struct lws_vhost *server_listen(void *ctx, struct lws_context *lc,
		struct lws_context_creation_info *info)
{
	struct room *r = ctx;
	struct lws_vhost *vh = NULL;

	if (!listen_all(lc, r->listening, r->host, r->port, info, &vh)) {
		return NULL;
	}
	if (r->w->interactive) {
		log_info("type a line to send it to every client; Ctrl-D or /quit "
			"closes the room");
	}
	return vh;
}

enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd)
{
	const struct lws_protocols own[] = {
		// the room: every accepted socket, raw (wsc speaks HTTP and
		// WebSocket)
		{ "wsc-room", server_cb, 0, 0, 0, NULL, 0 },
	};
	struct lws_context_creation_info info;
	enum wsc_exit rc;
	struct listening where;
	struct room room;
	struct wsc w;

	memset(&room, 0, sizeof(room));
	room.w = &w;
	room.listening = &where;
	room.opts = opts;
	room.chat = !opts->plain && !opts->echo;
	snprintf(room.name, sizeof(room.name), "%s", ROOMNAME_CONSOLE);
	snprintf(room.host, sizeof(room.host), "%s", opts->listen_host);
	room.port = opts->listen_port;
	roombudget_init(&room.budget, room_max(&room));
	if (!wsc_init(&w, opts, &room_endpoint, &room, &room.input)) {
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	room.page = chatpage_render(opts->protocols, room.chat,
		&room.page_len);
	if (!room.page) {
		log_err("out of memory");
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}
	if (!set_limits(&room, opts->max_clients)) {
		free(room.page);
		wsc_finish(&w);
		return WSC_EXIT_FAILURE;
	}

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = (unsigned)room.lim.nofile;
	info.timeout_secs = 10;
	info.pt_serv_buf_size = 256 * 1024;     // what one RAW_RX may bring
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = "wsc-room";
	rc = wsc_run(&w, &info, own, 1, sigfd) ? WSC_EXIT_OK :
		WSC_EXIT_FAILURE;
	free(room.page);
	roomz_free(&room.z);
	buf_free(&room.in_msg);
	wsc_finish(&w);
	return rc;
}
