/*
 * thin-client.c - the benchmark's "limit": a WebSocket client that keeps
 * wsc's pipe contract with as little work as possible.
 *
 *   thin-client [-b] [-c CAFILE] ws[s]://HOST:PORT/PATH
 *
 * Each stdin line (newline stripped) is one text (-b: binary) message; a
 * line longer than the 1 MiB input buffer goes out as several frames of one
 * message. Each received message is written to stdout followed by a
 * newline. At end of input: send Close 1000 and keep printing until the
 * server's Close (5 s at most). When the server closes first, answer and
 * exit at once. Exit status: 0 clean close (1000/1001/1005), 3 other codes,
 * 1 failure.
 *
 * Cheap on purpose: reads and writes of up to 1 MiB, frames built in place
 * in the socket buffer (header, then the payload masked while it is copied
 * from the input buffer), masks from xorshift64*, stdout written in large
 * batches with writev (big payloads straight from the receive buffer), and
 * every buffer flushed before the loop waits.
 *
 * Built with -DWSB_TLS (as thin-client-tls, linked to libssl; the plain
 * build does not load OpenSSL at all, which costs ~2 MiB of RSS and
 * milliseconds of start-up), wss:// goes through OpenSSL with the same
 * shape: the chain is
 * verified against CAFILE (-c; default: the system store) and the host (a
 * DNS name or an IP address, SNI for names), the handshake is blocking,
 * then SSL_write gets all pending frames at once (partial writes: each call
 * writes what the socket takes, a record at a time) and SSL_read drains
 * OpenSSL's read-ahead buffer (1 MiB, so one recv() reads many records)
 * into the 1 MiB receive buffer before the frames are parsed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#ifdef WSB_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#else
typedef struct ssl_st SSL;              // never set in the plain build
#endif
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wsb.h"

#define IN_CAP   (1024 * 1024)          // stdin buffer: longest unsplit line
#define SOUT_CAP (4 * 1024 * 1024)      // socket output buffer
#define SOUT_LOW (1024 * 1024)          // read stdin only below this
#define RX_CAP   (1024 * 1024)          // socket input buffer
#define OUT_CAP  (256 * 1024)           // stdout batch

static int sock;
static SSL *ssl;                        // wss:// only
static int tls_want_write;              // SSL_read needs the socket writable
static int rx_again;                    // TLS data left behind a full rx
static uint64_t rng;

static unsigned char *ibuf;             // stdin
static size_t i_off, i_len;
static int in_msg;                      // a long line is being sent in parts
static int stdin_eof;
static int opcode_data = 1;

static unsigned char *sout;             // socket output
static size_t so_off, so_len;

static unsigned char *rx;               // socket input
static size_t rx_len;

static unsigned char *obuf;             // stdout
static size_t o_len;

static int close_sent, close_rcvd;
static unsigned close_code = 1005;

__attribute__((noreturn)) static void die(const char *msg)
{
	fprintf(stderr, "thin-client: %s\n", msg);
	exit(1);
}

/* --- the transport: plain TCP or TLS --- */

// Like send(): bytes written, or -1 with errno (EAGAIN: try again later).
static ssize_t io_send(const void *p, size_t len)
{
#ifndef WSB_TLS
	return send(sock, p, len, MSG_NOSIGNAL);
#else
	int n, e;

	if (!ssl) {
		return send(sock, p, len, MSG_NOSIGNAL);
	}
	n = SSL_write(ssl, p, len > (1u << 30) ? 1 << 30 : (int)len);
	if (n > 0) {
		return n;
	}
	e = SSL_get_error(ssl, n);
	errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ?
		EAGAIN : EPIPE;
	return -1;
#endif
}

// Like recv(): bytes read, 0 at the end, or -1 with errno.
static ssize_t io_recv(void *p, size_t len)
{
#ifndef WSB_TLS
	return recv(sock, p, len, 0);
#else
	int n, e;

	if (!ssl) {
		return recv(sock, p, len, 0);
	}
	n = SSL_read(ssl, p, len > (1u << 30) ? 1 << 30 : (int)len);
	if (n > 0) {
		return n;
	}
	e = SSL_get_error(ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN) {
		return 0;
	}
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		tls_want_write = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		return 0;         // the peer hung up without close_notify
	}
	errno = EIO;
	return -1;
#endif
}

static void write_all(int fd, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			exit(errno == EPIPE ? 0 : 1);
		}
		b += n;
		len -= (size_t)n;
	}
}

static void out_flush(void)
{
	if (o_len) {
		write_all(1, obuf, o_len);
		o_len = 0;
	}
}

// Stdout: small pieces are batched; a big one goes out with the batch in
// one writev, straight from where it lies.
static void out_put(const unsigned char *p, size_t len)
{
	if (len >= OUT_CAP / 4) {
		struct iovec iov[2] = {
			{ obuf, o_len }, { (void *)p, len }
		};
		size_t total = o_len + len;

		while (total) {
			ssize_t n = writev(1, iov, 2);

			if (n < 0) {
				if (errno == EINTR) {
					continue;
				}
				exit(errno == EPIPE ? 0 : 1);
			}
			total -= (size_t)n;
			for (int i = 0; i < 2 && n; i++) {
				size_t k = (size_t)n < iov[i].iov_len ? (size_t)n :
					iov[i].iov_len;

				iov[i].iov_base = (char *)iov[i].iov_base + k;
				iov[i].iov_len -= k;
				n -= (ssize_t)k;
			}
		}
		o_len = 0;
		return;
	}
	if (o_len + len > OUT_CAP) {
		out_flush();
	}
	memcpy(obuf + o_len, p, len);
	o_len += len;
}

/* --- socket output --- */

static void sock_flush(void)
{
	while (so_off < so_len) {
		ssize_t n = io_send(sout + so_off, so_len - so_off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN) {
				break;
			}
			die("send failed");
		}
		so_off += (size_t)n;
	}
	if (so_off == so_len) {
		so_off = so_len = 0;
	} else if (so_off > SOUT_CAP / 2) {
		memmove(sout, sout + so_off, so_len - so_off);
		so_len -= so_off;
		so_off = 0;
	}
}

// Appends one masked frame; the caller made sure of the room.
static void put_frame(int fin, int opcode, const unsigned char *p, size_t len)
{
	unsigned char *h = sout + so_len;
	uint64_t r = wsb_rand(&rng);
	size_t hl;

	h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		h[1] = (unsigned char)(0x80 | len);
		hl = 2;
	} else if (len < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++) {
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		}
		hl = 10;
	}
	memcpy(h + hl, &r, 4);
	wsb_mask_copy(h + hl + 4, p, len, h + hl, 0);
	so_len += hl + 4 + len;
}

static size_t sout_room(void)
{
	if (so_off && so_len + 64 > SOUT_CAP) {
		memmove(sout, sout + so_off, so_len - so_off);
		so_len -= so_off;
		so_off = 0;
	}
	return SOUT_CAP - so_len;
}

static void send_close(unsigned code)
{
	unsigned char p[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	if (!close_sent) {
		sout_room();
		put_frame(1, 8, p, code == 1005 ? 0 : 2);
		close_sent = 1;
	}
}

// Turns buffered input lines into frames while the socket buffer has room.
static void frame_input(void)
{
	while (i_len) {
		unsigned char *p = ibuf + i_off;
		unsigned char *nl = memchr(p, '\n', i_len);
		size_t len = nl ? (size_t)(nl - p) : i_len;

		if (!nl && !stdin_eof && i_len < IN_CAP) {
			break;    // wait for the rest of the line
		}
		if (sout_room() < len + 14) {
			return;
		}
		put_frame(nl || stdin_eof, in_msg ? 0 : opcode_data, p, len);
		in_msg = !nl && !stdin_eof;
		len += nl ? 1 : 0;
		i_off += len;
		i_len -= len;
	}
	if (i_len == 0) {
		i_off = 0;
	} else if (i_off) {
		memmove(ibuf, ibuf + i_off, i_len);
		i_off = 0;
	}
	if (stdin_eof && i_len == 0) {
		if (in_msg) {     // the input ended inside a long line
			sout_room();
			put_frame(1, 0, ibuf, 0);
			in_msg = 0;
		}
		send_close(1000);
	}
}

static void read_stdin(void)
{
	ssize_t n = read(0, ibuf + i_len, IN_CAP - i_len);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			return;
		}
		die("cannot read stdin");
	}
	if (n == 0) {
		stdin_eof = 1;
	}
	i_len += (size_t)n;
	frame_input();
}

/* --- socket input --- */

static int rx_in_frame;
static uint64_t rx_rem, rx_key_off;
static int rx_fin, rx_masked;
static unsigned char rx_key[4];

// Parses what is in rx; returns 1 once the server's Close was handled.
static int parse_rx(void)
{
	unsigned char *p = rx;
	size_t avail = rx_len;

	while (avail) {
		if (!rx_in_frame) {
			size_t ext, hl;
			uint64_t len;
			int opcode;

			if (avail < 2) {
				break;
			}
			len = p[1] & 127;
			rx_masked = p[1] & 0x80;
			ext = len == 126 ? 2 : len == 127 ? 8 : 0;
			hl = 2 + ext + (rx_masked ? 4 : 0);
			if (avail < hl) {
				break;
			}
			rx_fin = p[0] & 0x80;
			opcode = p[0] & 15;
			if (ext) {
				len = 0;
				for (size_t i = 0; i < ext; i++) {
					len = len << 8 | p[2 + i];
				}
			}
			if (rx_masked) {
				memcpy(rx_key, p + 2 + ext, 4);
			}
			if (opcode & 8) {
				unsigned char ctl[125];

				if (len > 125) {
					die("bad control frame");
				}
				if (avail < hl + len) {
					break;
				}
				memcpy(ctl, p + hl, (size_t)len);
				if (rx_masked) {
					wsb_mask_copy(ctl, ctl, (size_t)len, rx_key, 0);
				}
				p += hl + len;
				avail -= hl + len;
				if (opcode == 8) {
					close_rcvd = 1;
					close_code = len >= 2 ?
						(unsigned)(ctl[0] << 8 | ctl[1]) : 1005;
					send_close(close_code);
					rx_len = 0;
					return 1;
				}
				if (opcode == 9 && !close_sent) {
					sout_room();
					put_frame(1, 10, ctl, (size_t)len);
				}
				continue;
			}
			p += hl;
			avail -= hl;
			rx_in_frame = 1;
			rx_rem = len;
			rx_key_off = 0;
		}
		if (rx_rem) {
			size_t k = rx_rem < avail ? (size_t)rx_rem : avail;

			if (rx_masked) {
				wsb_mask_copy(p, p, k, rx_key, rx_key_off);
				rx_key_off += k;
			}
			out_put(p, k);
			rx_rem -= k;
			p += k;
			avail -= k;
		}
		if (rx_rem == 0) {
			rx_in_frame = 0;
			if (rx_fin) {
				if (o_len == OUT_CAP) {
					out_flush();
				}
				obuf[o_len++] = '\n';
			}
		}
	}
	if (avail && p != rx) {
		memmove(rx, p, avail);
	}
	rx_len = avail;
	return 0;
}

// Reads what the socket has: one recv() for TCP; for TLS, SSL_read until
// OpenSSL's buffer and the socket are empty or rx is full (rx_again: come
// back without waiting). Returns 1 at the end of the connection.
static int read_sock(void)
{
	rx_again = 0;
	tls_want_write = 0;
	do {
		ssize_t n = io_recv(rx + rx_len, RX_CAP - rx_len);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			return 1;
		}
		if (n < 0) {
			return 0;
		}
		rx_len += (size_t)n;
	} while (ssl && rx_len < RX_CAP);
	rx_again = ssl != NULL;
	return 0;
}

/* --- connection --- */

static const char *ca_file = "";        // "": the system store

#ifdef WSB_TLS
static void tls_start(const char *host)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct in6_addr a6;
	int ip = inet_pton(AF_INET, host, &a6) == 1 ||
		inet_pton(AF_INET6, host, &a6) == 1;

	if (!ctx) {
		die("no SSL_CTX");
	}
	if (*ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1 :
			SSL_CTX_set_default_verify_paths(ctx) != 1) {
		die("cannot load the CA certificates");
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, RX_CAP);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);   // the SSL holds its own reference
	if (!ssl || !SSL_set_fd(ssl, sock)) {
		die("no SSL");
	}
	if (ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);

		fprintf(stderr, "thin-client: TLS handshake failed%s%s\n",
			v != X509_V_OK ? ": " : "",
			v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
		exit(1);
	}
}
#endif

static void io_write_all(const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len) {
		ssize_t n = io_send(b, len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			die("handshake: cannot send");
		}
		b += n;
		len -= (size_t)n;
	}
}

static void connect_ws(const char *url)
{
	char host[256], path[1024] = "/", req[2048], key[32], acc[32], port[8] = "80";
	const char *h, *e, *s;
	unsigned char nonce[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	size_t hl, got = 0;
	int one = 1, n;

	if (!strncmp(url, "wss://", 6)) {
#ifndef WSB_TLS
		die("built without TLS: use thin-client-tls for wss://");
#endif
		h = url + 6;
		strcpy(port, "443");
	} else if (!strncmp(url, "ws://", 5)) {
		h = url + 5;
		ca_file = NULL;
	} else {
		die("only ws:// and wss:// URLs");
	}
	e = h + strcspn(h, ":/");
	if ((size_t)(e - h) >= sizeof(host)) {
		die("bad URL");
	}
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	if (*e == ':') {
		s = e + 1;
		e = s + strcspn(s, "/");
		snprintf(port, sizeof(port), "%.*s", (int)(e - s), s);
	}
	if (*e == '/') {
		snprintf(path, sizeof(path), "%s", e);
	}
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		die("cannot resolve");
	}
	sock = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, ai->ai_addr, ai->ai_addrlen) < 0) {
		die("cannot connect");
	}
	freeaddrinfo(ai);
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef WSB_TLS
	if (ca_file) {
		tls_start(host);
	}
#endif

	for (int i = 0; i < 16; i += 8) {
		uint64_t r = wsb_rand(&rng);

		memcpy(nonce + i, &r, 8);
	}
	wsb_base64(nonce, 16, key);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		path, host, port, key);
	io_write_all(req, (size_t)n);

	// read the response; anything after it is already frames
	for (;;) {
		char *end;
		ssize_t r = io_recv(rx + got, RX_CAP - 1 - got);

		if (r <= 0) {
			die("handshake: connection closed");
		}
		got += (size_t)r;
		rx[got] = '\0';
		end = strstr((char *)rx, "\r\n\r\n");
		if (!end) {
			if (got > 16384) {
				die("handshake: response too long");
			}
			continue;
		}
		hl = (size_t)(end + 4 - (char *)rx);
		break;
	}
	if (strncmp((char *)rx, "HTTP/1.1 101", 12)) {
		die("handshake: not 101");
	}
	wsb_accept(key, strlen(key), acc);
	{
		char *a = strcasestr((char *)rx, "\r\nsec-websocket-accept:");

		if (!a || a > (char *)rx + hl) {
			die("handshake: no accept");
		}
		a += 23;
		while (*a == ' ') {
			a++;
		}
		if (strncmp(a, acc, strlen(acc))) {
			die("handshake: accept mismatch");
		}
	}
	memmove(rx, rx + hl, got - hl);
	rx_len = got - hl;
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
}

int main(int argc, char **argv)
{
	uint64_t deadline = 0;
	int ai = 1;

	for (; ai < argc && argv[ai][0] == '-'; ai++) {
		if (!strcmp(argv[ai], "-b")) {
			opcode_data = 2;
		} else if (!strcmp(argv[ai], "-c") && ai + 1 < argc) {
			ca_file = argv[++ai];
		} else {
			break;
		}
	}
	if (ai + 1 != argc) {
		fprintf(stderr, "usage: thin-client [-b] [-c CAFILE] "
			"ws[s]://HOST:PORT/PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rng = wsb_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	ibuf = malloc(IN_CAP);
	sout = malloc(SOUT_CAP);
	rx = malloc(RX_CAP);
	obuf = malloc(OUT_CAP);
	if (!ibuf || !sout || !rx || !obuf) {
		die("out of memory");
	}
	connect_ws(argv[ai]);
	if (rx_len && parse_rx()) {
		goto closed;
	}
	rx_again = ssl != NULL;   // OpenSSL may hold more records already

	for (;;) {
		struct pollfd pfd[2];
		int nfd = 1, timeout = -1;

		sock_flush();
		out_flush();
		if (close_sent && !deadline) {
			deadline = wsb_now_ns() + 5000000000ULL;
		}
		pfd[0].fd = sock;
		pfd[0].events = POLLIN |
			(so_len > so_off || tls_want_write ? POLLOUT : 0);
		if (!stdin_eof && i_len < IN_CAP && so_len - so_off < SOUT_LOW) {
			pfd[1].fd = 0;
			pfd[1].events = POLLIN;
			nfd = 2;
		}
		if (deadline) {
			uint64_t now = wsb_now_ns();

			if (now >= deadline) {
				fprintf(stderr, "thin-client: no Close from the server\n");
				return 1;
			}
			timeout = (int)((deadline - now) / 1000000 + 1);
		}
		if (rx_again) {
			timeout = 0;
		}
		if (poll(pfd, (nfds_t)nfd, timeout) < 0) {
			if (errno == EINTR) {
				continue;
			}
			die("poll failed");
		}
		if (rx_again || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) ||
				(tls_want_write && (pfd[0].revents & POLLOUT))) {
			size_t before = rx_len;
			int end = read_sock();

			if (rx_len > before && parse_rx()) {
				goto closed;
			}
			if (end) {
				out_flush();
				fprintf(stderr, "thin-client: connection closed "
					"abnormally (1006)\n");
				return 1;
			}
		}
		if (nfd == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			read_stdin();
		} else if (i_len && !close_sent) {
			frame_input();   // the socket buffer drained: go on
		}
	}

closed:
	out_flush();
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK);
	while (so_off < so_len) {
		ssize_t n = io_send(sout + so_off, so_len - so_off);

		if (n <= 0) {
			break;
		}
		so_off += (size_t)n;
	}
#ifdef WSB_TLS
	if (ssl) {
		SSL_shutdown(ssl);   // our close_notify; not waiting for theirs
	}
#endif
	close(sock);
	return close_code == 1000 || close_code == 1001 || close_code == 1005 ?
		0 : 3;
}
