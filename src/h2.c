/*
 * h2.c - one HTTP/2 stream over a rawconn as a byte stream (h2.h): the
 * nghttp2 session and its callbacks, the server's SETTINGS judged, the
 * extended CONNECT, DATA both ways with the window opened only as bytes
 * are taken, and the end: END_STREAM, GOAWAY, then the transport's own
 * polite finish. HTTP/2 itself (framing, HPACK, the session's rules) is
 * nghttp2's; only the shim that makes it a stream for conn.c is here.
 */
#include "h2.h"

#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "h2trace.h"
#include "trace.h"

#define H2_TX_CAP (128 * 1024)  // stream bytes waiting for DATA frames
#define H2_WINDOW (256 * 1024)  // what the server may send ahead of us
#define H2_LINGER_MS 2000       // the server ended the stream: our end
#define H2_FIELDS_MAX 128

// Over TLS wsc offers both, so a server that chose HTTP/1.1 is named
static const char alpn_offer[] = "h2,http/1.1";

struct h2 {
	struct lws_context *ctx;
	struct rawconn *rc;
	nghttp2_session *s;
	struct h2_cb cb;
	void *user;
	struct wsc_trace *trace;
	bool tls;
	int32_t stream;         // ours, once the request went (0: not yet)
	int in_cb;              // inside a callback of ours: free later
	bool dead;              // h2_close() or closed() told: free at once
	bool told;              // closed() was told
	bool opened;            // open() was told
	bool head_done;         // the response head was handed on
	bool remote_ended;      // the server's END_STREAM, before our end
	bool end_in;            // the server's END_STREAM, whenever it came
	bool rst;               // the server's RST_STREAM
	bool goaway;            // the server's GOAWAY NO_ERROR, ours taken
	bool stream_closed;
	bool finishing, eof_sent, goaway_sent, raw_finishing;
	bool want_writable;
	bool receiving;         // inside nghttp2_session_mem_recv()
	long finish_ms;
	struct wsc_buf tx;      // stream bytes for DATA frames, from tx_off
	size_t tx_off;
	char why[256];          // a failure found outside a callback
	char lib_why[160];      // nghttp2's last word on what the server broke
	lws_sorted_usec_list_t sul;
};

/* --- the end --- */

static void h2_free(struct h2 *h)
{
	lws_sul_cancel(&h->sul);
	nghttp2_session_del(h->s);
	buf_free(&h->tx);
	free(h);
}

// After an entry point: free h if it ended meanwhile. True when it did.
static bool gone(struct h2 *h)
{
	if (h->dead && !h->in_cb) {
		h2_free(h);
		return true;
	}
	return h->dead;
}

static void tell_closed(struct h2 *h, const char *why)
{
	if (h->told || h->dead) {
		return;
	}
	h->told = true;
	h->in_cb++;
	h->cb.closed(h->user, why);
	h->in_cb--;
	h->dead = true;
	if (h->rc) {
		rawconn_close(h->rc);
		h->rc = NULL;
	}
}

// The stream failed: why, in the trace too while no response has come.
__attribute__((format(printf, 2, 3)))
static void fail(struct h2 *h, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (h->trace && !h->head_done && !*h->trace->h2_error) {
		snprintf(h->trace->h2_error, sizeof(h->trace->h2_error), "%s",
			why);
	}
	tell_closed(h, why);
}

static void fail_cb(lws_sorted_usec_list_t *sul)
{
	struct h2 *h = lws_container_of(sul, struct h2, sul);

	h->in_cb++;
	fail(h, "%s", h->why);
	h->in_cb--;
	gone(h);
}

/* --- sending --- */

// What nghttp2 wants to send, to the transport; then the end's steps.
static int send_all(struct h2 *h)
{
	int r;

	// (never from inside nghttp2's own callbacks: raw_data() sends after)
	if (!h->s || !h->rc || h->dead || h->raw_finishing || h->receiving) {
		return 0;
	}
	if ((r = nghttp2_session_send(h->s))) {
		return r;
	}
	if (h->finishing && !h->goaway_sent && (h->eof_sent || !h->stream ||
			h->stream_closed)) {
		h->goaway_sent = true;
		nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, 0,
			NGHTTP2_NO_ERROR, NULL, 0);
		if ((r = nghttp2_session_send(h->s))) {
			return r;
		}
	}
	if (h->goaway_sent && !nghttp2_session_want_write(h->s)) {
		// all of it is in the transport: it ends politely
		h->raw_finishing = true;
		rawconn_finish(h->rc, h->finish_ms);
	}
	return 0;
}

// From a callback of the transport's: a failure is told now.
static void pump(struct h2 *h)
{
	int r = send_all(h);

	if (r) {
		fail(h, "HTTP/2: %s", nghttp2_strerror(r));
		return;
	}
	if (!h->dead && h->want_writable && h->tx.len - h->tx_off <
			H2_TX_CAP / 2) {
		h->want_writable = false;
		h->in_cb++;
		h->cb.writable(h->user);
		h->in_cb--;
	}
}

// From the user's call: a failure is told from the loop, never inside it.
static void api_pump(struct h2 *h)
{
	int r = send_all(h);

	if (r && !*h->why) {
		snprintf(h->why, sizeof(h->why), "HTTP/2: %s",
			nghttp2_strerror(r));
		lws_sul_schedule(h->ctx, 0, &h->sul, fail_cb, 0);
	}
}

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len,
		int flags, void *user)
{
	struct h2 *h = user;
	size_t n = h->rc ? rawconn_write(h->rc, data, len) : 0;

	return n ? (ssize_t)n : NGHTTP2_ERR_WOULDBLOCK;
}

// The stream's next DATA frame: what the user queued; END_STREAM after
// the last byte once h2_finish() was called.
static ssize_t read_cb(nghttp2_session *s, int32_t id, uint8_t *buf,
		size_t length, uint32_t *flags, nghttp2_data_source *src,
		void *user)
{
	struct h2 *h = user;
	size_t n = h->tx.len - h->tx_off;

	if (n > length) {
		n = length;
	}
	if (n) {
		memcpy(buf, h->tx.p + h->tx_off, n);
	}
	h->tx_off += n;
	if (h->tx_off == h->tx.len) {
		h->tx_off = 0;
		buf_clear(&h->tx);
		if (h->finishing) {
			*flags |= NGHTTP2_DATA_FLAG_EOF;
			h->eof_sent = true;
			return (ssize_t)n;
		}
	}
	return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
}

bool h2_write_buf(struct h2 *h, struct wsc_buf *b, size_t *off)
{
	size_t n = b->len - *off;

	if (h->finishing || h->dead) {
		n = 0;  // the stream is over: what comes now is not sent
		*off = b->len;
	}
	// while nghttp2 takes what is queued (the window is open, the
	// transport has room) take more: no event would come to ask again
	while (n && h->stream && !h->dead) {
		buf_consume(&h->tx, h->tx_off);
		h->tx_off = 0;
		if (n > H2_TX_CAP - h->tx.len) {
			n = H2_TX_CAP - h->tx.len;
		}
		if (!n || !buf_append(&h->tx, b->p + *off, n, H2_TX_CAP)) {
			break;
		}
		*off += n;
		nghttp2_session_resume_data(h->s, h->stream);
		api_pump(h);
		n = b->len - *off;
	}
	// bytes left here keep conn_tx_empty() false: the caller waits too
	if (*off < b->len || h->tx.len > h->tx_off) {
		h->want_writable = true;
	}
	if (*off < b->len) {
		return false;
	}
	*off = 0;
	buf_clear(b);
	return true;
}

size_t h2_pending(const struct h2 *h)
{
	return h->tx.len - h->tx_off;
}

/* --- receiving --- */

// The server's first SETTINGS: it must allow the extended CONNECT.
static void settings(struct h2 *h, const nghttp2_frame *f)
{
	bool connect = false;

	h2trace_settings(h->trace, false, f->settings.iv, f->settings.niv);
	for (size_t i = 0; i < f->settings.niv; i++) {
		if (f->settings.iv[i].settings_id ==
				NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) {
			connect = f->settings.iv[i].value == 1;
		}
	}
	if (!connect) {
		fail(h, "the server's HTTP/2 SETTINGS do not enable the "
			"extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL=1, "
			"RFC 8441): it takes no WebSocket over HTTP/2; drop "
			"--http2");
		return;
	}
	h->opened = true;
	h->in_cb++;
	h->cb.open(h->user);
	h->in_cb--;
}

// The server ended its side of the stream: end ours (as a peer's FIN).
static void remote_end(struct h2 *h)
{
	h->end_in = true;
	if (!h->finishing) {
		h->remote_ended = true;
		h->finishing = true;
		h->finish_ms = H2_LINGER_MS;
		nghttp2_session_resume_data(h->s, h->stream);
	}
}

static int frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f,
		void *user)
{
	struct h2 *h = user;
	bool ours = h->stream && f->hd.stream_id == h->stream;
	bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;

	if (h->dead) {
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	switch (f->hd.type) {
	case NGHTTP2_SETTINGS:
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK) && !h->opened) {
			settings(h, f);
		}
		break;
	case NGHTTP2_HEADERS:
		if (ours && !h->head_done) {
			h->head_done = true;
			h->in_cb++;
			h->cb.head(h->user, end);
			h->in_cb--;
		}
		if (ours && end && !h->dead) {
			remote_end(h);
		}
		break;
	case NGHTTP2_DATA:
		if (ours && end) {
			remote_end(h);
		}
		break;
	case NGHTTP2_RST_STREAM:
		if (ours) {
			h->rst = true;
			fail(h, "the server reset the HTTP/2 stream (RST_STREAM "
				"%s)", nghttp2_http2_strerror(f->rst_stream.
				error_code));
		}
		break;
	case NGHTTP2_GOAWAY:
		if (f->goaway.error_code != NGHTTP2_NO_ERROR) {
			fail(h, "the server ended the HTTP/2 connection (GOAWAY "
				"%s)", nghttp2_http2_strerror(f->goaway.
				error_code));
		} else if (!h->stream || f->goaway.last_stream_id < h->stream) {
			fail(h, "the server ended the HTTP/2 connection (GOAWAY) "
				"before taking the request");
		} else {
			h->goaway = true;       // the stream goes on to its end
		}
		break;
	default:
		break;
	}
	return h->dead ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *f,
		const uint8_t *name, size_t nlen, const uint8_t *value,
		size_t vlen, uint8_t flags, void *user)
{
	struct h2 *h = user;

	if (h->dead) {
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (f->hd.stream_id == h->stream && !h->head_done) {
		h->in_cb++;
		h->cb.field(h->user, (const char *)name, nlen,
			(const char *)value, vlen);
		h->in_cb--;
	}
	return h->dead ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int data_cb(nghttp2_session *s, uint8_t flags, int32_t id,
		const uint8_t *data, size_t len, void *user)
{
	struct h2 *h = user;

	if (h->dead) {
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (id == h->stream && !h->finishing) {
		// the bytes are the transport's buffer, which data() may change
		h->in_cb++;
		h->cb.data(h->user, (unsigned char *)(uintptr_t)data, len);
		h->in_cb--;
	}
	if (h->dead) {
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	// taken (or dropped): the server may send as much again
	nghttp2_session_consume(s, id, len);
	return 0;
}

// nghttp2 ended the connection for what the server sent: its GOAWAY's
// code and reason (RFC 9113 5.4.1) are the line, once it is sent
static int frame_send_cb(nghttp2_session *s, const nghttp2_frame *f,
		void *user)
{
	struct h2 *h = user;

	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code !=
			NGHTTP2_NO_ERROR && !h->dead) {
		size_t n = f->goaway.opaque_data_len;

		fail(h, "HTTP/2: the server broke the protocol (%s%s%.*s)",
			nghttp2_http2_strerror(f->goaway.error_code),
			n || *h->lib_why ? ": " : "", n ? (int)n : (int)strlen(
			h->lib_why), n ? (const char *)f->goaway.opaque_data :
			h->lib_why);
	}
	return 0;
}

// What nghttp2 found wrong, kept for the stream's failure line
static int error_cb(nghttp2_session *s, int code, const char *msg,
		size_t len, void *user)
{
	struct h2 *h = user;

	snprintf(h->lib_why, sizeof(h->lib_why), "%.*s", (int)len, msg);
	return 0;
}

static int invalid_frame_cb(nghttp2_session *s, const nghttp2_frame *f,
		int code, void *user)
{
	struct h2 *h = user;

	if (!*h->lib_why) {
		snprintf(h->lib_why, sizeof(h->lib_why), "%s",
			nghttp2_strerror(code));
	}
	return 0;
}

static int stream_close_cb(nghttp2_session *s, int32_t id, uint32_t code,
		void *user)
{
	struct h2 *h = user;

	if (id != h->stream || h->dead) {
		return 0;
	}
	h->stream_closed = true;
	if (code != NGHTTP2_NO_ERROR && !h->rst) {
		fail(h, "the HTTP/2 stream failed (%s%s%s)",
			nghttp2_http2_strerror(code), *h->lib_why ? ": " : "",
			h->lib_why);
	}
	return 0;
}

/* --- the transport (rawconn.h) --- */

static bool start_session(struct h2 *h)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_WINDOW },
	};
	int r;

	if (nghttp2_session_callbacks_new(&cbs)) {
		return false;
	}
	nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
		frame_recv_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
		data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
		stream_close_cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs,
		frame_send_cb);
	nghttp2_session_callbacks_set_error_callback2(cbs, error_cb);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs,
		invalid_frame_cb);
	if (nghttp2_option_new(&opt)) {
		nghttp2_session_callbacks_del(cbs);
		return false;
	}
	// the window opens as data() takes the bytes (data_cb)
	nghttp2_option_set_no_auto_window_update(opt, 1);
	r = nghttp2_session_client_new2(&h->s, cbs, h, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	if (r || nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv,
			sizeof(iv) / sizeof(*iv)) ||
			nghttp2_session_set_local_window_size(h->s,
			NGHTTP2_FLAG_NONE, 0, H2_WINDOW)) {
		return false;
	}
	h2trace_settings(h->trace, true, iv, sizeof(iv) / sizeof(*iv));
	return true;
}

static void raw_open(void *user, struct rawconn *rc)
{
	struct h2 *h = user;
	const char *alpn = h->tls ? rawconn_alpn(rc) : "h2";

	h->rc = rc;
	h->in_cb++;
	if (strcmp(alpn, "h2")) {
		fail(h, "the server did not agree to HTTP/2 (ALPN chose %s); "
			"drop --http2", *alpn ? alpn : "nothing");
	} else if (!start_session(h)) {
		fail(h, "HTTP/2: out of memory");
	} else {
		if (h->cb.started) {
			h->cb.started(h->user);
		}
		pump(h);
	}
	h->in_cb--;
	gone(h);
}

static void raw_data(void *user, unsigned char *buf, size_t len)
{
	struct h2 *h = user;
	ssize_t r;

	if (h->dead || !h->s) {
		return;
	}
	h->in_cb++;
	if (!h->opened && len >= 5 && !memcmp(buf, "HTTP/", 5)) {
		// h2c to a server that takes HTTP/1.1 only: its 400, say
		fail(h, "the server answered in HTTP/1, not HTTP/2 (over ws:// "
			"--http2 needs a server that takes HTTP/2 with prior "
			"knowledge); drop --http2");
		h->in_cb--;
		gone(h);
		return;
	}
	h->receiving = true;
	r = nghttp2_session_mem_recv(h->s, buf, len);
	h->receiving = false;
	if (r < 0 && !h->dead) {
		send_all(h);    // nghttp2's GOAWAY says why to the server
		fail(h, "HTTP/2: the server broke the protocol (%s)",
			nghttp2_strerror((int)r));
	}
	if (!h->dead) {
		pump(h);
	}
	h->in_cb--;
	gone(h);
}

static void raw_writable(void *user)
{
	struct h2 *h = user;

	if (h->dead) {
		return;
	}
	h->in_cb++;
	pump(h);
	h->in_cb--;
	gone(h);
}

static void raw_closed(void *user, const char *why)
{
	struct h2 *h = user;

	h->rc = NULL;   // rawconn frees itself
	if (h->dead) {
		return;
	}
	h->in_cb++;
	if (h->s && !h->opened) {
		// the transport was up: HTTP/2 is what failed
		fail(h, "the server closed the connection before its HTTP/2 "
			"SETTINGS%s%s%s; drop --http2 if it does not speak HTTP/2",
			why ? " (" : "", why ? why : "", why ? ")" : "");
	} else {
		tell_closed(h, why ? why : h->remote_ended ? "the server ended "
			"the HTTP/2 stream" : h->goaway ? "the server closed the "
			"HTTP/2 connection after its GOAWAY (NO_ERROR)" : NULL);
	}
	h->in_cb--;
	gone(h);
}

static const struct rawconn_cb raw_cb = {
	raw_open, raw_data, raw_writable, raw_closed,
};

struct h2 *h2_open(struct lws_context *ctx, const struct rawconn_params *p,
		const struct h2_cb *cb, void *user, char *why, size_t size)
{
	struct h2 *h = calloc(1, sizeof(*h));
	struct rawconn_params net = *p;
	struct rawconn *rc;

	if (!h) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	h->ctx = ctx;
	h->cb = *cb;
	h->user = user;
	h->trace = p->trace;
	h->tls = p->tls != NULL;
	net.alpn = h->tls ? alpn_offer : NULL;
	h->in_cb++;
	rc = rawconn_open(ctx, &net, &raw_cb, h, why, size);
	h->in_cb--;
	if (!rc && !h->dead) {
		h2_free(h);
		return NULL;
	}
	if (h->dead) {
		gone(h);        // closed() was told
		return NULL;
	}
	h->rc = rc;     // (a Unix socket may be open already: the same)
	return h;
}

bool h2_request(struct h2 *h, const char *text, size_t len)
{
	nghttp2_nv nv[H2_FIELDS_MAX];
	nghttp2_data_provider data = { .read_callback = read_cb };
	size_t n = 0;
	const char *p = text, *end = text + len;

	// "name: value" lines, the first ": " after the name's first byte
	// (a pseudo-field's name starts with ':')
	while (p < end && n < H2_FIELDS_MAX) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *sep = eol && eol > p + 1 ? memchr(p + 1, ':',
			(size_t)(eol - p - 1)) : NULL;

		if (!sep || sep + 1 >= eol || sep[1] != ' ') {
			break;
		}
		nv[n++] = (nghttp2_nv){ (uint8_t *)(uintptr_t)p,
			(uint8_t *)(uintptr_t)(sep + 2), (size_t)(sep - p),
			(size_t)(eol - sep - 2), NGHTTP2_NV_FLAG_NONE };
		p = eol + 2;
	}
	if (!h->s || h->stream || (p < end && memcmp(p, "\r\n", 2))) {
		return false;
	}
	h->stream = nghttp2_submit_request(h->s, NULL, nv, n, &data, NULL);
	if (h->stream < 0) {
		h->stream = 0;
		return false;
	}
	api_pump(h);
	return true;
}

uint32_t h2_peer_setting(const struct h2 *h, int32_t id)
{
	return h->s ? nghttp2_session_get_remote_settings(h->s, id) : 0;
}

unsigned h2_ends(const struct h2 *h)
{
	return (h->eof_sent ? H2_END_OURS : 0) | (h->end_in ? H2_END_THEIRS :
		0) | (h->rst ? H2_END_RST : 0);
}

void h2_set_idle(struct h2 *h, long ms)
{
	if (h->rc) {
		rawconn_set_idle(h->rc, ms);
	}
}

int h2_fd(const struct h2 *h)
{
	return h->rc ? rawconn_fd(h->rc) : -1;
}

void h2_finish(struct h2 *h, long ms)
{
	if (h->dead) {
		return;
	}
	h->finish_ms = ms;
	if (!h->finishing) {
		h->finishing = true;
		if (h->stream) {
			nghttp2_session_resume_data(h->s, h->stream);
		}
	}
	api_pump(h);
}

void h2_close(struct h2 *h)
{
	if (!h || h->dead) {
		return;
	}
	h->dead = true;
	lws_sul_cancel(&h->sul);
	if (h->rc) {
		rawconn_close(h->rc);
		h->rc = NULL;
	}
	gone(h);
}
