/*
 * tls.c - wsc's TLS engine (see tls.h): OpenSSL on a BIO pair, the
 * ciphertext fed and taken by the caller, every failure given one cause.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tlsconf.h"

// the most one record of plaintext can grow by on the wire (TLS 1.2 CBC
// with SHA-384 and full padding is ~330), and the largest record we write
#define RECORD_OVERHEAD 1024
#define RECORD_MAX 16384

struct tls_ctx {
	struct tls_opts o;
	SSL_CTX *ssl;
	char why[320];		// why building ssl failed, if it did
};

struct tls_conn {
	struct tls_ctx *ctx;
	SSL *ssl;
	BIO *net;		// our end of the pair; the SSL has the other
	char host[256];		// client: the host verified ("" with -k)
	char *sni;		// server: the name the client sent
	unsigned char first;	// the first byte fed (is it TLS at all?)
	size_t fed;
	size_t retry;		// a record tls_write must offer again
	bool done, failed, eof, closed, notified, cert_requested;
	enum tls_fault fault;
	char names[200];	// client: the names of a certificate for others
	char why[320];
	char alpn[32];		// client: the protocol the server chose by ALPN
};

/* --- the context, built on first use --- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct tls_ctx *tls_ctx_new(const struct tls_opts *opts)
{
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx) {
		return NULL;
	}
	ctx->o = *opts;
	ctx->o.ca = dup_or_null(opts->ca);
	ctx->o.cert = dup_or_null(opts->cert);
	ctx->o.key = dup_or_null(opts->key);
	ctx->o.client_ca = dup_or_null(opts->client_ca);
	if ((opts->ca && !ctx->o.ca) || (opts->cert && !ctx->o.cert) ||
			(opts->key && !ctx->o.key) ||
			(opts->client_ca && !ctx->o.client_ca)) {
		tls_ctx_free(ctx);
		return NULL;
	}
	if (!ctx->o.in_cap) {
		ctx->o.in_cap = TLS_BUF_DEFAULT;
	}
	if (!ctx->o.out_cap) {
		ctx->o.out_cap = TLS_BUF_DEFAULT;
	}
	ctx->o.in_cap = ctx->o.in_cap < TLS_BUF_MIN ? TLS_BUF_MIN : ctx->o.in_cap;
	ctx->o.out_cap = ctx->o.out_cap < TLS_BUF_MIN ? TLS_BUF_MIN :
		ctx->o.out_cap;
	return ctx;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx) {
		return;
	}
	SSL_CTX_free(ctx->ssl);
	free((char *)ctx->o.ca);
	free((char *)ctx->o.cert);
	free((char *)ctx->o.key);
	free((char *)ctx->o.client_ca);
	free(ctx);
}

bool tls_ctx_loaded(const struct tls_ctx *ctx)
{
	return ctx->ssl != NULL;
}

static struct tls_conn *conn_of(SSL *ssl)
{
	return SSL_get_app_data(ssl);
}

// the chain as OpenSSL judged it, then the host by tlsconf's rule
static int verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store,
		SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = ssl ? conn_of(ssl) : NULL;

	if (!c) {
		return ok;
	}
	return tlsconf_verify_host(store, ok, c->host, c->names,
		sizeof(c->names)) ? 0 : ok;
}

// called only when the server asks for a certificate and we have none
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	conn_of(ssl)->cert_requested = true;
	return 0;
}

static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_conn *c = conn_of(ssl);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (c && name && !c->sni) {
		c->sni = strdup(name);
	}
	return SSL_TLSEXT_ERR_OK;
}

// wsc asks no passphrase (and OpenSSL must not prompt on the terminal)
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

// "--ca FILE: reason", worded as tlsconf words it where it can
static bool load_failed(struct tls_ctx *ctx, const char *opt,
	const char *file)
{
	const char *o = opt, *f = file;
	unsigned long e = ERR_peek_last_error();
	char why[256];

	// a key is checked against its certificate, as at start
	if (!tlsconf_check_files(!strcmp(opt, "--ca") ? file : NULL,
			strcmp(opt, "--ca") ? ctx->o.cert : NULL,
			!strcmp(opt, "--key") ? file : NULL,
			&o, &f, why, sizeof(why))) {
		snprintf(ctx->why, sizeof(ctx->why), "%s %s: %s", o, f, why);
	} else {
		snprintf(ctx->why, sizeof(ctx->why), "%s %s: %s", opt, file,
			e && ERR_reason_error_string(e) ?
			ERR_reason_error_string(e) : "cannot be loaded");
	}
	ERR_clear_error();
	return false;
}

static bool build(struct tls_ctx *ctx)
{
	const struct tls_opts *o = &ctx->o;
	SSL_CTX *s;

	ERR_clear_error();
	s = ctx->ssl = SSL_CTX_new(o->server ? TLS_server_method() :
		TLS_client_method());
	if (!s) {
		snprintf(ctx->why, sizeof(ctx->why), "out of memory");
		return false;
	}
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	// TLS 1.2 renegotiation would make reads write and writes read
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_default_passwd_cb(s, no_passphrase);
	if (o->cert && SSL_CTX_use_certificate_chain_file(s, o->cert) != 1) {
		return load_failed(ctx, "--cert", o->cert);
	}
	if (o->key && SSL_CTX_use_PrivateKey_file(s, o->key,
			SSL_FILETYPE_PEM) != 1) {
		return load_failed(ctx, "--key", o->key);
	}
	if (o->cert && o->key && SSL_CTX_check_private_key(s) != 1) {
		return load_failed(ctx, "--key", o->key);
	}
	if (o->server) {
		if (!o->cert || !o->key) {
			snprintf(ctx->why, sizeof(ctx->why), "a TLS server needs "
				"a certificate and its key");
			return false;
		}
		SSL_CTX_set_tlsext_servername_callback(s, servername_cb);
		if (o->client_ca) {
			STACK_OF(X509_NAME) *names =
				SSL_load_client_CA_file(o->client_ca);

			if (!names || SSL_CTX_load_verify_locations(s,
					o->client_ca, NULL) != 1) {
				sk_X509_NAME_pop_free(names, X509_NAME_free);
				return load_failed(ctx, "--ca", o->client_ca);
			}
			SSL_CTX_set_client_CA_list(s, names);
			SSL_CTX_set_verify(s, SSL_VERIFY_PEER |
				SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		}
		return true;
	}
	if (!o->cert) {
		SSL_CTX_set_client_cert_cb(s, client_cert_cb);
	}
	if (o->insecure) {
		SSL_CTX_set_verify(s, SSL_VERIFY_NONE, NULL);
		return true;
	}
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER, verify_cb);
	if (o->ca) {
		if (SSL_CTX_load_verify_locations(s, o->ca, NULL) != 1) {
			return load_failed(ctx, "--ca", o->ca);
		}
	} else if (SSL_CTX_set_default_verify_paths(s) != 1) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot load the system's "
			"certificate store");
		return false;
	}
	return true;
}

/* --- a connection --- */

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, const char *host,
	char *why, size_t size)
{
	struct tls_conn *c;
	BIO *inner = NULL;
	bool ip = false;

	if (!ctx->ssl && !*ctx->why && !build(ctx)) {
		SSL_CTX_free(ctx->ssl);
		ctx->ssl = NULL;
	}
	if (!ctx->ssl) {
		snprintf(why, size, "%s", ctx->why);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	c->ctx = ctx;
	if (!ctx->o.server && (!host || !tlsconf_host_name(host, c->host,
			sizeof(c->host), &ip))) {
		snprintf(why, size, "no host name to verify");
		free(c);
		return NULL;
	}
	c->ssl = SSL_new(ctx->ssl);
	if (!c->ssl || BIO_new_bio_pair(&inner, ctx->o.out_cap, &c->net,
			ctx->o.in_cap) != 1) {
		snprintf(why, size, "out of memory");
		tls_conn_free(c);
		return NULL;
	}
	SSL_set_bio(c->ssl, inner, inner);
	SSL_set_app_data(c->ssl, c);
	if (ctx->o.server) {
		SSL_set_accept_state(c->ssl);
		return c;
	}
	SSL_set_connect_state(c->ssl);
	// RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted"
	if (!ip && SSL_set_tlsext_host_name(c->ssl, c->host) != 1) {
		snprintf(why, size, "bad host name for TLS: %s", c->host);
		tls_conn_free(c);
		return NULL;
	}
	ERR_clear_error();
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c) {
		return;
	}
	SSL_free(c->ssl);
	BIO_free(c->net);
	free(c->sni);
	free(c);
}

size_t tls_feed(struct tls_conn *c, const void *buf, size_t len)
{
	int n;

	if (!len || c->eof) {
		return 0;
	}
	n = BIO_write(c->net, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n <= 0) {
		return 0;
	}
	if (!c->fed) {
		c->first = *(const unsigned char *)buf;
	}
	c->fed += (size_t)n;
	return (size_t)n;
}

void tls_feed_eof(struct tls_conn *c)
{
	c->eof = true;
	BIO_shutdown_wr(c->net);
}

const void *tls_out(struct tls_conn *c, size_t *len)
{
	char *p = NULL;
	int n = BIO_nread0(c->net, &p);

	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? p : NULL;
}

void tls_out_done(struct tls_conn *c, size_t n)
{
	char *p;

	while (n > 0) {
		int got = BIO_nread(c->net, &p, n > INT_MAX ? INT_MAX : (int)n);

		if (got <= 0) {
			break;
		}
		n -= (size_t)got;
	}
}

size_t tls_out_pending(const struct tls_conn *c)
{
	return BIO_ctrl_pending(c->net);
}

/* --- causes --- */

static bool cert_alert(int a)
{
	return a == SSL_AD_BAD_CERTIFICATE ||
		a == SSL_AD_UNSUPPORTED_CERTIFICATE ||
		a == SSL_AD_CERTIFICATE_REVOKED ||
		a == SSL_AD_CERTIFICATE_EXPIRED ||
		a == SSL_AD_CERTIFICATE_UNKNOWN || a == SSL_AD_UNKNOWN_CA ||
		a == SSL_AD_ACCESS_DENIED || a == SSL_AD_CERTIFICATE_REQUIRED;
}

// OpenSSL 3.0 has no name for the alerts TLS 1.3 added (RFC 8446 6)
static const char *alert_name(int a)
{
	switch (a) {
	case 109: return "missing extension";
	case 115: return "unknown PSK identity";
	case SSL_AD_CERTIFICATE_REQUIRED: return "certificate required";
	case 120: return "no application protocol";
	default: return SSL_alert_desc_string_long(a);
	}
}

// the error on OpenSSL's queue that says the most: a received alert first
static unsigned long ssl_reason(int *alert)
{
	unsigned long e, best = 0;

	*alert = -1;
	while ((e = ERR_get_error())) {
		int r = ERR_GET_REASON(e);

		if (ERR_GET_LIB(e) == ERR_LIB_SSL && r >= SSL_AD_REASON_OFFSET &&
				r < SSL_AD_REASON_OFFSET + 256) {
			*alert = r - SSL_AD_REASON_OFFSET;
			best = e;
		} else if (!best) {
			best = e;
		}
	}
	return best;
}

// one line for why the connection failed; returns TLS_ERROR
static int fail(struct tls_conn *c, int sslerr)
{
	const char *peer = c->ctx->o.server ? "the client" : "the server";
	long v = SSL_get_verify_result(c->ssl);
	int alert;
	unsigned long e = ssl_reason(&alert);
	int r = ERR_GET_REASON(e);

	c->failed = true;
	c->fault = TLS_FAULT_OTHER;
	if (!c->ctx->o.server && !c->ctx->o.insecure && v != X509_V_OK) {
		bool host = v == X509_V_ERR_HOSTNAME_MISMATCH ||
			v == X509_V_ERR_IP_ADDRESS_MISMATCH;

		c->fault = host ? TLS_FAULT_HOST : TLS_FAULT_TRUST;
		snprintf(c->why, sizeof(c->why), "%s%s%s%s",
			X509_verify_cert_error_string(v), host && *c->names ?
			" (the certificate is for " : "", host ? c->names : "",
			host && *c->names ? ")" : "");
	} else if (c->ctx->o.server && c->ctx->o.client_ca && v != X509_V_OK) {
		snprintf(c->why, sizeof(c->why), "client certificate: %s",
			X509_verify_cert_error_string(v));
	} else if (alert >= 0) {
		const char *desc = alert_name(alert);

		if (!c->ctx->o.server && c->cert_requested &&
				(cert_alert(alert) ||
				alert == SSL_AD_HANDSHAKE_FAILURE)) {
			snprintf(c->why, sizeof(c->why), "the server requires a "
				"client certificate (--cert and --key; alert: "
				"%s)", desc);
		} else if (!c->ctx->o.server && c->ctx->o.cert &&
				cert_alert(alert)) {
			snprintf(c->why, sizeof(c->why), "the server refused the "
				"client certificate (alert: %s)", desc);
		} else {
			snprintf(c->why, sizeof(c->why), "%s sent alert: %s",
				peer, desc);
		}
	} else if (!c->done && c->fed && (c->first < 20 || c->first > 23)) {
		// not a TLS record at all (change_cipher_spec .. application)
		c->fault = (c->ctx->o.server ? c->first == 'G' ||
			c->first == 'P' || c->first == 'H' : c->first == 'H') ?
			TLS_FAULT_PLAIN_HTTP : TLS_FAULT_NOT_TLS;
		snprintf(c->why, sizeof(c->why), "%s does not speak TLS%s", peer,
			c->fault == TLS_FAULT_PLAIN_HTTP ?
			" (it speaks plain HTTP)" : "");
	} else if (c->eof && (sslerr == SSL_ERROR_SYSCALL || sslerr ==
			SSL_ERROR_ZERO_RETURN || r == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		snprintf(c->why, sizeof(c->why), "%s closed the connection %s",
			peer, c->done ? "without a TLS close_notify" :
			"during the TLS handshake");
	} else if (e && ERR_reason_error_string(e)) {
		snprintf(c->why, sizeof(c->why), "%s", ERR_reason_error_string(e));
	} else {
		snprintf(c->why, sizeof(c->why), "TLS error %d", sslerr);
	}
	ERR_clear_error();
	return TLS_ERROR;
}

/* --- the protocol --- */

int tls_handshake(struct tls_conn *c)
{
	int r, err;

	if (c->failed) {
		return TLS_ERROR;
	}
	if (c->done) {
		return 1;
	}
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->done = true;
		return 1;
	}
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		return 0;
	}
	return fail(c, err);
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t size)
{
	size_t got = 0;

	if (c->failed) {
		return TLS_ERROR;
	}
	if (c->closed) {
		return TLS_EOF;
	}
	if (!c->done) {
		int h = tls_handshake(c);

		if (h <= 0) {
			return h;
		}
	}
	while (got < size) {
		size_t n = 0;
		int err;

		ERR_clear_error();
		if (SSL_read_ex(c->ssl, (char *)buf + got, size - got, &n)) {
			got += n;
			continue;
		}
		err = SSL_get_error(c->ssl, 0);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			break;
		}
		if (err == SSL_ERROR_ZERO_RETURN) {
			c->notified = c->closed = true;
		} else if (c->eof && (err == SSL_ERROR_SYSCALL ||
				ERR_GET_REASON(ERR_peek_last_error()) ==
				SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
			ERR_clear_error();
			c->closed = true;
		} else {
			fail(c, err);
		}
		if (got) {
			break;
		}
		return c->failed ? TLS_ERROR : TLS_EOF;
	}
	return (ssize_t)got;
}

ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t taken = 0;

	if (c->failed) {
		return TLS_ERROR;
	}
	if (!c->done) {
		int h = tls_handshake(c);

		if (h <= 0) {
			return h;
		}
	}
	while (taken < len) {
		size_t room = BIO_ctrl_get_write_guarantee(SSL_get_wbio(c->ssl));
		size_t chunk = len - taken, n = 0;
		int err;

		if (c->retry) {
			// OpenSSL holds a record of these bytes: offer them again
			chunk = c->retry <= chunk ? c->retry : chunk;
		} else if (room <= RECORD_OVERHEAD) {
			break;
		} else {
			chunk = chunk < RECORD_MAX ? chunk : RECORD_MAX;
			chunk = chunk < room - RECORD_OVERHEAD ? chunk :
				room - RECORD_OVERHEAD;
		}
		ERR_clear_error();
		if (SSL_write_ex(c->ssl, (const char *)buf + taken, chunk, &n)) {
			c->retry = 0;
			taken += n;
			continue;
		}
		err = SSL_get_error(c->ssl, 0);
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
			c->retry = chunk;
			break;
		}
		fail(c, err);
		return taken ? (ssize_t)taken : TLS_ERROR;
	}
	return (ssize_t)taken;
}

int tls_close(struct tls_conn *c)
{
	if (c->failed) {
		return TLS_ERROR;
	}
	if (c->done && !(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	return 0;
}

const char *tls_error(const struct tls_conn *c)
{
	return c->why;
}

enum tls_fault tls_fault(const struct tls_conn *c)
{
	return c->failed ? c->fault : TLS_FAULT_OTHER;
}

bool tls_close_notify_seen(const struct tls_conn *c)
{
	return c->notified;
}

const char *tls_servername(const struct tls_conn *c)
{
	return c->sni;
}

const char *tls_version(const struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}

void *tls_conn_ssl(struct tls_conn *c)
{
	return c->ssl;
}

bool tls_conn_set_alpn(struct tls_conn *c, const char *list)
{
	unsigned char wire[64];
	size_t n = 0;

	// "h2,http/1.1" in the wire's form: each name after its length
	for (const char *p = list; *p; ) {
		size_t k = strcspn(p, ",");

		if (!k || k > 255 || n + 1 + k > sizeof(wire)) {
			return false;
		}
		wire[n++] = (unsigned char)k;
		memcpy(wire + n, p, k);
		n += k;
		p += k + (p[k] == ',');
	}
	return SSL_set_alpn_protos(c->ssl, wire, (unsigned)n) == 0;
}

const char *tls_alpn(struct tls_conn *c)
{
	const unsigned char *p;
	unsigned n;

	SSL_get0_alpn_selected(c->ssl, &p, &n);
	snprintf(c->alpn, sizeof(c->alpn), "%.*s", (int)n, p ? (const char *)p :
		"");
	return c->alpn;
}
