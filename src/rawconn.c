/*
 * rawconn.c - a client byte stream over lws' raw transport: connect
 * (dial.h), optional CONNECT tunnel, optional TLS (tls.h), a bounded write
 * buffer drained with send(), a silence limit, a polite end. See rawconn.h.
 */
#include "rawconn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "dial.h"
#include "httphead.h"
#include "tls.h"
#include "trace.h"

#define RAWCONN_BUF (256 * 1024)        // bytes queued for send() at most
#define RAWCONN_PLAIN (64 * 1024)       // decrypted bytes per delivery

enum phase { PH_CONNECT, PH_PROXY, PH_TLS, PH_OPEN };

struct rawconn {
	struct lws_context *ctx;
	struct lws *wsi;
	struct rawconn_cb cb;
	void *user;
	enum phase phase;
	bool detached;          // rawconn_close() called: no more callbacks
	bool closed_told;       // closed() was called
	bool kill;              // close at the end of the current callback
	int in_cb;              // inside one of our lws callbacks
	bool want_writable;     // the user found the buffer full
	struct dial *dial;      // connecting: no wsi yet
	bool finishing;         // rawconn_finish(): discard until the end
	bool wr_shut;           // our sending side is shut down
	size_t discarded;       // bytes read and dropped since finishing
	char why[256];          // the reason to give closed()
	long connect_ms, idle_ms;
	lws_sorted_usec_list_t sul;
	struct tls_conn *tls;
	struct tls_ctx *tls_ctx;
	char tls_host[300];
	const char *alpn;       // the caller's, until TLS starts
	char target[300];       // host:port for CONNECT
	bool use_proxy;
	struct wsc_httphead *proxy_head;
	struct wsc_trace *trace;        // or NULL
	unsigned char *out;     // plain bytes to send (no TLS)
	size_t olen, ooff;
	unsigned char plain[RAWCONN_PLAIN];
};

static void fail(struct rawconn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tell_closed(struct rawconn *c, const char *why);
static void rawconn_free(struct rawconn *c);

// The silence limit now: connecting, or open (and finishing).
static long limit_ms(const struct rawconn *c)
{
	return c->phase == PH_OPEN || c->finishing ? c->idle_ms :
		c->connect_ms;
}

static void idle_cb(lws_sorted_usec_list_t *sul)
{
	struct rawconn *c = lws_container_of(sul, struct rawconn, sul);
	long ms = limit_ms(c);
	char t[64];

	snprintf(t, sizeof(t), "%.3g", (double)ms / 1000);
	if (c->dial) {
		dial_cancel(c->dial);
		c->dial = NULL;
		snprintf(c->why, sizeof(c->why), "timeout: connecting took "
			"longer than %s s", t);
		tell_closed(c, c->why);
		rawconn_free(c);
		return;
	}
	if (!c->wsi) {
		return;
	}
	if (c->finishing) {
		fail(c, "%s", "");      // the peer had its time: a clean end
		return;
	}
	fail(c, c->phase == PH_OPEN ? "timeout: %s s without data" :
		"timeout: connecting took longer than %s s", t);
}

// something moved: the silence limit starts again
static void progress(struct rawconn *c)
{
	long ms = limit_ms(c);

	if (c->detached) {
		return;
	}
	if (ms > 0) {
		lws_sul_schedule(c->ctx, 0, &c->sul, idle_cb,
			(lws_usec_t)ms * LWS_US_PER_MS);
	} else {
		lws_sul_cancel(&c->sul);
	}
}

// end the connection with why (first reason wins)
static void fail(struct rawconn *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->why[0]) {
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof(c->why), fmt, ap);
		va_end(ap);
	}
	lws_sul_cancel(&c->sul);
	// never closed() from inside the caller's rawconn_write(): it may free
	// what the caller is still using; the loop closes it next time round
	c->kill = true;
	if (!c->in_cb && c->wsi) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			LWS_TO_KILL_ASYNC);
	}
}

static void tell_closed(struct rawconn *c, const char *why)
{
	lws_sul_cancel(&c->sul);
	if (c->detached || c->closed_told) {
		return;
	}
	c->closed_told = true;
	if (c->cb.closed) {
		c->in_cb++;
		c->cb.closed(c->user, why);
		c->in_cb--;
	}
	c->detached = true;
}

// send what is queued; false when the connection failed
static bool flush(struct rawconn *c)
{
	int fd = lws_get_socket_fd(c->wsi);

	for (;;) {
		const unsigned char *p;
		size_t n;
		ssize_t s;

		if (c->tls) {
			p = tls_out(c->tls, &n);
		} else {
			p = c->out + c->ooff;
			n = c->olen - c->ooff;
		}
		if (!p || !n) {
			return true;
		}
		s = send(fd, p, n, MSG_NOSIGNAL);
		if (s < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				lws_callback_on_writable(c->wsi);
				return true;
			}
			if (errno == EINTR) {
				continue;
			}
			fail(c, "send: %s", strerror(errno));
			return false;
		}
		progress(c);
		if (c->tls) {
			tls_out_done(c->tls, (size_t)s);
		} else {
			c->ooff += (size_t)s;
			if (c->ooff == c->olen) {
				c->ooff = c->olen = 0;
			}
		}
	}
}

size_t rawconn_pending(const struct rawconn *c)
{
	return c->tls ? tls_out_pending(c->tls) : c->olen - c->ooff;
}

// Nothing queued before them: bytes go to the socket from the caller's
// buffer (no copy); what it does not take yet is queued. An error is left
// to flush(), which sends again and reports it.
static size_t send_direct(struct rawconn *c, const void *buf, size_t len)
{
	ssize_t s;

	if (c->tls || c->olen) {
		return 0;
	}
	do {
		s = send(lws_get_socket_fd(c->wsi), buf, len, MSG_NOSIGNAL);
	} while (s < 0 && errno == EINTR);
	if (s <= 0) {
		return 0;
	}
	progress(c);
	return (size_t)s;
}

size_t rawconn_write(struct rawconn *c, const void *buf, size_t len)
{
	size_t n, direct;

	if (c->detached || c->kill || c->finishing || !c->wsi) {
		return 0;
	}
	direct = send_direct(c, buf, len);
	if (direct == len) {
		return len;
	}
	buf = (const unsigned char *)buf + direct;
	len -= direct;
	if (c->tls && c->phase == PH_OPEN) {
		ssize_t w = tls_write(c->tls, buf, len);

		if (w < 0) {
			fail(c, "TLS: %s", tls_error(c->tls));
			return 0;
		}
		n = (size_t)w;
	} else {
		if (c->ooff && c->olen + len > RAWCONN_BUF) {
			memmove(c->out, c->out + c->ooff, c->olen - c->ooff);
			c->olen -= c->ooff;
			c->ooff = 0;
		}
		n = RAWCONN_BUF - c->olen;
		if (n > len) {
			n = len;
		}
		memcpy(c->out + c->olen, buf, n);
		c->olen += n;
	}
	if (n < len) {
		c->want_writable = true;
	}
	flush(c);
	return direct + n;
}

bool rawconn_write_buf(struct rawconn *c, struct wsc_buf *b, size_t *off)
{
	while (*off < b->len) {
		size_t n = rawconn_write(c, b->p + *off, b->len - *off);

		if (!n) {
			return false;
		}
		*off += n;
	}
	*off = 0;
	buf_clear(b);
	return true;
}

void rawconn_set_idle(struct rawconn *c, long ms)
{
	c->idle_ms = ms;
	progress(c);
}

static void become_open(struct rawconn *c)
{
	if (c->trace && c->tls) {
		c->trace->t_tls_done = lws_now_usecs();
	}
	c->phase = PH_OPEN;
	progress(c);
	if (c->cb.open) {
		c->cb.open(c->user, c);
	}
}

static void tls_failed(struct rawconn *c)
{
	if (c->trace) {
		snprintf(c->trace->tls_error, sizeof(c->trace->tls_error),
			"%s", tls_error(c->tls));
		c->trace->tls_fault = tls_fault(c->tls);
	}
	fail(c, "TLS handshake failed: %s", tls_error(c->tls));
}

static void start_tls_or_open(struct rawconn *c)
{
	char why[256];

	if (!c->tls_ctx) {
		become_open(c);
		return;
	}
	c->phase = PH_TLS;
	if (c->trace) {
		c->trace->t_tls_start = lws_now_usecs();
	}
	c->tls = tls_conn_new(c->tls_ctx, c->tls_host, why, sizeof(why));
	if (!c->tls || (c->alpn && !tls_conn_set_alpn(c->tls, c->alpn))) {
		fail(c, "%s", c->tls ? "cannot offer ALPN" : why);
		return;
	}
	if (tls_handshake(c->tls) < 0) {
		tls_failed(c);
		return;
	}
	flush(c);
}

// ciphertext in: run the handshake, hand plaintext on
static void tls_in(struct rawconn *c, const unsigned char *buf, size_t len)
{
	bool more = true;

	while (more && !c->kill && !c->detached) {
		size_t n = len ? tls_feed(c->tls, buf, len) : 0;

		buf += n;
		len -= n;
		if (c->phase == PH_TLS) {
			int r = tls_handshake(c->tls);

			if (r < 0) {
				flush(c);
				tls_failed(c);
				return;
			}
			flush(c);
			if (r == 1) {
				become_open(c);
			} else if (!len) {
				return;
			}
		}
		for (;;) {
			ssize_t r;

			if (c->kill || c->detached || c->phase != PH_OPEN) {
				break;
			}
			r = tls_read(c->tls, c->plain, sizeof(c->plain));
			if (r == 0) {
				break;
			}
			if (r == TLS_EOF) {
				if (tls_close_notify_seen(c->tls)) {
					fail(c, "%s", "");      // a clean end
				} else {
					fail(c, "TLS stream truncated");
				}
				return;
			}
			if (r < 0) {
				fail(c, "TLS: %s", tls_error(c->tls));
				return;
			}
			c->cb.data(c->user, c->plain, (size_t)r);
		}
		flush(c);
		more = len > 0;
	}
}

static void proxy_in(struct rawconn *c, unsigned char *buf, size_t len)
{
	size_t used = 0;
	enum wsc_httphead_status st = httphead_feed(c->proxy_head,
		(const char *)buf, len, &used);
	char t[160];

	if (c->trace) {
		trace_add(c->trace->resp, &c->trace->resp_len, buf, used);
		c->trace->proxy_status = c->proxy_head->status;
		if (st == HTTPHEAD_DONE) {
			c->trace->resp_server = c->trace->resp_len;
		}
	}
	if (st == HTTPHEAD_MORE) {
		return;
	}
	if (st == HTTPHEAD_ERROR) {
		fail(c, "proxy: bad response: %s", c->proxy_head->why);
		return;
	}
	if (c->proxy_head->status / 100 != 2) {
		snprintf(t, sizeof(t), "%d", c->proxy_head->status);
		fail(c, "proxy refused CONNECT: HTTP %s", t);
		return;
	}
	free(c->proxy_head);
	c->proxy_head = NULL;
	start_tls_or_open(c);
	buf += used;
	len -= used;
	if (len && !c->kill && !c->detached) {
		if (c->tls) {
			tls_in(c, buf, len);
		} else {
			c->cb.data(c->user, buf, len);
		}
	}
}

static void connected(struct rawconn *c)
{
	char req[700];
	int n;

	if (c->trace && !c->trace->t_connect) {
		c->trace->t_connect = lws_now_usecs();
	}
	progress(c);
	if (!c->use_proxy) {
		start_tls_or_open(c);
		return;
	}
	c->phase = PH_PROXY;
	c->proxy_head = malloc(sizeof(*c->proxy_head));
	if (!c->proxy_head) {
		fail(c, "out of memory");
		return;
	}
	httphead_init(c->proxy_head, false);
	n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
		c->target, c->target);
	memcpy(c->out, req, (size_t)n);
	c->olen = (size_t)n;
	if (c->trace) {
		trace_add(c->trace->req, &c->trace->req_len, req, (size_t)n);
		c->trace->req_upgrade = c->trace->req_len;
	}
	flush(c);
}

// Finishing: once everything queued went to the kernel, no more sending.
static void finish_step(struct rawconn *c)
{
	if (c->wr_shut || c->kill || !c->wsi || !flush(c) ||
			rawconn_pending(c)) {
		return;         // (flush() asked for WRITEABLE if it must)
	}
	c->wr_shut = true;
	shutdown(lws_get_socket_fd(c->wsi), SHUT_WR);
}

// Finishing: what the peer still sends is read and dropped, up to a bound.
static void discard(struct rawconn *c, size_t len)
{
	progress(c);
	c->discarded += len;
	if (c->discarded > RAWCONN_DISCARD_MAX) {
		fail(c, "%s", "");      // it will not stop: close anyway
	}
}

void rawconn_finish(struct rawconn *c, long ms)
{
	if (!c || c->detached || c->finishing) {
		return;
	}
	c->finishing = true;
	c->idle_ms = ms;
	if (c->tls && c->phase == PH_OPEN && tls_close(c->tls) < 0) {
		fail(c, "TLS: %s", tls_error(c->tls));
		return;
	}
	progress(c);
	finish_step(c);
}

static void rawconn_free(struct rawconn *c)
{
	lws_sul_cancel(&c->sul);
	dial_cancel(c->dial);
	if (c->tls) {
		tls_conn_free(c->tls);
	}
	free(c->proxy_head);
	free(c->out);
	free(c);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct rawconn *c = lws_get_opaque_user_data(wsi);
	int ret = 0;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT_FILE:
	case LWS_CALLBACK_RAW_RX_FILE:
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		return dial_callback(wsi, reason);      // a connect attempt
	case LWS_CALLBACK_RAW_RX:
	case LWS_CALLBACK_RAW_WRITEABLE:
	case LWS_CALLBACK_RAW_CLOSE:
		break;
	default:
		return 0;
	}
	if (!c) {
		return 0;
	}
	c->in_cb++;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX:
		if (c->detached) {
			break;
		}
		if (c->finishing) {
			discard(c, len);
			break;
		}
		progress(c);
		if (c->phase == PH_PROXY) {
			proxy_in(c, in, len);
		} else if (c->tls) {
			tls_in(c, in, len);
		} else {
			c->cb.data(c->user, in, len);
		}
		break;
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (c->detached) {
			break;
		}
		if (c->finishing) {
			finish_step(c);
			break;
		}
		if (flush(c) && c->want_writable &&
				rawconn_pending(c) < RAWCONN_BUF / 2) {
			c->want_writable = false;
			if (c->cb.writable) {
				c->cb.writable(c->user);
			}
		}
		break;
	case LWS_CALLBACK_RAW_CLOSE:
		if (c->tls && !c->why[0] && c->phase == PH_OPEN &&
				!c->detached && !c->finishing) {
			tls_feed_eof(c->tls);
			tls_in(c, NULL, 0);
		}
		c->in_cb--;
		if (!c->why[0] && c->phase != PH_OPEN) {
			snprintf(c->why, sizeof(c->why), "%s", c->phase ==
				PH_CONNECT ? "connection failed" :
				"connection closed during the TLS handshake");
		}
		tell_closed(c, c->why[0] ? c->why : NULL);
		c->wsi = NULL;
		lws_set_opaque_user_data(wsi, NULL);
		rawconn_free(c);
		return 0;
	default:
		break;
	}
	c->in_cb--;
	if (c->kill) {
		ret = -1;
	}
	return ret;
}

const struct lws_protocols rawconn_protocol = {
	"wsc-raw", callback, 0, 0, 0, NULL, 0
};

// the connect won: c's socket from now on
static void dialed(void *user, struct lws *wsi)
{
	struct rawconn *c = user;

	c->dial = NULL;
	c->wsi = wsi;
	c->in_cb++;     // as in callback(): a close asked for now comes after
	connected(c);
	c->in_cb--;
	if (c->kill) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			LWS_TO_KILL_ASYNC);
	}
}

static void dial_failed(void *user, const char *why)
{
	struct rawconn *c = user;

	c->dial = NULL;
	snprintf(c->why, sizeof(c->why), "%s", why);
	tell_closed(c, c->why);
	rawconn_free(c);
}

struct rawconn *rawconn_open(struct lws_context *ctx,
		const struct rawconn_params *p, const struct rawconn_cb *cb,
		void *user, char *why, size_t size)
{
	static const struct dial_cb dcb = { dialed, dial_failed };
	struct dial_params d = { 0 };
	struct rawconn *c = calloc(1, sizeof(*c));
	char phost[256];

	if (!c || !(c->out = malloc(RAWCONN_BUF))) {
		free(c);
		snprintf(why, size, "out of memory");
		return NULL;
	}
	c->ctx = ctx;
	c->cb = *cb;
	c->user = user;
	c->connect_ms = p->connect_ms;
	c->tls_ctx = p->tls;
	c->alpn = p->alpn;
	c->trace = p->trace;
	snprintf(c->tls_host, sizeof(c->tls_host), "%s", p->tls_host ?
		p->tls_host : p->host);
	snprintf(c->target, sizeof(c->target), strchr(p->host, ':') ?
		"[%s]:%d" : "%s:%d", p->host, p->port);
	d.ctx = ctx;
	d.protocol = rawconn_protocol.name;
	d.trace = p->trace;
	d.host = p->host;
	d.port = p->port;
	d.unix_socket = p->unix_socket;
	if (!p->unix_socket && p->proxy) {
		const char *colon = strrchr(p->proxy, ':');

		c->use_proxy = true;
		snprintf(phost, sizeof(phost), "%.*s", colon ?
			(int)(colon - p->proxy) : (int)strlen(p->proxy),
			p->proxy);
		if (phost[0] == '[') {
			memmove(phost, phost + 1, strlen(phost));
			phost[strcspn(phost, "]")] = '\0';
		}
		d.host = phost;
		d.port = colon ? atoi(colon + 1) : 8080;
	}
	c->dial = dial_start(&d, &dcb, c, why, size);
	if (!c->dial) {
		rawconn_free(c);
		return NULL;
	}
	progress(c);
	return c;
}

const char *rawconn_alpn(struct rawconn *c)
{
	return c->tls ? tls_alpn(c->tls) : "";
}

int rawconn_fd(const struct rawconn *c)
{
	return c && c->wsi ? (int)lws_get_socket_fd(c->wsi) : -1;
}

void rawconn_close(struct rawconn *c)
{
	if (!c || c->detached) {
		return;
	}
	c->detached = true;
	if (c->dial) {
		rawconn_free(c);        // still connecting: no socket yet
		return;
	}
	lws_sul_cancel(&c->sul);
	if (c->in_cb) {
		c->kill = true;
	} else if (c->wsi) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			LWS_TO_KILL_SYNC);
	}
}
