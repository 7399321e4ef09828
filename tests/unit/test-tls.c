/*
 * test-tls.c - the TLS engine (src/tls.c): a client engine and a server
 * engine paired in memory, the bytes shuttled between them by the test,
 * with certificates made here with OpenSSL's API (so expired ones too):
 * verification and its causes, SNI, -k, bounded buffers and partial
 * writes over 16 MiB each way, close_notify; then against a real
 * `openssl s_server` over loopback TCP. TLS_BENCH_MB=n measures the pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "tls.h"

static char dir[64];
static EVP_PKEY *ca_key, *ca2_key;
static X509 *ca_cert, *ca2_cert;

/* --- certificates --- */

static const char *path(const char *name)
{
	static char ring[8][128];
	static unsigned next;
	char *p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", dir, name);
	return p;
}

static const char *const files[] = { "ca", "ca2", "server", "wrong", "ip",
	"expired", "self", "other", "client", "client2", "long" };
#define NFILES (sizeof(files) / sizeof(files[0]))

// dir/name.pem or dir/name.key, for a name in files[] (stable pointers)
static const char *file_of(const char *name, int kind)
{
	static char names[NFILES][2][128];

	for (size_t i = 0; i < NFILES; i++) {
		if (!strcmp(files[i], name)) {
			snprintf(names[i][kind], sizeof(names[i][kind]), "%s/%s.%s",
				dir, name, kind ? "key" : "pem");
			return names[i][kind];
		}
	}
	fprintf(stderr, "no file %s\n", name);
	exit(1);
}

static const char *pem(const char *name)
{
	return file_of(name, 0);
}

static const char *key(const char *name)
{
	return file_of(name, 1);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!e || !X509_add_ext(x, e, -1)) {
		fprintf(stderr, "bad extension %s\n", value);
		exit(1);
	}
	X509_EXTENSION_free(e);
}

/* name.pem and name.key: a certificate for cn with the SANs san (or none),
 * valid from `from` to `to` seconds from now, signed by issuer (NULL:
 * itself); eku "serverAuth", "clientAuth" or NULL for a CA. */
static X509 *make(const char *name, const char *cn, const char *san,
	X509 *issuer, EVP_PKEY *ikey, long from, long to, const char *eku,
	EVP_PKEY **keyp)
{
	static long serial = 1;
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
		MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	if (eku) {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints,
			"CA:FALSE");
		add_ext(x, issuer ? issuer : x, NID_ext_key_usage, eku);
	} else {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	if (san) {
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	}
	X509_sign(x, issuer ? ikey : pkey, EVP_sha256());
	f = fopen(pem(name), "w");
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(key(name), "w");
	PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	if (keyp) {
		*keyp = pkey;
	} else {
		EVP_PKEY_free(pkey);
	}
	return x;
}

// a DNS name of 68 characters
#define LONG_NAME(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c ".example"

static void make_pki(void)
{
	const long day = 86400;
	const char *sans = "DNS:localhost,IP:127.0.0.1,IP:::1";

	snprintf(dir, sizeof(dir), "%s/wsc-tls-XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	ca_cert = make("ca", "wsc test CA", NULL, NULL, NULL, 0, day, NULL,
		&ca_key);
	ca2_cert = make("ca2", "another CA", NULL, NULL, NULL, 0, day, NULL,
		&ca2_key);
	X509 *x[] = {
		make("server", "localhost", sans, ca_cert, ca_key, 0, day,
			"serverAuth", NULL),
		make("wrong", "wrong.example", "DNS:wrong.example", ca_cert,
			ca_key, 0, day, "serverAuth", NULL),
		make("ip", "ip only", "IP:127.0.0.1,IP:::1", ca_cert, ca_key,
			0, day, "serverAuth", NULL),
		make("expired", "localhost", sans, ca_cert, ca_key, -2 * day,
			-day, "serverAuth", NULL),
		make("self", "localhost", sans, NULL, NULL, 0, day,
			"serverAuth", NULL),
		make("other", "localhost", sans, ca2_cert, ca2_key, 0, day,
			"serverAuth", NULL),
		make("client", "wsc test client", NULL, ca_cert, ca_key, 0, day,
			"clientAuth", NULL),
		make("client2", "another client", NULL, ca2_cert, ca2_key, 0,
			day, "clientAuth", NULL),
		// three long names: more than a mismatch's line has room for
		make("long", "long names", "DNS:" LONG_NAME("a") ",DNS:"
			LONG_NAME("b") ",DNS:" LONG_NAME("c"), ca_cert, ca_key,
			0, day, "serverAuth", NULL),
	};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		X509_free(x[i]);
	}
}

static void remove_pki(void)
{
	for (size_t i = 0; i < NFILES; i++) {
		unlink(pem(files[i]));
		unlink(key(files[i]));
	}
	rmdir(dir);
	X509_free(ca_cert);
	X509_free(ca2_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
}

/* --- a pair in memory --- */

struct pair {
	struct tls_ctx *cctx, *sctx;
	struct tls_conn *c, *s;
	size_t max_out[2];	// the most each side's out-buffer held
	size_t cap[2];
	char why[320];
	int rc, rs;		// the last tls_handshake results
};

static void watch(struct pair *p)
{
	size_t a = tls_out_pending(p->c), b = tls_out_pending(p->s);

	p->max_out[0] = a > p->max_out[0] ? a : p->max_out[0];
	p->max_out[1] = b > p->max_out[1] ? b : p->max_out[1];
}

static size_t partial_feeds;	// tls_feed calls that took less than offered

// moves what fits from one side's out-buffer into the other; bytes moved
static size_t move(struct tls_conn *from, struct tls_conn *to)
{
	size_t total = 0, len, n;
	const void *out;

	while ((out = tls_out(from, &len))) {
		n = tls_feed(to, out, len);
		tls_out_done(from, n);
		total += n;
		if (n < len) {
			partial_feeds++;
			break;
		}
	}
	return total;
}

static size_t shuttle(struct pair *p)
{
	size_t n;

	watch(p);
	n = move(p->c, p->s);
	n += move(p->s, p->c);
	return n;
}

static void pair_free(struct pair *p)
{
	tls_conn_free(p->c);
	tls_conn_free(p->s);
	tls_ctx_free(p->cctx);
	tls_ctx_free(p->sctx);
	memset(p, 0, sizeof(*p));
}

/* Client options co for host, server with certificate name (client_ca
 * optional); runs the handshake to its end. Returns 1 when both sides are
 * done, else -1 with the client's cause (or the setup's) in p->why. */
static int pair_open(struct pair *p, struct tls_opts co, const char *host,
	const char *name, const char *client_ca)
{
	struct tls_opts so = { .server = true, .cert = pem(name),
		.key = key(name), .client_ca = client_ca,
		.in_cap = co.in_cap, .out_cap = co.out_cap };

	memset(p, 0, sizeof(*p));
	p->cctx = tls_ctx_new(&co);
	p->sctx = tls_ctx_new(&so);
	p->c = tls_conn_new(p->cctx, host, p->why, sizeof(p->why));
	if (!p->c) {
		return -1;
	}
	p->s = tls_conn_new(p->sctx, NULL, p->why, sizeof(p->why));
	if (!p->s) {
		return -1;
	}
	return 0;
}

static int pair_run(struct pair *p)
{
	char buf[256];

	for (int i = 0; i < 100; i++) {
		p->rc = tls_handshake(p->c);
		p->rs = tls_handshake(p->s);
		if (!shuttle(p) && (p->rc != 0 || p->rs != 0)) {
			break;
		}
	}
	// TLS 1.3: the client is done before the server has judged its
	// certificate; the verdict (an alert) comes with the first read
	if (p->rc == 1 && tls_read(p->c, buf, sizeof(buf)) == TLS_ERROR) {
		p->rc = TLS_ERROR;
	}
	if (p->rc < 0) {
		snprintf(p->why, sizeof(p->why), "%s", tls_error(p->c));
	}
	return p->rc == 1 && p->rs == 1 ? 1 : -1;
}

static int pair_connect(struct pair *p, struct tls_opts co, const char *host,
	const char *name, const char *client_ca)
{
	if (pair_open(p, co, host, name, client_ca) < 0) {
		return -1;
	}
	return pair_run(p);
}

/* --- the cases --- */

static void test_verified(void)
{
	struct tls_opts co = { .ca = pem("ca") };
	struct pair p;
	static const struct { const char *host, *cert, *sni; } rows[] = {
		{ "localhost", "server", "localhost" },
		{ "localhost:8443", "server", "localhost" },
		{ "127.0.0.1", "server", NULL },
		{ "127.0.0.1", "ip", NULL },
		{ "::1", "ip", NULL },
		{ "[::1]", "ip", NULL },
		{ "[::1]:443", "server", NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		is_int(pair_connect(&p, co, rows[i].host, rows[i].cert, NULL),
			1, "%s with %s.pem: verified (%s)", rows[i].host,
			rows[i].cert, p.why);
		is_str(p.s ? tls_servername(p.s) : "(no server)", rows[i].sni,
			"%s: SNI %s", rows[i].host, rows[i].sni ?
			rows[i].sni : "not sent (an IP literal)");
		pair_free(&p);
	}
	pair_connect(&p, co, "localhost", "server", NULL);
	is_str(p.c ? tls_version(p.c) : "", "TLSv1.3", "TLS 1.3 negotiated");
	pair_free(&p);
}

static void test_causes(void)
{
	struct tls_opts co = { .ca = pem("ca") };
	struct pair p;
	static const struct {
		const char *host, *cert, *why;
		enum tls_fault fault;
	} rows[] = {
		{ "localhost", "self", "self-signed certificate",
			TLS_FAULT_TRUST },
		{ "localhost", "expired", "certificate has expired",
			TLS_FAULT_TRUST },
		{ "localhost", "wrong", "hostname mismatch (the certificate is "
			"for wrong.example)", TLS_FAULT_HOST },
		{ "localhost", "ip", "hostname mismatch (the certificate is for "
			"127.0.0.1, ::1)", TLS_FAULT_HOST },
		{ "127.0.0.1", "wrong", "IP address mismatch (the certificate is "
			"for wrong.example)", TLS_FAULT_HOST },
		{ "[::1]", "wrong", "IP address mismatch (the certificate is for "
			"wrong.example)", TLS_FAULT_HOST },
		{ "localhost", "long", "hostname mismatch (the certificate is for "
			LONG_NAME("a") ", " LONG_NAME("b") " and 1 more)",
			TLS_FAULT_HOST },
		{ "localhost", "other", "unable to get local issuer certificate",
			TLS_FAULT_TRUST },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		is_int(pair_connect(&p, co, rows[i].host, rows[i].cert, NULL),
			-1, "%s with %s.pem: refused", rows[i].host,
			rows[i].cert);
		is_str(p.why, rows[i].why, "  cause: %s", rows[i].why);
		is_int(p.c ? (int)tls_fault(p.c) : -1, (int)rows[i].fault,
			"  its kind: %d", (int)rows[i].fault);
		pair_free(&p);
	}
	// -k accepts every one of them
	co.insecure = true;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		is_int(pair_connect(&p, co, rows[i].host, rows[i].cert, NULL),
			1, "-k: %s with %s.pem accepted (%s)", rows[i].host,
			rows[i].cert, p.why);
		pair_free(&p);
	}
	// the system store does not hold the test CA
	co = (struct tls_opts){ 0 };
	is_int(pair_connect(&p, co, "localhost", "server", NULL), -1,
		"system store: a test CA's certificate refused");
	is_str(p.why, "unable to get local issuer certificate",
		"  cause: unable to get local issuer certificate");
	pair_free(&p);
}

static void test_client_certificates(void)
{
	struct tls_opts co = { .ca = pem("ca") };
	struct pair p;

	is_int(pair_connect(&p, co, "localhost", "server", pem("ca")), -1,
		"no client certificate, one required: refused");
	is_str(p.why, "the server requires a client certificate (--cert and "
		"--key; alert: certificate required)", "  cause: %s", p.why);
	is_str(tls_error(p.s), "peer did not return a certificate",
		"  server side: %s", tls_error(p.s));
	pair_free(&p);

	co.cert = pem("client2");
	co.key = key("client2");
	is_int(pair_connect(&p, co, "localhost", "server", pem("ca")), -1,
		"a client certificate from another CA: refused");
	is_str(p.why, "the server refused the client certificate (alert: "
		"unknown CA)", "  cause: %s", p.why);
	is_str(tls_error(p.s), "client certificate: unable to get local "
		"issuer certificate", "  server side: %s", tls_error(p.s));
	pair_free(&p);

	co.cert = pem("client");
	co.key = key("client");
	is_int(pair_connect(&p, co, "localhost", "server", pem("ca")), 1,
		"the CA's client certificate: accepted (%s)", p.why);
	pair_free(&p);

	// TLS 1.2 too: the server's alert ends the client's handshake
	co.cert = co.key = NULL;
	pair_open(&p, co, "localhost", "server", pem("ca"));
	SSL_set_max_proto_version(tls_conn_ssl(p.c), TLS1_2_VERSION);
	is_int(pair_run(&p), -1, "TLS 1.2, no client certificate: refused");
	is_str(p.why, "the server requires a client certificate (--cert and "
		"--key; alert: handshake failure)", "  cause: %s", p.why);
	pair_free(&p);
}

static void test_alerts_and_not_tls(void)
{
	struct tls_opts co = { .ca = pem("ca") };
	struct pair p;
	char buf[64];
	static const struct {
		bool server;
		const char *bytes, *why;
		enum tls_fault fault;
	} rows[] = {
		{ false, "HTTP/1.1 400 Bad Request\r\n\r\n",
			"the server does not speak TLS (it speaks plain HTTP)",
			TLS_FAULT_PLAIN_HTTP },
		{ false, "SSH-2.0-OpenSSH_9.2\r\n",
			"the server does not speak TLS", TLS_FAULT_NOT_TLS },
		{ true, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			"the client does not speak TLS (it speaks plain HTTP)",
			TLS_FAULT_PLAIN_HTTP },
	};

	pair_open(&p, co, "localhost", "server", NULL);
	SSL_set_min_proto_version(tls_conn_ssl(p.c), TLS1_3_VERSION);
	SSL_set_max_proto_version(tls_conn_ssl(p.s), TLS1_2_VERSION);
	is_int(pair_run(&p), -1, "no common protocol version: refused");
	is_str(p.why, "the server sent alert: protocol version",
		"  cause: %s", p.why);
	pair_free(&p);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tls_conn *c;

		pair_open(&p, co, "localhost", "server", NULL);
		c = rows[i].server ? p.s : p.c;
		tls_handshake(c);
		tls_out_done(c, tls_out_pending(c));
		tls_feed(c, rows[i].bytes, strlen(rows[i].bytes));
		is_int(tls_handshake(c), TLS_ERROR, "%s",
			tap_esc(rows[i].bytes));
		is_str(tls_error(c), rows[i].why, "  cause: %s", rows[i].why);
		is_int((int)tls_fault(c), (int)rows[i].fault, "  its kind: %d",
			(int)rows[i].fault);
		is_int(tls_read(c, buf, sizeof(buf)), TLS_ERROR,
			"  and reads fail after");
		pair_free(&p);
	}

	pair_open(&p, co, "localhost", "server", NULL);
	tls_handshake(p.c);
	tls_feed_eof(p.c);
	is_int(tls_handshake(p.c), TLS_ERROR, "EOF during the handshake");
	is_str(tls_error(p.c), "the server closed the connection during the "
		"TLS handshake", "  cause: %s", tls_error(p.c));
	pair_free(&p);
}

static void test_setup(void)
{
	struct tls_opts co = { .ca = path("nonexistent.pem") };
	struct tls_ctx *ctx = tls_ctx_new(&co);
	char why[320], want[320];

	ok(ctx && !tls_ctx_loaded(ctx), "a context costs nothing until used");
	ok(!tls_conn_new(ctx, "localhost", why, sizeof(why)),
		"a missing --ca file: no connection");
	snprintf(want, sizeof(want), "--ca %s: No such file or directory",
		path("nonexistent.pem"));
	is_str(why, want, "  cause: %s", why);
	tls_ctx_free(ctx);

	co = (struct tls_opts){ .cert = pem("client"), .key = key("self") };
	ctx = tls_ctx_new(&co);
	ok(!tls_conn_new(ctx, "localhost", why, sizeof(why)),
		"a --key not of --cert: no connection");
	snprintf(want, sizeof(want), "--key %s: not the private key of "
		"--cert %s", key("self"), pem("client"));
	is_str(why, want, "  cause: %s", why);
	tls_ctx_free(ctx);

	co = (struct tls_opts){ .ca = pem("ca") };
	ctx = tls_ctx_new(&co);
	struct tls_conn *c = tls_conn_new(ctx, "localhost", why, sizeof(why));
	ok(c && tls_ctx_loaded(ctx), "built by the first connection");
	tls_conn_free(c);
	ok(!tls_conn_new(ctx, "", why, sizeof(why)), "an empty host refused");
	is_str(why, "no host name to verify", "  cause: %s", why);
	tls_ctx_free(ctx);
}

/* --- bulk, bounds and close --- */

static unsigned char pattern(size_t i, unsigned seed)
{
	return (unsigned char)((i * 2654435761u) >> 13 ^ seed);
}

struct flow {
	size_t sent, got, bad, max_read, partial, writes;
};

// one side writes its pattern (offering chunk bytes), the other reads
static void flow_step(struct tls_conn *w, struct tls_conn *r,
	struct flow *f, size_t total, size_t chunk, unsigned seed,
	unsigned char *src, unsigned char *dst, size_t dsize)
{
	if (f->sent < total) {
		size_t n = total - f->sent < chunk ? total - f->sent : chunk;
		ssize_t t;

		for (size_t i = 0; i < n; i++) {
			src[i] = pattern(f->sent + i, seed);
		}
		t = tls_write(w, src, n);
		if (t > 0) {
			f->sent += (size_t)t;
			f->writes++;
			f->partial += (size_t)t < n;
		}
	}
	ssize_t n = tls_read(r, dst, dsize);

	if (n > 0) {
		for (ssize_t i = 0; i < n; i++) {
			f->bad += dst[i] != pattern(f->got + (size_t)i, seed);
		}
		f->got += (size_t)n;
		f->max_read = (size_t)n > f->max_read ? (size_t)n : f->max_read;
	}
}

static void test_bulk(size_t cap, const char *label)
{
	const size_t total = 16u << 20, chunk = 64 * 1024, dsize = 256 * 1024;
	struct tls_opts co = { .ca = pem("ca"), .in_cap = cap, .out_cap = cap };
	unsigned char *src = malloc(chunk), *dst = malloc(dsize);
	struct flow up = { 0 }, down = { 0 };
	struct pair p;
	int stalls = 0;

	is_int(pair_connect(&p, co, "localhost", "server", NULL), 1,
		"%s: connected", label);
	while ((up.got < total || down.got < total) && stalls < 100) {
		flow_step(p.c, p.s, &up, total, chunk, 1, src, dst, dsize);
		flow_step(p.s, p.c, &down, total, chunk, 2, src, dst, dsize);
		stalls = shuttle(&p) ? 0 : stalls + 1;
	}
	cap = cap ? cap : TLS_BUF_DEFAULT;
	ok(up.got == total && !up.bad, "%s: 16 MiB client to server intact "
		"(%zu, %zu bad)", label, up.got, up.bad);
	ok(down.got == total && !down.bad, "%s: 16 MiB server to client "
		"intact (%zu, %zu bad)", label, down.got, down.bad);
	ok(p.max_out[0] <= cap && p.max_out[1] <= cap && p.max_out[0] > 0,
		"%s: out-buffers within %zu (%zu, %zu)", label, cap,
		p.max_out[0], p.max_out[1]);
	if (cap < chunk) {
		ok(up.partial && down.partial, "%s: writes taken in part "
			"(%zu of %zu, %zu of %zu)", label, up.partial,
			up.writes, down.partial, down.writes);
	} else {
		ok(up.max_read >= 64 * 1024 && down.max_read >= 64 * 1024,
			"%s: reads of 64 KiB and more (%zu, %zu)", label,
			up.max_read, down.max_read);
	}

	// close_notify, then a transport end without one
	char buf[16];
	is_int(tls_close(p.c), 0, "%s: close_notify queued", label);
	shuttle(&p);
	is_int(tls_read(p.s, buf, sizeof(buf)), TLS_EOF,
		"  the server reads the end");
	ok(tls_close_notify_seen(p.s), "  a clean one");
	tls_feed_eof(p.c);
	is_int(tls_read(p.c, buf, sizeof(buf)), TLS_EOF,
		"  the client reads the end of the transport");
	ok(!tls_close_notify_seen(p.c), "  not a clean one");
	pair_free(&p);
	free(src);
	free(dst);
}

/* The reader stops reading: its in-buffer fills, then the writer's
 * out-buffer, then tls_write takes nothing; nothing grows past its cap;
 * once the reader reads again everything arrives. */
static void test_backpressure(void)
{
	struct tls_opts co = { .ca = pem("ca"), .in_cap = 32 * 1024,
		.out_cap = 32 * 1024 };
	static unsigned char src[64 * 1024], dst[64 * 1024];
	size_t sent = 0, got = 0, bad = 0, zero_at = 0;
	struct pair p;
	ssize_t n;

	for (size_t i = 0; i < sizeof(src); i++) {
		src[i] = pattern(i, 3);
	}
	pair_connect(&p, co, "localhost", "server", NULL);
	partial_feeds = 0;
	for (int i = 0; i < 20; i++) {
		n = tls_write(p.c, src + sent % sizeof(src),
			sizeof(src) - sent % sizeof(src));
		sent += n > 0 ? (size_t)n : 0;
		if (n == 0 && !zero_at) {
			zero_at = sent;
		}
		shuttle(&p);
	}
	ok(zero_at > 0 && zero_at < 64 * 1024 + 32 * 1024,
		"a reader that stops: tls_write takes nothing after %zu bytes",
		zero_at);
	ok(partial_feeds > 0, "  the in-buffer took ciphertext in part");
	ok(p.max_out[0] <= 32 * 1024 && tls_out_pending(p.c) > 16 * 1024,
		"  the out-buffer full but within its cap (%zu)",
		tls_out_pending(p.c));
	while (got < sent && (n = tls_read(p.s, dst, sizeof(dst))) >= 0) {
		for (ssize_t i = 0; i < n; i++) {
			bad += dst[i] != pattern((got + (size_t)i) % sizeof(src), 3);
		}
		got += (size_t)n;
		if (!shuttle(&p) && !n) {
			break;
		}
	}
	ok(got == sent && !bad, "  reading again drains it all (%zu of %zu, "
		"%zu bad)", got, sent, bad);
	pair_free(&p);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// TLS_BENCH_MB=n: n MiB client to server in 64 KiB writes, MB/s
static void bench(size_t mb)
{
	const size_t chunk = 64 * 1024, total = mb << 20;
	const char *cap = getenv("TLS_BENCH_CAP");	// buffer sizes, KiB
	struct tls_opts co = { .ca = pem("ca"),
		.in_cap = cap ? (size_t)atol(cap) << 10 : 0,
		.out_cap = cap ? (size_t)atol(cap) << 10 : 0 };
	unsigned char *src = calloc(1, chunk), *dst = malloc(256 * 1024);
	size_t sent = 0, got = 0;
	struct pair p;
	double t;

	t = now();
	struct tls_ctx *sys = tls_ctx_new(&(struct tls_opts){ 0 });
	char why[320];
	tls_conn_free(tls_conn_new(sys, "localhost", why, sizeof(why)));
	diag("first connection, system store loaded: %.1f ms",
		(now() - t) * 1e3);
	tls_ctx_free(sys);

	pair_connect(&p, co, "localhost", "server", NULL);
	t = now();
	while (got < total) {
		ssize_t n = tls_write(p.c, src, chunk);

		sent += n > 0 ? (size_t)n : 0;
		move(p.c, p.s);
		while ((n = tls_read(p.s, dst, 256 * 1024)) > 0) {
			got += (size_t)n;
		}
	}
	t = now() - t;
	diag("pair throughput, %zu KiB buffers: %zu MiB in %.3f s = %.0f MB/s "
		"(%s, %s)", (cap ? (size_t)atol(cap) << 10 : TLS_BUF_DEFAULT) >>
		10, sent >> 20, t, (double)total / t / 1e6, tls_version(p.c),
		SSL_get_cipher(tls_conn_ssl(p.c)));
	pair_free(&p);
	free(src);
	free(dst);
}

/* --- against openssl s_server over loopback --- */

// the child's pid; its stdout in *out; the port from its ACCEPT line
static pid_t start_s_server(int *port)
{
	int fds[2];
	pid_t pid;
	char line[256];
	size_t len = 0;

	if (pipe(fds) != 0) {
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		execlp("openssl", "openssl", "s_server", "-accept",
			"127.0.0.1:0", "-cert", pem("server"), "-key",
			key("server"), "-naccept", "1", "-rev", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*port = 0;
	while (pid > 0 && len < sizeof(line) - 1) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t n;
		char *a;

		if (poll(&pfd, 1, 30000) <= 0) {
			break;
		}
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		line[len] = '\0';
		a = strstr(line, "ACCEPT 127.0.0.1:");
		if (a && strchr(a, '\n')) {
			*port = atoi(a + strlen("ACCEPT 127.0.0.1:"));
			break;
		}
	}
	close(fds[0]);
	return pid;
}

static void test_s_server(void)
{
	struct tls_opts co = { .ca = pem("ca") };
	struct tls_ctx *ctx = tls_ctx_new(&co);
	struct tls_conn *c;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char why[320], got[256];
	const char *msg = "hello tls\n";
	size_t sent = 0, have = 0;
	int port, fd, status;
	pid_t pid = start_s_server(&port);

	if (pid <= 0 || port <= 0) {
		ok(true, "# SKIP openssl s_server did not start");
		if (pid > 0) {
			kill(pid, SIGTERM);
			waitpid(pid, &status, 0);
		}
		tls_ctx_free(ctx);
		return;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		"connected to openssl s_server on port %d", port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	c = tls_conn_new(ctx, "127.0.0.1", why, sizeof(why));
	// the event loop a caller runs: send what is out, feed what comes
	while (!strstr(got, "slt olleh")) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		unsigned char buf[16384];
		const void *out;
		size_t len;
		ssize_t n;

		if (tls_handshake(c) < 0) {
			break;
		}
		if (tls_handshake(c) == 1 && sent < strlen(msg)) {
			n = tls_write(c, msg + sent, strlen(msg) - sent);
			sent += n > 0 ? (size_t)n : 0;
		}
		while ((out = tls_out(c, &len)) &&
				(n = send(fd, out, len, MSG_NOSIGNAL)) > 0) {
			tls_out_done(c, (size_t)n);
		}
		pfd.events |= tls_out_pending(c) ? POLLOUT : 0;
		if (poll(&pfd, 1, 30000) <= 0) {
			break;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0) {
			tls_feed_eof(c);
		}
		if (n > 0) {
			tls_feed(c, buf, (size_t)n);
		}
		n = tls_read(c, got + have, sizeof(got) - 1 - have);
		if (n > 0) {
			have += (size_t)n;
			got[have] = '\0';
		} else if (n < 0) {
			break;
		}
	}
	ok(strstr(got, "slt olleh") != NULL, "s_server answered over TLS "
		"(got '%s', %s)", tap_esc(got), tls_error(c));
	tls_conn_free(c);
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	tls_ctx_free(ctx);
}

int main(void)
{
	const char *mb = getenv("TLS_BENCH_MB");

	setvbuf(stdout, NULL, _IOLBF, 0);

	make_pki();
	if (mb) {
		bench((size_t)atol(mb));
		remove_pki();
		return 0;
	}
	test_setup();
	test_verified();
	test_causes();
	test_client_certificates();
	test_alerts_and_not_tls();
	test_bulk(TLS_BUF_MIN, "20 KiB buffers");
	test_bulk(0, "default buffers");
	test_backpressure();
	test_s_server();
	remove_pki();
	return done_testing();
}
