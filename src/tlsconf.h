/*
 * tlsconf.h - wsc's own part of the client TLS set-up, with OpenSSL:
 * the --ca, --cert and --key files are read and checked before connecting,
 * and the server's certificate is checked against the host asked for (IP
 * literals against IP addresses in it, names against DNS names).
 */
#ifndef WSC_TLSCONF_H
#define WSC_TLSCONF_H

#include <stdbool.h>
#include <stddef.h>

/* Reads the files as the TLS set-up will (PEM): ca must hold at least one
 * certificate, cert a certificate, key a private key that belongs to cert.
 * NULL ones are skipped. On a problem: false, *opt ("--ca", "--cert",
 * "--key") and *file name the file, why the reason. */
bool tlsconf_check_files(const char *ca, const char *cert, const char *key,
	const char **opt, const char **file, char *why, size_t size);

/* The host in a Host header value or URL host: "[v6]:port" and "[v6]" ->
 * "v6", "name:port" -> "name"; a value with more than one ':' and no
 * brackets is taken whole (an IPv6 literal). *ip: an IPv4 or IPv6 literal.
 * false if empty, unterminated or longer than size - 1. */
bool tlsconf_host_name(const char *host, char *out, size_t size, bool *ip);

/* For LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION (user is the
 * X509_STORE_CTX, len preverify_ok): checks the server's certificate
 * against host, a Host header value ("name", "name:port", "[v6]:port",
 * "1.2.3.4:port"). libwebsockets 4.1 cuts that value at its first ':', so
 * it checks an IPv6 literal as the name "["; this check replaces its
 * verdict on the host, and only on the host. Returns what the callback
 * returns: 0 to go on, 1 to fail the handshake with the error set. Also
 * the host check of tls.c's own verify callback. On a mismatch, names
 * (unless NULL) gets the DNS and IP names the certificate holds, the
 * first few and then "and N more" ("localhost, 127.0.0.1"). */
int tlsconf_verify_host(void *x509_store_ctx, int preverify_ok,
	const char *host, char *names, size_t size);

#endif
