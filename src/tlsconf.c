/*
 * tlsconf.c - wsc's own part of the client TLS set-up, with OpenSSL (see
 * tlsconf.h): the --ca, --cert and --key files read the way libwebsockets
 * will load them, and the server's certificate checked against the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsconf.h"

/* --- the files --- */

// OpenSSL's reason for the last error, or fallback.
static const char *reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (!e || ERR_GET_REASON(e) == PEM_R_NO_START_LINE || !r) {
		return fallback;
	}
	return r;
}

#define DEVICE_MAX (1024 * 1024)

/* A device (/dev/null, /dev/stdin on a terminal...) read whole into memory,
 * at most DEVICE_MAX bytes, so that one that never ends cannot hang wsc. */
static BIO *read_device(const char *path, char *why, size_t size)
{
	char chunk[16 * 1024];
	size_t len = 0, n;
	FILE *f = fopen(path, "r");
	BIO *b;

	if (!f) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	b = BIO_new(BIO_s_mem());
	while (b && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		len += n;
		if (len > DEVICE_MAX) {
			fclose(f);
			BIO_free(b);
			snprintf(why, size, "larger than %d KiB", DEVICE_MAX / 1024);
			return NULL;
		}
		if (BIO_write(b, chunk, (int)n) != (int)n) {
			BIO_free(b);
			b = NULL;
		}
	}
	fclose(f);
	if (!b) {
		snprintf(why, size, "out of memory");
	}
	return b;
}

/* A regular file opened for PEM reading; NULL with why set if it cannot
 * be. *skip: not a regular file (a pipe, a device): it can be read only
 * once, so it is left for the TLS set-up to read. */
static BIO *open_file(const char *path, bool *skip, char *why, size_t size)
{
	struct stat st;
	FILE *f;
	BIO *b;

	*skip = false;
	if (stat(path, &st) != 0) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, size, "%s", strerror(EISDIR));
		return NULL;
	}
	if (S_ISCHR(st.st_mode)) {
		return read_device(path, why, size);
	}
	if (!S_ISREG(st.st_mode)) {
		*skip = access(path, R_OK) == 0;
		if (!*skip) {
			snprintf(why, size, "%s", strerror(errno));
		}
		return NULL;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	b = BIO_new_fp(f, BIO_CLOSE);
	if (!b) {
		fclose(f);
		snprintf(why, size, "out of memory");
	}
	return b;
}

// --ca: as SSL_CTX_load_verify_file() reads it; one certificate at least.
static bool check_ca(const char *path, char *why, size_t size)
{
	STACK_OF(X509_INFO) *infos;
	bool skip;
	int certs = 0;
	BIO *b = open_file(path, &skip, why, size);

	if (!b) {
		return skip;
	}
	infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!infos) {
		snprintf(why, size, "%s", reason("no certificate found"));
		return false;
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		certs += sk_X509_INFO_value(infos, i)->x509 != NULL;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (!certs) {
		snprintf(why, size, "no certificate found");
		return false;
	}
	return true;
}

// --cert: as SSL_CTX_use_certificate_chain_file() reads it; *x the first.
static bool read_cert(const char *path, X509 **x, char *why, size_t size)
{
	X509 *extra;
	bool skip;
	BIO *b = open_file(path, &skip, why, size);

	*x = NULL;
	if (!b) {
		return skip;
	}
	*x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	if (!*x) {
		snprintf(why, size, "%s", reason("no certificate found"));
		BIO_free(b);
		return false;
	}
	// the rest of the chain, up to the end of the file
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		X509_free(extra);
	}
	BIO_free(b);
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(why, size, "%s", reason("bad certificate"));
		X509_free(*x);
		*x = NULL;
		return false;
	}
	return true;
}

// libwebsockets is given no passphrase: an encrypted key cannot be used
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	*(bool *)asked = true;
	return -1;
}

// --key: as SSL_CTX_use_PrivateKey_file(PEM) reads it; *k the key.
static bool read_key(const char *path, EVP_PKEY **k, char *why, size_t size)
{
	bool skip, asked = false;
	BIO *b = open_file(path, &skip, why, size);

	*k = NULL;
	if (!b) {
		return skip;
	}
	*k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &asked);
	BIO_free(b);
	if (!*k) {
		snprintf(why, size, "%s", asked ? "the key is encrypted (wsc "
			"cannot ask for its passphrase)" : "no private key found");
		return false;
	}
	return true;
}

bool tlsconf_check_files(const char *ca, const char *cert, const char *key,
	const char **opt, const char **file, char *why, size_t size)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	bool ok = true;

	*why = '\0';
	if (!ca && !cert && !key) {
		return true;    // nothing to read: leave OpenSSL uninitialised
	}
	ERR_clear_error();
	if (ca && !check_ca(ca, why, size)) {
		*opt = "--ca";
		*file = ca;
		ok = false;
	} else if (cert && !read_cert(cert, &x, why, size)) {
		*opt = "--cert";
		*file = cert;
		ok = false;
	} else if (key && !read_key(key, &k, why, size)) {
		*opt = "--key";
		*file = key;
		ok = false;
	} else if (x && k && X509_check_private_key(x, k) != 1) {
		*opt = "--key";
		*file = key;
		snprintf(why, size, "not the private key of --cert %s", cert);
		ok = false;
	}
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

/* --- the host --- */

bool tlsconf_host_name(const char *host, char *out, size_t size, bool *ip)
{
	unsigned char addr[16];
	const char *end;
	size_t n;

	if (*host == '[') {
		end = strchr(++host, ']');
		if (!end) {
			return false;
		}
	} else {
		end = strchr(host, ':');
		if (!end || strchr(end + 1, ':')) {
			end = host + strlen(host);
		}
	}
	n = (size_t)(end - host);
	if (!n || n >= size) {
		return false;
	}
	memcpy(out, host, n);
	out[n] = '\0';
	*ip = inet_pton(AF_INET, out, addr) == 1 ||
		inet_pton(AF_INET6, out, addr) == 1;
	return true;
}

#define NAMES_SHOWN 4

// One subjectAltName entry as text, other bytes than printable ASCII as
// '?' (the certificate is the server's to write); false: not a name.
static bool san_text(const GENERAL_NAME *g, char *out, size_t size)
{
	const unsigned char *p;
	int n;

	if (g->type == GEN_DNS) {
		p = ASN1_STRING_get0_data(g->d.dNSName);
		n = ASN1_STRING_length(g->d.dNSName);
		snprintf(out, size, "%.*s", n, (const char *)p);
		for (char *q = out; *q; q++) {
			*q = *q > ' ' && *q < 127 ? *q : '?';
		}
		return true;
	}
	if (g->type != GEN_IPADD) {
		return false;
	}
	p = ASN1_STRING_get0_data(g->d.iPAddress);
	n = ASN1_STRING_length(g->d.iPAddress);
	return (n == 4 || n == 16) && inet_ntop(n == 4 ? AF_INET : AF_INET6,
		p, out, (socklen_t)size);
}

/* The DNS and IP names the certificate holds, for the mismatch's line:
 * the first NAMES_SHOWN that fit in size, then "and N more" for the rest
 * ("" when it holds none). */
static void cert_names(X509 *x, char *out, size_t size)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
		NULL);
	size_t len = 0, shown = 0, more = 0;
	char name[256];

	*out = '\0';
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		size_t n;

		if (!san_text(sk_GENERAL_NAME_value(sans, i), name,
				sizeof(name))) {
			continue;
		}
		n = strlen(name);
		// room kept for ", " and " and N more"
		if (shown == NAMES_SHOWN || len + n + 2 + 20 >= size) {
			more++;
			continue;
		}
		len += (size_t)snprintf(out + len, size - len, "%s%s",
			shown ? ", " : "", name);
		shown++;
	}
	GENERAL_NAMES_free(sans);
	if (more) {
		snprintf(out + len, size - len, "%sand %zu more", shown ? " " :
			"", more);
	}
}

int tlsconf_verify_host(void *x509_store_ctx, int preverify_ok,
	const char *host, char *names, size_t size)
{
	X509_STORE_CTX *ctx = x509_store_ctx;
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	int err = X509_STORE_CTX_get_error(ctx);
	char name[256];
	bool ip = false, match = false;

	// only the server's own certificate names a host
	if (X509_STORE_CTX_get_error_depth(ctx) != 0 || !leaf) {
		return 0;
	}
	// any other fault (self-signed, expired...) stays OpenSSL's verdict
	if (!preverify_ok && err != X509_V_ERR_HOSTNAME_MISMATCH &&
			err != X509_V_ERR_IP_ADDRESS_MISMATCH) {
		return 0;
	}
	if (tlsconf_host_name(host, name, sizeof(name), &ip)) {
		match = ip ? X509_check_ip_asc(leaf, name, 0) == 1 :
			X509_check_host(leaf, name, strlen(name),
				X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	}
	if (match) {
		if (!preverify_ok) {
			X509_STORE_CTX_set_error(ctx, X509_V_OK);
		}
		return 0;
	}
	X509_STORE_CTX_set_error(ctx, ip ? X509_V_ERR_IP_ADDRESS_MISMATCH :
		X509_V_ERR_HOSTNAME_MISMATCH);
	if (names && size) {
		cert_names(leaf, names, size);
	}
	return 1;
}
