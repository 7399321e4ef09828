/*
 * wire.c - recording the handshake by interposition. The executable
 * defines send, recv, connect, SSL_write, SSL_read and SSL_connect; the
 * dynamic linker binds libwebsockets' calls to these, which forward to
 * the next definition (libc, libssl) found with dlsym(RTLD_NEXT).
 * The capture is a file-static singleton: the interposed functions have no
 * user pointer to carry it.
 */
#define _GNU_SOURCE
#include "wire.h"

#include <dlfcn.h>
#include <netdb.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static struct wsc_wire wire = { .fd = -1, .watch_fd = -1 };

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void wire_arm(void)
{
	memset(&wire, 0, sizeof(wire));
	wire.fd = -1;
	wire.watch_fd = -1;
	wire.armed = true;
	wire.t_start = now_us();
}

void wire_disarm(void)
{
	wire.armed = false;
}

static void walk_frames(unsigned char *buf, size_t n);

void wire_watch(unsigned long long max_message)
{
	wire.watch_fd = wire.fd;
	wire.peer_eof = wire.peer_reset = false;
	wire.close_sent = 0;
	wire.rx_bytes = 0;
	wire.masked_frame = wire.close_seen = false;
	wire.close_len = 0;
	wire.msg_len = 0;
	wire.msg_compressed = wire.too_big = false;
	wire.max_msg = max_message;
	memset(&wire.walk, 0, sizeof(wire.walk));
	wire.walking = wire.resp_len < WSC_WIRE_MAX;
	if (wire.walking) {
		// frames that came in the same read as the 101 (after a proxy's
		// answer, the 101 is the second head)
		const char *sw = memmem(wire.resp, wire.resp_len, " 101 ", 5);
		const char *end = sw ? memmem(sw, wire.resp_len -
			(size_t)(sw - wire.resp), "\r\n\r\n", 4) : NULL;
		size_t head = end ? (size_t)(end + 4 - wire.resp) : wire.resp_len;
		unsigned char rest[WSC_WIRE_MAX];

		memcpy(rest, wire.resp + head, wire.resp_len - head);
		walk_frames(rest, wire.resp_len - head);
	}
}

// A frame head is complete: note what matters, skip its payload.
static void walk_header_done(unsigned char *first)
{
	unsigned char *h = wire.walk.h;
	unsigned long long len = h[1] & 0x7f;
	size_t at = 2;

	if (len == 126) {
		len = (unsigned long long)h[2] << 8 | h[3];
		at = 4;
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++) {
			len = len << 8 | h[2 + i];
		}
		at = 10;
	}
	wire.walk.masked = h[1] & 0x80;
	if (wire.walk.masked) {
		memcpy(wire.walk.mask, h + at, 4);
		// a server must not mask: make lws refuse this frame where it
		// stands (reserved bit set), so nothing of it is delivered
		wire.masked_frame = true;
		if (first) {
			*first |= 0x40;
		}
	}
	wire.walk.left = len;
	wire.walk.at = 0;
	wire.walk.in_close = (h[0] & 0x0f) == 8;
	// the message's size as announced: a new one starts, or continues
	if ((h[0] & 0x0f) == 1 || (h[0] & 0x0f) == 2) {
		wire.msg_len = len;
		wire.msg_compressed = h[0] & 0x40;
	} else if ((h[0] & 0x0f) == 0) {
		wire.msg_len = len > ~0ULL - wire.msg_len ? ~0ULL :
			wire.msg_len + len;
	}
	if (wire.max_msg && !wire.msg_compressed && !(h[0] & 0x08) &&
			wire.msg_len > wire.max_msg) {
		wire.too_big = true;
	}
	if (wire.walk.in_close) {
		wire.close_len = 0;
		wire.close_seen = len == 0;
	}
	wire.walk.hn = 0;
}

/*
 * Follow the frame heads in what the server sends (payloads are skipped,
 * except a Close's, which is kept as sent). Only heads are looked at, so
 * it costs a few operations per frame.
 */
static void walk_frames(unsigned char *buf, size_t n)
{
	size_t i = 0;
	unsigned char *first = NULL;

	while (i < n) {
		if (wire.walk.left) {
			size_t take = wire.walk.left < n - i ? (size_t)wire.walk.left :
				n - i;

			if (wire.walk.in_close) {
				for (size_t k = 0; k < take && wire.close_len < 125; k++) {
					unsigned char c = buf[i + k];

					if (wire.walk.masked) {
						c ^= wire.walk.mask[(wire.walk.at + k) & 3];
					}
					wire.close_raw[wire.close_len++] = c;
				}
			}
			wire.walk.at += take;
			wire.walk.left -= take;
			i += take;
			if (!wire.walk.left && wire.walk.in_close) {
				wire.close_seen = true;
			}
			continue;
		}
		if (wire.walk.hn == 0) {
			first = buf + i;
			wire.walk.need = 2;
		}
		wire.walk.h[wire.walk.hn++] = buf[i++];
		if (wire.walk.hn == 2) {
			size_t l = wire.walk.h[1] & 0x7f;

			wire.walk.need = 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) +
				(wire.walk.h[1] & 0x80 ? 4 : 0);
		}
		if (wire.walk.hn == wire.walk.need) {
			walk_header_done(first);
			first = NULL;
		}
	}
}

// A client Close frame is masked: 0x88, 0x80 | len, mask, payload.
static void watch_out(int fd, bool tls, const unsigned char *b, size_t n)
{
	if (fd != wire.watch_fd || tls != wire.tls || n < 6 || b[0] != 0x88) {
		return;
	}
	if ((b[1] & 0x7f) >= 2 && n >= 8) {
		wire.close_sent = (unsigned)((b[6] ^ b[2]) << 8 | (b[7] ^ b[3]));
	} else {
		wire.close_sent = 1005;
	}
}

static void watch_in(int fd, bool tls, ssize_t n, int err)
{
	if (fd != wire.watch_fd || tls != wire.tls) {
		return;
	}
	if (n == 0) {
		wire.peer_eof = true;
	} else if (n < 0 && (err == ECONNRESET || err == EPIPE)) {
		wire.peer_reset = true;
	}
}

const struct wsc_wire *wire_get(void)
{
	return &wire;
}

size_t wire_response_head_len(void)
{
	const char *end = memmem(wire.resp, wire.resp_len, "\r\n\r\n", 4);

	return end ? (size_t)(end - wire.resp) + 4 : 0;
}

static void keep(char *dst, size_t *len, const void *src, size_t n)
{
	if (n > WSC_WIRE_MAX - *len) {
		n = WSC_WIRE_MAX - *len;
	}
	memcpy(dst + *len, src, n);
	*len += n;
}

// A request starts a capture on whatever connection carries it.
static bool is_request(const void *buf, size_t n)
{
	return (n >= 4 && !memcmp(buf, "GET ", 4)) ||
		(n >= 8 && !memcmp(buf, "CONNECT ", 8));
}

static void record_out(int fd, bool tls, const void *buf, size_t n)
{
	if (!wire.armed) {
		return;
	}
	if (wire.fd != fd || wire.tls != tls) {
		if (!is_request(buf, n)) {
			return;
		}
		if (wire.fd != -1 && wire.fd != fd) {
			// a new connection (e.g. after a proxy or redirect hop)
			wire.req_len = wire.resp_len = 0;
		}
		wire.fd = fd;
		wire.tls = tls;
	}
	if (!wire.t_request) {
		wire.t_request = now_us();
	}
	keep(wire.req, &wire.req_len, buf, n);
}

static void record_in(int fd, bool tls, const void *buf, size_t n)
{
	if (!wire.armed || wire.fd != fd || wire.tls != tls) {
		return;
	}
	keep(wire.resp, &wire.resp_len, buf, n);
	if (!wire.t_response && wire_response_head_len()) {
		wire.t_response = now_us();
	}
}

// The next definition of name; memcpy because ISO C has no cast from an
// object pointer to a function pointer.
#define REAL(name, ret, args) \
	static ret (*real_##name) args; \
	if (!real_##name) { \
		void *sym_ = dlsym(RTLD_NEXT, #name); \
		memcpy(&real_##name, &sym_, sizeof(sym_)); \
	}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;

	REAL(send, ssize_t, (int, const void *, size_t, int));
	n = real_send(fd, buf, len, flags);
	if (n > 0) {
		record_out(fd, false, buf, (size_t)n);
		watch_out(fd, false, buf, (size_t)n);
	} else if (n < 0) {
		int saved = errno;

		watch_in(fd, false, n, saved);
		errno = saved;
	}
	return n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n;

	REAL(recv, ssize_t, (int, void *, size_t, int));
	n = real_recv(fd, buf, len, flags);
	if (n <= 0 && len && !(flags & MSG_PEEK)) {
		int saved = errno;

		watch_in(fd, false, n, saved);
		errno = saved;
	}
	if (n > 0 && fd == wire.watch_fd && !wire.tls && !(flags & MSG_PEEK)) {
		wire.rx_bytes += (size_t)n;
		if (wire.walking) {
			walk_frames(buf, (size_t)n);
		}
	}
	if (n > 0 && !(flags & MSG_PEEK)) {
		record_in(fd, false, buf, (size_t)n);
	}
	return n;
}

// glibc declares the address as a transparent union under _GNU_SOURCE
int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	int n, saved;

	REAL(connect, int, (int, __CONST_SOCKADDR_ARG, socklen_t));
	if (wire.armed && !wire.t_connect) {
		wire.t_connect = now_us();
	}
	n = real_connect(fd, addr, len);
	saved = errno;
	if (n < 0 && wire.armed && saved != EINPROGRESS && saved != EALREADY &&
			saved != EISCONN) {
		wire.connect_errno = saved;
	}
	errno = saved;
	return n;
}

// lws learns how a non-blocking connect() ended from SO_ERROR.
int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int n;

	REAL(getsockopt, int, (int, int, int, void *, socklen_t *));
	n = real_getsockopt(fd, level, name, val, len);
	if (!n && wire.armed && level == SOL_SOCKET && name == SO_ERROR &&
			*len >= sizeof(int) && *(int *)val) {
		wire.connect_errno = *(int *)val;
	}
	return n;
}

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	int n;

	REAL(getaddrinfo, int, (const char *, const char *,
		const struct addrinfo *, struct addrinfo **));
	n = real_getaddrinfo(node, service, hints, res);
	if (n && wire.armed && !wire.resolve_error[0]) {
		snprintf(wire.resolve_error, sizeof(wire.resolve_error), "%s",
			n == EAI_SYSTEM ? strerror(errno) : gai_strerror(n));
	}
	return n;
}

/* --- OpenSSL, seen as opaque pointers: wsc does not link libssl --- */

typedef void SSL;

static int ssl_fd(SSL *ssl)
{
	REAL(SSL_get_fd, int, (const SSL *));
	return real_SSL_get_fd ? real_SSL_get_fd(ssl) : -1;
}

int SSL_write(SSL *ssl, const void *buf, int num);
int SSL_read(SSL *ssl, void *buf, int num);
int SSL_connect(SSL *ssl);

int SSL_write(SSL *ssl, const void *buf, int num)
{
	int n;

	REAL(SSL_write, int, (SSL *, const void *, int));
	n = real_SSL_write(ssl, buf, num);
	if (n > 0 && wire.armed) {
		record_out(ssl_fd(ssl), true, buf, (size_t)n);
	}
	if (n > 0 && wire.watch_fd >= 0) {
		watch_out(ssl_fd(ssl), true, buf, (size_t)n);
	}
	return n;
}

int SSL_read(SSL *ssl, void *buf, int num)
{
	int n;

	REAL(SSL_read, int, (SSL *, void *, int));
	n = real_SSL_read(ssl, buf, num);
	if (n > 0 && wire.armed) {
		record_in(ssl_fd(ssl), true, buf, (size_t)n);
	}
	if (n == 0 && wire.watch_fd >= 0) {
		watch_in(ssl_fd(ssl), true, 0, 0);
	}
	if (n > 0 && wire.watch_fd >= 0 && wire.tls &&
			ssl_fd(ssl) == wire.watch_fd) {
		wire.rx_bytes += (size_t)n;
		if (wire.walking) {
			walk_frames(buf, (size_t)n);
		}
	}
	return n;
}

int SSL_connect(SSL *ssl)
{
	int n, saved;

	REAL(SSL_connect, int, (SSL *));
	if (wire.armed && !wire.t_tls_start) {
		wire.t_tls_start = now_us();
	}
	n = real_SSL_connect(ssl);
	saved = errno;
	if (n == 1 && wire.armed && !wire.t_tls_done) {
		wire.t_tls_done = now_us();
	}
	if (n <= 0 && wire.armed) {
		REAL(SSL_get_verify_result, long, (const SSL *));
		REAL(X509_verify_cert_error_string, const char *, (long));
		long v = real_SSL_get_verify_result ?
			real_SSL_get_verify_result(ssl) : 0;

		if (v != 0 && real_X509_verify_cert_error_string) {
			snprintf(wire.tls_error, sizeof(wire.tls_error), "%s",
				real_X509_verify_cert_error_string(v));
		}
	}
	errno = saved;
	return n;
}

size_t wire_fetch_body(size_t max)
{
	size_t head = wire_response_head_len();

	REAL(recv, ssize_t, (int, void *, size_t, int));
	if (!head || wire.tls || wire.fd < 0) {
		return head ? wire.resp_len - head : 0;
	}
	while (wire.resp_len - head < max && wire.resp_len < WSC_WIRE_MAX) {
		ssize_t n = real_recv(wire.fd, wire.resp + wire.resp_len,
			WSC_WIRE_MAX - wire.resp_len, MSG_DONTWAIT);

		if (n <= 0) {
			break;
		}
		wire.resp_len += (size_t)n;
	}
	return wire.resp_len - head;
}
