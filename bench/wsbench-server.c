/*
 * wsbench-server.c - a small, fast, single-threaded epoll WebSocket server
 * for the benchmark. The request path picks what a connection does:
 *
 *   /sink[?n=N&size=S]   read and count messages; with size (or n) given,
 *                        check that message i is the pattern (wsb.h) of
 *                        size S. When the client's Close arrives, reply with
 *                        a text message "count=N bytes=B bad=K" and Close.
 *   /source?n=N&size=S[&frag=F]
 *                        send N pattern messages of S bytes, each cut into
 *                        F-byte frames when F is given, then Close 1000.
 *   /echo                send every frame back as it arrives (streamed).
 *
 * Listens on 127.0.0.1 (port 0 unless -p PORT), prints the port on stdout,
 * then one line per finished connection:
 *   done id=K path=/sink msgs=N frames=F empty=E bytes=B bad=K us=T
 * (frames: data frames received, or sent by /source; empty: received data
 * frames without payload; us: microseconds from the end of the handshake to
 * the client's Close).
 * Stops on SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsb.h"

#define IN_CAP   (512 * 1024)
#define OUT_HIGH (1024 * 1024)   // stop generating/reading above this
#define OUT_CAP  (OUT_HIGH + IN_CAP + 64 * 1024)
#define HS_MAX   8192

enum mode { M_SINK, M_SOURCE, M_ECHO };

struct conn {
	int fd;
	unsigned id;
	int open;               // handshake done
	int want_out;           // EPOLLOUT registered
	int reading;            // EPOLLIN registered
	int hangup;             // close once the output is drained
	enum mode mode;
	char path[256];

	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_off, out_len;

	/* incoming frame state */
	int in_frame;
	uint64_t rem;           // payload bytes left in the current frame
	unsigned char key[4];
	uint64_t key_off;
	int fin, opcode;

	/* sink */
	int check;
	uint64_t size, n;
	uint64_t msgs, bytes, bad, frames, empty;
	uint64_t mpos;          // position in the current message
	int mbad;
	char dig[24];
	size_t dlen;

	/* source */
	uint64_t frag;
	uint64_t sidx;          // message being generated
	uint64_t spos;          // its position
	uint64_t slen;          // its length
	uint64_t frem;          // payload left in the frame being generated
	int sdone;

	int close_sent, close_rcvd;
	uint64_t t_open, t_close;
};

static int ep;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_events(struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = (c->reading ? EPOLLIN : 0) | (c->want_out ? EPOLLOUT : 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_free(struct conn *c)
{
	if (c->open) {
		printf("done id=%u path=%s msgs=%" PRIu64 " frames=%" PRIu64
			" empty=%" PRIu64 " bytes=%" PRIu64 " bad=%" PRIu64 " us=%"
			PRIu64 "%s\n", c->id, c->path, c->msgs, c->frames, c->empty,
			c->bytes, c->bad,
			c->t_close > c->t_open ? (c->t_close - c->t_open) / 1000 : 0,
			c->close_rcvd ? "" : " noclose");
		fflush(stdout);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static unsigned char *out_reserve(struct conn *c, size_t n)
{
	if (c->out_off && c->out_len + n > OUT_CAP) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > OUT_CAP) {
		return NULL;
	}
	return c->out + c->out_len;
}

static size_t out_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static size_t frame_header(unsigned char *h, int fin, int opcode, uint64_t len)
{
	h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++) {
		h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	}
	return 10;
}

static int out_frame(struct conn *c, int opcode, const void *p, size_t len)
{
	unsigned char *o = out_reserve(c, len + 10);
	size_t h;

	if (!o) {
		return -1;
	}
	h = frame_header(o, 1, opcode, len);
	memcpy(o + h, p, len);
	c->out_len += h + len;
	return 0;
}

static void send_close(struct conn *c, unsigned code)
{
	unsigned char p[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	if (!c->close_sent) {
		out_frame(c, 8, p, code ? 2 : 0);
		c->close_sent = 1;
	}
}

/* --- source: generate frames straight into the output buffer --- */

static void source_fill(struct conn *c)
{
	while (!c->sdone && out_pending(c) < OUT_HIGH) {
		unsigned char *o;
		size_t room, k;

		if (c->frem == 0) {
			uint64_t flen;

			if (c->sidx >= c->n) {
				send_close(c, 1000);
				c->sdone = 1;
				break;
			}
			if (c->spos == 0) {
				c->dlen = wsb_utoa(c->sidx, c->dig);
				c->slen = c->size > c->dlen ? c->size : c->dlen;
			}
			flen = c->slen - c->spos;
			if (c->frag && flen > c->frag) {
				flen = c->frag;
			}
			o = out_reserve(c, 10);
			c->out_len += frame_header(o, c->spos + flen == c->slen,
				c->spos ? 0 : 1, flen);
			c->frem = flen;
			c->frames++;
			if (flen == 0) {   // empty message
				c->sidx++;
				c->msgs++;
				continue;
			}
		}
		o = out_reserve(c, 1);
		room = OUT_CAP - c->out_len;
		k = c->frem < room ? (size_t)c->frem : room;
		if (k > OUT_HIGH) {
			k = OUT_HIGH;
		}
		wsb_pattern(o, c->dig, c->dlen, c->spos, k);
		c->out_len += k;
		c->spos += k;
		c->frem -= k;
		c->bytes += k;
		if (c->spos == c->slen) {
			c->spos = 0;
			c->sidx++;
			c->msgs++;
		}
	}
}

/* --- incoming frames --- */

static void sink_data(struct conn *c, const unsigned char *p, size_t len)
{
	c->bytes += len;
	if (c->check && !c->mbad) {
		if (c->mpos == 0 && len) {
			c->dlen = wsb_utoa(c->msgs, c->dig);
		}
		if (c->mpos + len > (c->size > c->dlen ? c->size : c->dlen) ||
				!wsb_pattern_ok(p, c->dig, c->dlen, c->mpos, len)) {
			c->mbad = 1;
		}
	}
	c->mpos += len;
}

static void sink_end(struct conn *c)
{
	if (c->check) {
		if (c->mpos == 0) {
			c->dlen = wsb_utoa(c->msgs, c->dig);
		}
		if (c->mbad || c->mpos != (c->size > c->dlen ? c->size : c->dlen)) {
			c->bad++;
		}
	}
	c->msgs++;
	c->mpos = 0;
	c->mbad = 0;
}

static void on_close_frame(struct conn *c, const unsigned char *p, size_t len)
{
	unsigned code = len >= 2 ? (unsigned)(p[0] << 8 | p[1]) : 0;

	c->close_rcvd = 1;
	c->t_close = wsb_now_ns();
	if (c->mode == M_SINK && !c->close_sent) {
		char msg[160];
		int n = snprintf(msg, sizeof(msg), "count=%" PRIu64 " bytes=%"
			PRIu64 " bad=%" PRIu64, c->msgs, c->bytes,
			c->bad + (c->check && c->n && c->msgs != c->n));

		out_frame(c, 1, msg, (size_t)n);
	}
	if (c->mode == M_SOURCE && !c->sdone) {
		// mid-message we cannot put a Close in; just drop the connection
		if (c->frem || c->spos) {
			c->hangup = 1;
			c->out_len = c->out_off;
			return;
		}
		c->sdone = 1;
	}
	send_close(c, code == 0 ? 0 : code);
	c->hangup = 1;
}

// Returns -1 when the connection must go.
static int parse_frames(struct conn *c)
{
	unsigned char *p = c->in;
	size_t avail = c->in_len;

	while (avail) {
		if (!c->in_frame) {
			size_t hl = 2, ext;
			uint64_t len;
			int masked;

			if (avail < 2) {
				break;
			}
			len = p[1] & 127;
			masked = p[1] & 0x80;
			ext = len == 126 ? 2 : len == 127 ? 8 : 0;
			hl += ext + (masked ? 4 : 0);
			if (avail < hl) {
				break;
			}
			c->fin = p[0] & 0x80;
			c->opcode = p[0] & 15;
			if (ext) {
				len = 0;
				for (size_t i = 0; i < ext; i++) {
					len = len << 8 | p[2 + i];
				}
			}
			if (masked) {
				memcpy(c->key, p + 2 + ext, 4);
			} else {
				memset(c->key, 0, 4);
			}
			if (c->opcode & 8) {   // control frame: whole, at most 125
				unsigned char ctl[125];

				if (len > 125 || !c->fin) {
					return -1;
				}
				if (avail < hl + len) {
					break;
				}
				wsb_mask_copy(ctl, p + hl, (size_t)len, c->key, 0);
				p += hl + len;
				avail -= hl + len;
				if (c->opcode == 8) {
					on_close_frame(c, ctl, (size_t)len);
					avail = 0;   // nothing may follow a Close
					break;
				} else if (c->opcode == 9) {
					out_frame(c, 10, ctl, (size_t)len);
				}
				continue;
			}
			p += hl;
			avail -= hl;
			c->in_frame = 1;
			c->frames++;
			c->empty += len == 0;
			c->rem = len;
			c->key_off = 0;
			if (c->mode == M_ECHO) {
				unsigned char *o = out_reserve(c, 10);

				c->out_len += frame_header(o, c->fin, c->opcode, len);
			}
		}
		if (c->rem) {
			size_t k = c->rem < avail ? (size_t)c->rem : avail;

			if (c->mode == M_ECHO) {
				unsigned char *o = out_reserve(c, k);

				wsb_mask_copy(o, p, k, c->key, c->key_off);
				c->out_len += k;
				c->bytes += k;
			} else if (c->mode == M_SINK) {
				wsb_mask_copy(p, p, k, c->key, c->key_off);
				sink_data(c, p, k);
			}
			c->key_off += k;
			c->rem -= k;
			p += k;
			avail -= k;
		}
		if (c->rem == 0) {
			c->in_frame = 0;
			if (c->fin) {
				if (c->mode == M_SINK) {
					sink_end(c);
				} else {
					c->msgs++;
				}
			}
			if (c->mode == M_ECHO && out_pending(c) >= OUT_HIGH) {
				break;
			}
		}
		if (c->mode == M_ECHO && out_pending(c) >= OUT_HIGH) {
			break;
		}
	}
	if (avail && p != c->in) {
		memmove(c->in, p, avail);
	}
	c->in_len = avail;
	return 0;
}

static uint64_t query_u64(const char *path, const char *name)
{
	const char *q = strchr(path, '?');
	size_t nl = strlen(name);

	while (q) {
		q++;
		if (!strncmp(q, name, nl) && q[nl] == '=') {
			return strtoull(q + nl + 1, NULL, 10);
		}
		q = strchr(q, '&');
	}
	return 0;
}

static int has_query(const char *path, const char *name)
{
	const char *q = strchr(path, '?');
	size_t nl = strlen(name);

	while (q) {
		q++;
		if (!strncmp(q, name, nl) && q[nl] == '=') {
			return 1;
		}
		q = strchr(q, '&');
	}
	return 0;
}

static int handshake(struct conn *c)
{
	char *end, *line, *key = NULL, acc[32];
	size_t klen = 0, hlen;
	int n;

	c->in[c->in_len] = '\0';
	end = strstr((char *)c->in, "\r\n\r\n");
	if (!end) {
		return c->in_len >= HS_MAX ? -1 : 0;
	}
	hlen = (size_t)(end + 4 - (char *)c->in);
	if (sscanf((char *)c->in, "GET %255s HTTP/1.1", c->path) != 1) {
		return -1;
	}
	for (line = strstr((char *)c->in, "\r\n"); line && line < end;
			line = strstr(line + 2, "\r\n")) {
		if (!strncasecmp(line + 2, "sec-websocket-key:", 18)) {
			key = line + 20;
			while (*key == ' ' || *key == '\t') {
				key++;
			}
			klen = strcspn(key, " \t\r");
		}
	}
	if (!strncmp(c->path, "/sink", 5)) {
		c->mode = M_SINK;
	} else if (!strncmp(c->path, "/source", 7)) {
		c->mode = M_SOURCE;
	} else if (!strncmp(c->path, "/echo", 5)) {
		c->mode = M_ECHO;
	} else {
		key = NULL;
	}
	if (!key) {
		static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n";
		unsigned char *o = out_reserve(c, sizeof(nf));

		memcpy(o, nf, sizeof(nf) - 1);
		c->out_len += sizeof(nf) - 1;
		c->hangup = 1;
		c->in_len = 0;
		return 1;
	}
	wsb_accept(key, klen, acc);
	n = snprintf((char *)c->out + c->out_len, 256,
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
	c->out_len += (size_t)n;
	c->n = query_u64(c->path, "n");
	c->size = query_u64(c->path, "size");
	c->frag = query_u64(c->path, "frag");
	c->check = c->mode == M_SINK && (has_query(c->path, "size") ||
		has_query(c->path, "n"));
	memmove(c->in, c->in + hlen, c->in_len - hlen);
	c->in_len -= hlen;
	c->open = 1;
	c->t_open = wsb_now_ns();
	return 1;
}

// Writes what is pending; returns -1 on a dead socket.
static int flush_out(struct conn *c)
{
	for (;;) {
		if (c->mode == M_SOURCE && c->open && !c->close_rcvd) {
			source_fill(c);
		}
		if (!out_pending(c)) {
			c->out_off = c->out_len = 0;
			return 0;
		}
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c),
			MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN ? 0 : -1;
		}
		c->out_off += (size_t)n;
	}
}

static void service(struct conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			ssize_t n;

			if (c->mode == M_ECHO && out_pending(c) >= OUT_HIGH) {
				break;
			}
			n = recv(c->fd, c->in + c->in_len,
				(c->open ? IN_CAP : HS_MAX) - c->in_len, 0);
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				break;
			}
			if (n <= 0) {
				conn_free(c);
				return;
			}
			c->in_len += (size_t)n;
			if (!c->open && !c->hangup) {
				int r = handshake(c);

				if (r < 0) {
					conn_free(c);
					return;
				}
				if (r == 0) {
					continue;
				}
			}
			if (c->open && !c->close_rcvd && parse_frames(c) < 0) {
				conn_free(c);
				return;
			}
			if (c->close_rcvd) {
				c->in_len = 0;
			}
			if (c->mode != M_SINK || out_pending(c)) {
				break;   // write what this produced before reading on
			}
		}
	}
	if (flush_out(c) < 0) {
		conn_free(c);
		return;
	}
	if (c->hangup && !out_pending(c)) {
		// half-close, then drain until the client goes
		shutdown(c->fd, SHUT_WR);
		if (c->close_rcvd || !c->open) {
			conn_free(c);
			return;
		}
	}
	c->want_out = out_pending(c) || (c->mode == M_SOURCE && !c->sdone &&
		c->open && !c->close_rcvd);
	c->reading = !(c->mode == M_ECHO && out_pending(c) >= OUT_HIGH);
	set_events(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct epoll_event evs[64], ev;
	int lfd, one = 1, port = 0, opt;
	unsigned ids = 0;
	struct sigaction sact = { .sa_handler = on_signal };

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt == 'p') {
			port = atoi(optarg);
		} else {
			fprintf(stderr, "usage: wsbench-server [-p PORT]\n");
			return 2;
		}
	}
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(lfd, 128) < 0 ||
			getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("wsbench-server: listen");
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

	while (!stop) {
		int n = epoll_wait(ep, evs, 64, 500);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					c->id = ++ids;
					c->in = malloc(IN_CAP + 1);
					c->out = malloc(OUT_CAP);
					c->reading = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
						sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			service(c, evs[i].events);
		}
	}
	return 0;
}
