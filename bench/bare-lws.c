/*
 * bare-lws.c - the ceiling of libwebsockets itself: a client that does
 * nothing but send or count, on the system's libwebsockets (4.1.6 on
 * Debian 12).
 *
 *   bare-lws [-r RXBUF] [-p SERVBUF] [-l] [-u] [-S] [-c CAFILE]
 *            ws[s]://HOST:PORT/PATH send N S
 *       send N pattern messages (wsb.h) of S bytes, one lws_write() per
 *       WRITEABLE callback (-l: keep writing in the same callback while
 *       lws_send_pipe_choked() says the socket takes more), then Close 1000;
 *       print what the server says before its Close (the sink's count).
 *   bare-lws ... URL recv
 *       count received messages and bytes until the server's Close; print
 *       "count=N bytes=B".
 *   bare-lws ... URL echo
 *       lock-step pipe echo for the latency and cold-start workloads: read
 *       one line from stdin (blocking), send it, write the echo to stdout,
 *       repeat; at end of input send Close and wait for the server's.
 *
 * A wss:// URL goes through lws's own client TLS (LCCSCF_USE_SSL, which
 * needs LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT); -c CAFILE is the context's
 * client_ssl_ca_filepath (the chain and the host name are verified).
 *
 * -r sets the protocol's rx_buffer_size (default 65536, as wsc); -p the
 * context's pt_serv_buf_size (default 0: lws's 4096); -u turns on
 * LWS_SERVER_OPTION_VALIDATE_UTF8 and -S LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT
 * (wsc sets both; -S makes lws set up OpenSSL and its client SSL_CTX, which
 * loads the system CA bundle, even for ws://). The Close frame is written
 * with lws_write(..., LWS_WRITE_CLOSE) so that lws keeps delivering what the
 * server sends after it (lws does not change the connection's state for a
 * Close written that way).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wsb.h"

#define BARE_LWS_WRITE_CLOSE ((enum lws_write_protocol)4)

enum { SEND, RECV, ECHO } mode;
static uint64_t n_msgs, size;
static int loop_write;
static int done, status = 1;

static uint64_t sent, msgs, bytes;
static unsigned char *buf;              // LWS_PRE + payload
static size_t buf_cap;
static int close_queued, close_written;

/* echo mode */
static unsigned char *line;
static size_t line_len, line_cap;
static unsigned char *rbuf;             // stdin read-ahead
static size_t r_off, r_len;
static int in_eof;

static void write_all(int fd, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			exit(1);
		}
		b += n;
		len -= (size_t)n;
	}
}

// One line from stdin (blocking); 0 at end of input.
static int next_line(void)
{
	line_len = 0;
	for (;;) {
		unsigned char *nl;
		size_t k;

		if (r_off == r_len) {
			ssize_t n;

			if (in_eof) {
				return line_len > 0;
			}
			n = read(0, rbuf, 65536);
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n <= 0) {
				in_eof = 1;
				continue;
			}
			r_off = 0;
			r_len = (size_t)n;
		}
		nl = memchr(rbuf + r_off, '\n', r_len - r_off);
		k = nl ? (size_t)(nl - (rbuf + r_off)) : r_len - r_off;
		if (line_len + k > line_cap) {
			line_cap = (line_len + k) * 2;
			line = realloc(line, LWS_PRE + line_cap);
		}
		memcpy(line + LWS_PRE + line_len, rbuf + r_off, k);
		line_len += k;
		r_off += k + (nl ? 1 : 0);
		if (nl) {
			return 1;
		}
	}
}

static int write_close(struct lws *wsi)
{
	unsigned char cb[LWS_PRE + 2];

	cb[LWS_PRE] = 1000 >> 8;
	cb[LWS_PRE + 1] = 1000 & 255;
	close_written = 1;
	return lws_write(wsi, cb + LWS_PRE, 2, BARE_LWS_WRITE_CLOSE) < 2 ? -1 : 0;
}

static int write_one(struct lws *wsi)
{
	char d[24];
	size_t dl = wsb_utoa(sent, d);
	size_t len = size > dl ? size : dl;

	// lws masks in place, so the payload is laid down again every time
	wsb_pattern(buf + LWS_PRE, d, dl, 0, len);
	if (lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len) {
		return -1;
	}
	sent++;
	return 0;
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "bare-lws: connection error: %s\n",
			in ? (const char *)in : "?");
		done = 1;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (mode == ECHO && !next_line()) {
			close_queued = 1;
		}
		if (mode != RECV) {
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (close_written) {
			break;
		}
		if (close_queued) {
			return write_close(wsi);
		}
		if (mode == ECHO) {
			if (lws_write(wsi, line + LWS_PRE, line_len,
					LWS_WRITE_TEXT) < (int)line_len) {
				return -1;
			}
			break;
		}
		do {
			if (sent == n_msgs) {
				return write_close(wsi);
			}
			if (write_one(wsi)) {
				return -1;
			}
		} while (loop_write && !lws_send_pipe_choked(wsi));
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		bytes += len;
		if (mode == SEND) {
			write_all(1, in, len);
		} else if (mode == ECHO) {
			write_all(1, in, len);
		}
		if (lws_is_final_fragment(wsi)) {
			msgs++;
			if (mode != RECV) {
				write_all(1, "\n", 1);
			}
			if (mode == ECHO && !close_queued) {
				if (!next_line()) {
					close_queued = 1;
				}
				lws_callback_on_writable(wsi);
			}
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			unsigned code = (unsigned)((unsigned char *)in)[0] << 8 |
				((unsigned char *)in)[1];

			status = code == 1000 || code == 1001 ? 0 : 3;
		} else {
			status = 0;
		}
		if (close_written) {
			return -1;   // ours went first: hang up, no second Close
		}
		break;               // lws answers it
	case LWS_CALLBACK_CLIENT_CLOSED:
		done = 1;
		break;
	default:
		break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct lws_protocols protocols[] = {
		{ "bare", cb, 0, 65536, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *ctx;
	char host[256], path[1024] = "/";
	const char *u, *e, *m;
	int port = 80, opt, utf8 = 0, ssl = 0, tls = 0;
	const char *ca = NULL;
	unsigned int serv_buf = 0;

	while ((opt = getopt(argc, argv, "r:lup:Sc:")) != -1) {
		switch (opt) {
		case 'r':
			protocols[0].rx_buffer_size = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			loop_write = 1;
			break;
		case 'u':
			utf8 = 1;
			break;
		case 'S':
			ssl = 1;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'p':
			serv_buf = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 2 > argc) {
		goto usage;
	}
	if (!strncmp(argv[optind], "wss://", 6)) {
		tls = ssl = 1;
		port = 443;
		u = argv[optind] + 6;
	} else if (!strncmp(argv[optind], "ws://", 5)) {
		u = argv[optind] + 5;
	} else {
		goto usage;
	}
	e = u + strcspn(u, ":/");
	snprintf(host, sizeof(host), "%.*s", (int)(e - u), u);
	if (*e == ':') {
		port = atoi(e + 1);
		e += strcspn(e, "/");
	}
	if (*e == '/') {
		snprintf(path, sizeof(path), "%s", e);
	}
	m = argv[optind + 1];
	if (!strcmp(m, "send") && optind + 4 == argc) {
		mode = SEND;
		n_msgs = strtoull(argv[optind + 2], NULL, 10);
		size = strtoull(argv[optind + 3], NULL, 10);
		buf_cap = LWS_PRE + (size > 24 ? size : 24);
		buf = malloc(buf_cap);
	} else if (!strcmp(m, "recv") && optind + 2 == argc) {
		mode = RECV;
	} else if (!strcmp(m, "echo") && optind + 2 == argc) {
		mode = ECHO;
		rbuf = malloc(65536);
		line_cap = 4096;
		line = malloc(LWS_PRE + line_cap);
	} else {
		goto usage;
	}

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = (utf8 ? LWS_SERVER_OPTION_VALIDATE_UTF8 : 0) |
		(ssl ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
	info.fd_limit_per_thread = 16;
	info.pt_serv_buf_size = serv_buf;
	info.client_ssl_ca_filepath = ca;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "bare-lws: no context\n");
		return 1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = host;
	ci.origin = host;
	ci.local_protocol_name = "bare";
	ci.ietf_version_or_minus_one = -1;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	if (!lws_client_connect_via_info(&ci)) {
		fprintf(stderr, "bare-lws: connect failed\n");
		lws_context_destroy(ctx);
		return 1;
	}
	while (!done && lws_service(ctx, 0) >= 0) {
	}
	lws_context_destroy(ctx);
	if (mode == RECV) {
		printf("count=%" PRIu64 " bytes=%" PRIu64 "\n", msgs, bytes);
	}
	return status;

usage:
	fprintf(stderr, "usage: bare-lws [-r RXBUF] [-p SERVBUF] [-l] [-u] [-S] [-c CAFILE] "
		"ws[s]://HOST:PORT/PATH send N SIZE | recv | echo\n");
	return 2;
}
