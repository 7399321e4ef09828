/*
 * load-listen.c - the load check for `wsc --listen`: one epoll
 * process that is N chat clients at once.
 *
 *   load-listen [-n CLIENTS] [-m MESSAGES] [-w WINDOW] [-t SECS] [-p SECS]
 *               [-s SIZE] [-S] HOST:PORT
 *
 * Opens CLIENTS connections (default 200) to a wsc -l on HOST:PORT,
 * completes every handshake (Sec-WebSocket-Accept checked), and only then
 * lets every client send MESSAGES text messages (default 1000), masked, each
 * "c<client>-<seq>" padded with 'x' to SIZE bytes (default 32), while all of
 * them read everything.
 *
 * Pacing: client c may send its message j only once every other client has
 * received c's message j - WINDOW (default 8). So no client ever has more
 * than (CLIENTS - 1) * WINDOW messages on their way to it, in wsc's queues
 * and the kernel's buffers together; with the defaults that is 1,592
 * messages, ~150 KiB of frames. A larger WINDOW lets wsc's queues grow; a
 * huge one (>= MESSAGES) sends everything at once.
 *
 * With -S, one more client joins first and is a slow reader: a receive
 * buffer of 4 KiB, from which it takes 1 KiB every 100 ms while the load
 * runs; it sends nothing and is not one of the CLIENTS (nobody waits for
 * it). Once the load is over it reads all that is left (each read within
 * 10 s of the last) and must find, after some whole messages, Close 1008:
 * the room dropped it and told it so. Its figures join the "ok" line:
 * slow_msgs (whole messages it got) and slow_close (1008).
 *
 * Verified: every client receives, from every other client, its messages
 * 0..MESSAGES-1 exactly once and in order (a gap, a repeat, a message out of
 * order, a client's own message, a malformed payload, a masked or
 * fragmented-oddly frame all fail), CLIENTS * (CLIENTS - 1) * MESSAGES
 * deliveries in all; no Close arrives and no connection drops during the
 * run. At the end every client sends Close 1000 and must get Close 1000
 * back. The whole run is bounded by -t (default 300 s).
 *
 * On success prints one line on stdout:
 *   ok clients=N messages=M window=W size=S deliveries=D connect_ms=...
 *   load_s=... close_ms=... total_s=... rate=... peak_inflight=...
 * (load_s: from the first message sent to the last delivery; rate:
 * deliveries / load_s; peak_inflight: the most messages ever sent to one
 * client and not yet received by it). With -p SECS, a progress line goes to
 * stderr every SECS. On failure: "load-listen: FAIL ..." lines on stderr
 * (when connections are dropped, the first 20 and a count, collected for
 * 3 s after the first one) and exit status 1; usage errors exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wsb.h"

#define RX_CAP    (64 * 1024)
#define MSG_MAX   64             // largest payload accepted (ours are SIZE)
#define HS_MAX    8192
#define GRACE_NS  3000000000ULL  // after a failure: collect more, then stop
#define CLOSE_NS  10000000000ULL // for the closing handshakes

enum cstate { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSING, C_DONE, C_DEAD };

struct client {
	int fd;
	unsigned idx;
	enum cstate st;
	char key[32];
	unsigned char *rx;
	size_t rx_len;
	unsigned char *out;
	size_t out_off, out_len, out_cap;
	int want_out;

	uint32_t sent;          // messages sent; the next seq
	uint32_t acked;         // every other client has this many of ours
	uint32_t reached;       // clients that have more than `acked` of ours
	int ready;              // on the send list
	uint64_t got;           // messages received
	uint32_t inflight;      // sent to us by others, not yet received

	int in_msg;             // a fragmented message is being assembled
	unsigned char msg[MSG_MAX];
	size_t msg_len;
};

static unsigned n_clients = 200, n_msgs = 1000, window = 8, msg_size = 32;
static unsigned timeout_s = 300, progress_s;
static struct client *cl;
static uint32_t *rcv;           // rcv[r * N + s]: messages r got from s
static unsigned *sendlist, n_send;
static uint64_t total, expected;
static uint32_t peak_inflight;
static unsigned n_open, n_done, n_dead;
static int ep;
static uint64_t rng;
static int closing_phase;
static uint64_t fail_at;        // first failure (0: none)
static unsigned fails;
static struct sockaddr_in addr;
static char hostport[64];
static uint64_t t_open;         // every client connected; the load starts
static int slow_fd = -1;        // -S: the slow reader
static unsigned char *slow_buf; // what it has read
static size_t slow_len, slow_cap;
#define SLOW_EVERY_NS 100000000ULL  // it reads 1 KiB that often

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (!fail_at) {
		fail_at = wsb_now_ns();
	}
	if (++fails <= 20) {
		fputs("load-listen: FAIL ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static void set_events(struct client *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
	if (c->st == C_CONNECTING) {
		ev.events = EPOLLOUT;
	}
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		perror("load-listen: epoll_ctl");
		exit(1);
	}
}

static void drop(struct client *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void kill_client(struct client *c)
{
	if (c->st != C_DEAD && c->st != C_DONE) {
		c->st = C_DEAD;
		n_dead++;
	}
	drop(c);
}

/* --- output --- */

static void flush_out(struct client *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN) {
				break;
			}
			fail("client %u: send: %s (after %" PRIu64 " of its %" PRIu64
				" deliveries, %u of its messages sent)", c->idx,
				strerror(errno), c->got,
				(uint64_t)(n_clients - 1) * n_msgs, c->sent);
			kill_client(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	}
	if (c->fd >= 0 && c->want_out != (c->out_len > 0)) {
		c->want_out = c->out_len > 0;
		set_events(c);
	}
}

static unsigned char *out_reserve(struct client *c, size_t n)
{
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = (c->out_len + n) * 2;
		unsigned char *o = realloc(c->out, cap);

		if (!o) {
			fprintf(stderr, "load-listen: out of memory\n");
			exit(1);
		}
		c->out = o;
		c->out_cap = cap;
	}
	return c->out + c->out_len;
}

// One masked frame, FIN set.
static void put_frame(struct client *c, int opcode, const unsigned char *p,
		size_t len)
{
	unsigned char *h = out_reserve(c, len + 14);
	uint64_t r = wsb_rand(&rng);
	size_t hl;

	h[0] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		h[1] = (unsigned char)(0x80 | len);
		hl = 2;
	} else {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	}
	memcpy(h + hl, &r, 4);
	wsb_mask_copy(h + hl + 4, p, len, h + hl, 0);
	c->out_len += hl + 4 + len;
}

static size_t make_payload(unsigned char *p, unsigned from, uint32_t seq)
{
	int n = snprintf((char *)p, MSG_MAX, "c%u-%" PRIu32, from, seq);

	if ((unsigned)n < msg_size) {
		memset(p + n, WSB_FILL, msg_size - (unsigned)n);
		n = (int)msg_size;
	}
	return (size_t)n;
}

// Sends what the window allows.
static void fill(struct client *c)
{
	unsigned char p[MSG_MAX];

	if (c->st != C_OPEN || fail_at) {
		return;
	}
	while (c->sent < n_msgs && c->sent < c->acked + window) {
		put_frame(c, 1, p, make_payload(p, c->idx, c->sent));
		c->sent++;
		for (unsigned r = 0; r < n_clients; r++) {
			if (r != c->idx && ++cl[r].inflight > peak_inflight) {
				peak_inflight = cl[r].inflight;
			}
		}
	}
	flush_out(c);
}

static void want_send(struct client *c)
{
	if (!c->ready && c->sent < n_msgs) {
		c->ready = 1;
		sendlist[n_send++] = c->idx;
	}
}

static void send_close(struct client *c)
{
	unsigned char p[2] = { 1000 >> 8, 1000 & 255 };

	put_frame(c, 8, p, 2);
	c->st = C_CLOSING;
	flush_out(c);
}

/* --- input --- */

// Client r has one more message from sender s: move s's window on.
static void advance(unsigned r, unsigned s)
{
	struct client *snd = &cl[s];

	if (rcv[(size_t)r * n_clients + s] != snd->acked + 1) {
		return;
	}
	if (++snd->reached < n_clients - 1) {
		return;
	}
	while (snd->reached == n_clients - 1) {
		snd->acked++;
		snd->reached = 0;
		for (unsigned k = 0; k < n_clients; k++) {
			if (k != s && rcv[(size_t)k * n_clients + s] > snd->acked) {
				snd->reached++;
			}
		}
	}
	want_send(snd);
}

static int is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static void on_message(struct client *c, const unsigned char *p, size_t len)
{
	uint64_t from = 0, seq = 0;
	size_t i = 1;
	uint32_t *cnt;

	if (len < 4 || p[0] != 'c' || !is_digit(p[1])) {
		goto bad;
	}
	while (i < len && is_digit(p[i]) && i < 12) {
		from = from * 10 + (p[i++] - '0');
	}
	if (i >= len || p[i++] != '-' || i >= len || !is_digit(p[i])) {
		goto bad;
	}
	while (i < len && is_digit(p[i]) && i < 24) {
		seq = seq * 10 + (p[i++] - '0');
	}
	if (from >= n_clients) {
		goto bad;
	}
	{
		unsigned char want[MSG_MAX];
		size_t wl = make_payload(want, (unsigned)from, (uint32_t)seq);

		if (wl != len || memcmp(want, p, len)) {
			goto bad;
		}
	}
	if (from == c->idx) {
		fail("client %u got its own message %" PRIu64, c->idx, seq);
		return;
	}
	cnt = &rcv[(size_t)c->idx * n_clients + from];
	if (seq != *cnt) {
		fail("client %u got message %" PRIu64 " of client %" PRIu64
			", expected %" PRIu32 " (%s)", c->idx, seq, from, *cnt,
			seq < *cnt ? "a repeat or out of order" :
			"messages lost or out of order");
		return;
	}
	++*cnt;
	c->got++;
	c->inflight--;
	total++;
	advance(c->idx, (unsigned)from);
	return;
bad:
	fail("client %u: unexpected message (%zu bytes) '%.*s'", c->idx, len,
		(int)(len > 48 ? 48 : len), (const char *)p);
}

static void on_close(struct client *c, const unsigned char *p, size_t len)
{
	unsigned code = len >= 2 ? (unsigned)(p[0] << 8 | p[1]) : 1005;

	if (c->st == C_CLOSING && closing_phase) {
		if (code != 1000) {
			fail("client %u: the server answered our Close 1000 with "
				"%u '%.*s'", c->idx, code,
				(int)(len > 2 ? len - 2 : 0), (const char *)p + 2);
		}
		c->st = C_DONE;
		n_done++;
		drop(c);
		return;
	}
	fail("client %u: the server closed it with %u '%.*s' after it had "
		"received %" PRIu64 " of %" PRIu64 " messages and sent %" PRIu32
		" of %u (%.1f s into the load; %" PRIu64 " deliveries in all so far)",
		c->idx, code, (int)(len > 2 ? len - 2 : 0), (const char *)p + 2,
		c->got, (uint64_t)(n_clients - 1) * n_msgs, c->sent, n_msgs,
		t_open ? (double)(wsb_now_ns() - t_open) / 1e9 : 0.0, total);
	kill_client(c);
}

// Parses whole frames in c->rx.
static void parse(struct client *c)
{
	unsigned char *p = c->rx;
	size_t avail = c->rx_len;

	while (avail >= 2 && c->fd >= 0) {
		int fin = p[0] & 0x80, op = p[0] & 15;
		uint64_t len = p[1] & 127;
		size_t hl = 2;

		if (p[0] & 0x70) {
			fail("client %u: frame with RSV bits 0x%02x", c->idx, p[0]);
			kill_client(c);
			return;
		}
		if (p[1] & 0x80) {
			fail("client %u: the server sent a masked frame", c->idx);
			kill_client(c);
			return;
		}
		if (len == 126) {
			if (avail < 4) {
				break;
			}
			len = (uint64_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (len == 127) {
			fail("client %u: unexpected 64-bit frame length", c->idx);
			kill_client(c);
			return;
		}
		if (len > MSG_MAX) {
			fail("client %u: frame of %" PRIu64 " bytes (opcode %d), "
				"larger than any message sent", c->idx, len, op);
			kill_client(c);
			return;
		}
		if (avail < hl + len) {
			break;
		}
		p += hl;
		avail -= hl;
		switch (op) {
		case 0:
		case 1:
			if ((op == 0) != (c->in_msg != 0) ||
					c->msg_len + len > MSG_MAX) {
				fail("client %u: bad fragmentation (opcode %d)",
					c->idx, op);
				kill_client(c);
				return;
			}
			memcpy(c->msg + c->msg_len, p, (size_t)len);
			c->msg_len += (size_t)len;
			c->in_msg = !fin;
			if (fin) {
				on_message(c, c->msg, c->msg_len);
				c->msg_len = 0;
			}
			break;
		case 8:
			on_close(c, p, (size_t)len);
			return;
		case 9:
			put_frame(c, 10, p, (size_t)len);
			flush_out(c);
			break;
		case 10:
			break;
		default:
			fail("client %u: frame with opcode %d", c->idx, op);
			kill_client(c);
			return;
		}
		p += len;
		avail -= len;
	}
	if (c->fd < 0) {
		return;
	}
	if (avail && p != c->rx) {
		memmove(c->rx, p, avail);
	}
	c->rx_len = avail;
}

/* --- handshake --- */

static void start_handshake(struct client *c)
{
	unsigned char nonce[16];
	char req[512];
	int n;

	for (int i = 0; i < 16; i += 8) {
		uint64_t r = wsb_rand(&rng);

		memcpy(nonce + i, &r, 8);
	}
	wsb_base64(nonce, 16, c->key);
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		hostport, c->key);
	memcpy(out_reserve(c, (size_t)n), req, (size_t)n);
	c->out_len += (size_t)n;
	c->st = C_HANDSHAKE;
	c->want_out = 1;        // set_events below settles it
	set_events(c);
	flush_out(c);
}

static void on_connected(struct client *c)
{
	int err = 0;
	socklen_t el = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		fail("client %u: connect: %s", c->idx, strerror(err));
		kill_client(c);
		return;
	}
	start_handshake(c);
}

static void check_response(struct client *c)
{
	char *end, *a, acc[32];
	size_t hl;

	c->rx[c->rx_len < RX_CAP ? c->rx_len : RX_CAP - 1] = '\0';
	end = strstr((char *)c->rx, "\r\n\r\n");
	if (!end) {
		if (c->rx_len > HS_MAX) {
			fail("client %u: handshake response too long", c->idx);
			kill_client(c);
		}
		return;
	}
	hl = (size_t)(end + 4 - (char *)c->rx);
	*end = '\0';
	if (strncmp((char *)c->rx, "HTTP/1.1 101", 12)) {
		fail("client %u: handshake answered '%.40s'", c->idx, c->rx);
		kill_client(c);
		return;
	}
	wsb_accept(c->key, strlen(c->key), acc);
	a = strcasestr((char *)c->rx, "\r\nsec-websocket-accept:");
	if (a) {
		a += 23;
		while (*a == ' ' || *a == '\t') {
			a++;
		}
	}
	if (!a || strncmp(a, acc, strlen(acc))) {
		fail("client %u: wrong or missing Sec-WebSocket-Accept", c->idx);
		kill_client(c);
		return;
	}
	memmove(c->rx, c->rx + hl, c->rx_len - hl);
	c->rx_len -= hl;
	c->st = C_OPEN;
	n_open++;
	if (c->rx_len) {
		parse(c);     // nothing is sent before everyone is in, but still
	}
}

static void on_readable(struct client *c)
{
	ssize_t n;

	if (c->rx_len == RX_CAP) {
		fail("client %u: receive buffer full", c->idx);
		kill_client(c);
		return;
	}
	n = recv(c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len - 1, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			return;
		}
	}
	if (n <= 0) {
		fail("client %u: connection %s without a Close (state %d, after "
			"%" PRIu64 " of %" PRIu64 " messages received, %" PRIu32
			" of %u sent)", c->idx, n == 0 ? "closed" : strerror(errno),
			c->st, c->got, (uint64_t)(n_clients - 1) * n_msgs, c->sent,
			n_msgs);
		kill_client(c);
		return;
	}
	c->rx_len += (size_t)n;
	if (c->st == C_HANDSHAKE) {
		check_response(c);
	} else {
		parse(c);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: load-listen [-n CLIENTS] [-m MESSAGES] "
		"[-w WINDOW] [-t SECS] [-p SECS] [-s SIZE] [-S] HOST:PORT\n");
	exit(2);
}

/* --- the slow reader (-S) --- */

// Read up to n bytes into slow_buf (blocking, as its socket is); <= 0: end.
static ssize_t slow_read(size_t n, int flags)
{
	ssize_t r;

	if (slow_len + n > slow_cap) {
		slow_cap = (slow_len + n) * 2;
		slow_buf = realloc(slow_buf, slow_cap);
		if (!slow_buf) {
			fprintf(stderr, "load-listen: out of memory\n");
			exit(1);
		}
	}
	r = recv(slow_fd, slow_buf + slow_len, n, flags);
	if (r > 0) {
		slow_len += (size_t)r;
	}
	return r;
}

/* Connect and complete the handshake (blocking); false on failure. */
static bool slow_join(void)
{
	struct timeval tv = { .tv_sec = 10 };
	int rcvbuf = 4096;
	char req[512];
	char *end;
	int n;

	slow_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (slow_fd < 0) {
		return false;
	}
	setsockopt(slow_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(slow_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(slow_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		return false;
	}
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: c2xvdyByZWFkZXIgMTIzNA==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n", hostport);
	if (send(slow_fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		return false;
	}
	while (!slow_buf || !(end = memmem(slow_buf, slow_len, "\r\n\r\n", 4))) {
		if (slow_read(512, 0) <= 0) {
			return false;
		}
	}
	if (slow_len < 12 || memcmp(slow_buf, "HTTP/1.1 101", 12)) {
		return false;
	}
	end += 4;
	slow_len -= (size_t)(end - (char *)slow_buf);
	memmove(slow_buf, end, slow_len);
	return true;
}

/*
 * After the load: read the rest, then count whole messages up to the
 * Close. Returns the Close code (0: none, cut off).
 */
static unsigned slow_finish(unsigned *msgs)
{
	size_t off = 0;

	while (slow_read(65536, 0) > 0) {
	}
	*msgs = 0;
	while (slow_len - off >= 2) {
		unsigned op = slow_buf[off] & 0x0f;
		uint64_t len = slow_buf[off + 1] & 0x7f;
		size_t h = 2;

		if (len == 126 || len == 127) {
			size_t k = len == 126 ? 2 : 8;

			if (slow_len - off < 2 + k) {
				break;
			}
			len = 0;
			for (size_t i = 0; i < k; i++) {
				len = len << 8 | slow_buf[off + 2 + i];
			}
			h += k;
		}
		if (slow_len - off - h < len) {
			break;      // cut off in a frame
		}
		if (op == 0x8) {
			return len >= 2 ? (unsigned)(slow_buf[off + h] << 8 |
				slow_buf[off + h + 1]) : 1005;
		}
		*msgs += op == 0x1;
		off += h + (size_t)len;
	}
	return 0;
}

static unsigned num(const char *s, unsigned lo, unsigned hi)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);

	if (!*s || *e || v < lo || v > hi) {
		usage();
	}
	return (unsigned)v;
}

static double secs(uint64_t a, uint64_t b)
{
	return (double)(b - a) / 1e9;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	uint64_t t0, t_load_end = 0, t_end, deadline, next_progress = 0;
	uint64_t last_total = 0, last_t, next_slow = 0;
	unsigned slow_msgs = 0, slow_close = 0;
	char host[48];
	const char *colon;
	int opt;

	while ((opt = getopt(argc, argv, "n:m:w:t:p:s:S")) != -1) {
		switch (opt) {
		case 'n': n_clients = num(optarg, 2, 100000); break;
		case 'm': n_msgs = num(optarg, 1, 1000000000); break;
		case 'w': window = num(optarg, 1, 1000000000); break;
		case 't': timeout_s = num(optarg, 1, 86400); break;
		case 'p': progress_s = num(optarg, 0, 3600); break;
		case 's': msg_size = num(optarg, 24, MSG_MAX); break;
		case 'S': slow_fd = 0; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !(colon = strrchr(argv[optind], ':')) ||
			(size_t)(colon - argv[optind]) >= sizeof(host)) {
		usage();
	}
	memcpy(host, argv[optind], (size_t)(colon - argv[optind]));
	host[colon - argv[optind]] = '\0';
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)num(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "load-listen: HOST must be an IPv4 address\n");
		return 2;
	}
	snprintf(hostport, sizeof(hostport), "%s", argv[optind]);

	signal(SIGPIPE, SIG_IGN);
	rng = wsb_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	cl = calloc(n_clients, sizeof(*cl));
	rcv = calloc((size_t)n_clients * n_clients, sizeof(*rcv));
	sendlist = calloc(n_clients, sizeof(*sendlist));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cl || !rcv || !sendlist || ep < 0) {
		fprintf(stderr, "load-listen: out of memory\n");
		return 1;
	}
	expected = (uint64_t)n_clients * (n_clients - 1) * n_msgs;
	if (slow_fd == 0 && !slow_join()) {
		fprintf(stderr, "load-listen: FAIL the slow reader could not join: "
			"%s\n", strerror(errno));
		return 1;
	}
	t0 = wsb_now_ns();
	deadline = t0 + (uint64_t)timeout_s * 1000000000ULL;

	for (unsigned i = 0; i < n_clients; i++) {
		struct client *c = &cl[i];
		struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
		int one = 1;

		c->idx = i;
		c->rx = malloc(RX_CAP);
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (!c->rx || c->fd < 0) {
			fprintf(stderr, "load-listen: socket: %s\n", strerror(errno));
			return 1;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->st = C_CONNECTING;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			perror("load-listen: epoll_ctl");
			return 1;
		}
		if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 &&
				errno != EINPROGRESS) {
			fail("client %u: connect: %s", i, strerror(errno));
			kill_client(c);
		}
	}
	last_t = t0;

	for (;;) {
		uint64_t now = wsb_now_ns(), until = deadline;
		int n, ms;

		if (fail_at) {
			if (now >= fail_at + GRACE_NS) {
				break;
			}
			if (fail_at + GRACE_NS < until) {
				until = fail_at + GRACE_NS;
			}
		}
		if (now >= deadline) {
			fail("deadline of %u s passed: %s; %" PRIu64 " of %" PRIu64
				" deliveries, %u of %u clients open", timeout_s,
				!t_open ? "not every client got connected" :
				!closing_phase ? "the load did not finish" :
				"not every Close was answered", total, expected,
				n_open, n_clients);
			break;
		}
		if (progress_s && next_progress && now >= next_progress) {
			fprintf(stderr, "load-listen: %.0f s: %" PRIu64 " of %" PRIu64
				" deliveries (%.1f%%), %.0f/s now\n", secs(t_open, now),
				total, expected, 100.0 * (double)total / (double)expected,
				(double)(total - last_total) / secs(last_t, now));
			last_total = total;
			last_t = now;
			next_progress = now + (uint64_t)progress_s * 1000000000ULL;
		}
		if (next_progress && next_progress < until) {
			until = next_progress;
		}
		if (slow_fd >= 0 && t_open && !closing_phase) {
			if (now >= next_slow) {
				slow_read(1024, MSG_DONTWAIT);
				next_slow = now + SLOW_EVERY_NS;
			}
			if (next_slow < until) {
				until = next_slow;
			}
		}
		ms = (int)((until - now) / 1000000 + 1);
		n = epoll_wait(ep, evs, 256, ms);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			perror("load-listen: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			if (c->fd < 0) {
				continue;
			}
			if (c->st == C_CONNECTING) {
				on_connected(c);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				on_readable(c);
			}
			if (c->fd >= 0 && (evs[i].events & EPOLLOUT)) {
				flush_out(c);
			}
		}
		if (fail_at) {
			continue;       // nothing more is sent; collect for the grace
		}
		if (!t_open && n_open == n_clients) {
			// everyone is in: only now can every message reach everyone
			t_open = wsb_now_ns();
			if (progress_s) {
				next_progress = t_open + (uint64_t)progress_s * 1000000000ULL;
			}
			last_t = t_open;
			for (unsigned i = 0; i < n_clients; i++) {
				want_send(&cl[i]);
			}
		}
		for (unsigned i = 0; i < n_send; i++) {
			struct client *c = &cl[sendlist[i]];

			c->ready = 0;
			fill(c);
		}
		n_send = 0;
		if (!closing_phase && total == expected && t_open) {
			t_load_end = wsb_now_ns();
			closing_phase = 1;
			for (unsigned i = 0; i < n_clients; i++) {
				send_close(&cl[i]);
			}
			if (deadline > t_load_end + CLOSE_NS) {
				deadline = t_load_end + CLOSE_NS;
			}
		}
		if (closing_phase && n_done == n_clients) {
			break;
		}
	}
	t_end = wsb_now_ns();
	if (fail_at) {
		unsigned short_of = 0;

		if (fails > 20) {
			fprintf(stderr, "load-listen: FAIL ... %u failures in all\n",
				fails);
		}
		for (unsigned i = 0; i < n_clients; i++) {
			uint64_t want = (uint64_t)(n_clients - 1) * n_msgs;

			short_of += cl[i].got < want;
		}
		fprintf(stderr, "load-listen: FAIL clients=%u messages=%u window=%u: "
			"%" PRIu64 " of %" PRIu64 " deliveries after %.1f s of load; "
			"%u connections dropped or failed, %u clients short of "
			"messages; peak in flight to one client %" PRIu32 "\n",
			n_clients, n_msgs, window, total, expected,
			t_open ? secs(t_open, fail_at) : 0.0, n_dead, short_of,
			peak_inflight);
		return 1;
	}
	if (slow_fd >= 0) {
		slow_close = slow_finish(&slow_msgs);
		if (slow_close != 1008) {
			fprintf(stderr, "load-listen: FAIL the slow reader got %u whole "
				"messages, then %s %u\n", slow_msgs, slow_close ?
				"Close" : "no Close: cut off", slow_close);
			return 1;
		}
	}
	printf("ok clients=%u messages=%u window=%u size=%u deliveries=%" PRIu64
		" connect_ms=%.1f load_s=%.3f close_ms=%.1f total_s=%.3f rate=%.0f"
		" peak_inflight=%" PRIu32, n_clients, n_msgs, window, msg_size,
		total, secs(t0, t_open) * 1e3, secs(t_open, t_load_end),
		secs(t_load_end, t_end) * 1e3, secs(t0, t_end),
		(double)total / secs(t_open, t_load_end), peak_inflight);
	if (slow_fd >= 0) {
		printf(" slow_msgs=%u slow_close=%u", slow_msgs, slow_close);
	}
	printf("\n");
	return 0;
}
