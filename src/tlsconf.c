/*
 * tlsconf.c - wsc's own part of the client TLS set-up, with OpenSSL (see
 * tlsconf.h): the server's certificate checked against the host.
 */
#include <arpa/inet.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsconf.h"

/* --- the host --- */

/* The host in a Host header value: "[v6]:port" -> "v6", "name:port" ->
 * "name"; a value with more than one ':' and no brackets is taken whole
 * (an IPv6 literal). *ip: an IPv4 or IPv6 literal. */
static bool host_name(const char *host, char *out, size_t size, bool *ip)
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

int tlsconf_verify_host(void *x509_store_ctx, int preverify_ok,
	const char *host)
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
	if (host_name(host, name, sizeof(name), &ip)) {
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
	return 1;
}
