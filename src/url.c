/*
 * url.c - URL parsing for ws/wss/http/https. Pure: no I/O, never prints.
 * Anything outside what the man page's DESCRIPTION allows is rejected with
 * a reason.
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *prefix;
	bool tls;
} schemes[] = {
	{ "ws://", false },
	{ "wss://", true },
	{ "http://", false },
	{ "https://", true },
};

static bool host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' ||
		c == '~' || c == '%';
}

static bool parse_port(const char *s, size_t n, int *port, const char **why)
{
	long v = 0;

	if (n == 0) {
		*why = "empty port";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			*why = "invalid port";
			return false;
		}
		v = v * 10 + (s[i] - '0');
		if (v > 65535) {
			*why = "port out of range (1-65535)";
			return false;
		}
	}
	if (v == 0) {
		*why = "port out of range (1-65535)";
		return false;
	}
	*port = (int)v;
	return true;
}

bool url_parse(const char *in, struct wsc_url *url, const char **why)
{
	const char *p = NULL, *auth, *auth_end, *hostend, *portp = NULL;
	size_t hostlen;

	memset(url, 0, sizeof(*url));
	if (!in || !*in) {
		*why = "empty URL";
		return false;
	}
	for (const char *c = in; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
			*why = "URL contains a space or control character";
			return false;
		}
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (!strncasecmp(in, schemes[i].prefix, n)) {
			p = in + n;
			url->tls = schemes[i].tls;
			break;
		}
	}
	if (!p) {
		*why = strstr(in, "://") ? "unsupported scheme (use ws://, wss://, "
			"http:// or https://)" : "missing scheme (use ws:// or wss://)";
		return false;
	}

	auth = p;
	auth_end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(auth_end - auth))) {
		*why = "credentials in the URL are not supported (use --auth)";
		return false;
	}

	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(auth_end - auth));

		if (!close) {
			*why = "unterminated IPv6 literal";
			return false;
		}
		hostlen = (size_t)(close - auth - 1);
		if (hostlen == 0) {
			*why = "empty host";
			return false;
		}
		for (const char *c = auth + 1; c < close; c++) {
			if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.') {
				*why = "invalid IPv6 literal";
				return false;
			}
		}
		if (hostlen >= sizeof(url->host)) {
			*why = "host too long";
			return false;
		}
		memcpy(url->host, auth + 1, hostlen);
		url->ipv6 = true;
		hostend = close + 1;
		if (hostend < auth_end) {
			if (*hostend != ':') {
				*why = "junk after IPv6 literal";
				return false;
			}
			portp = hostend + 1;
		}
	} else {
		const char *colon = memchr(auth, ':', (size_t)(auth_end - auth));

		hostend = colon ? colon : auth_end;
		hostlen = (size_t)(hostend - auth);
		if (hostlen == 0) {
			*why = "empty host";
			return false;
		}
		if (hostlen >= sizeof(url->host)) {
			*why = "host too long";
			return false;
		}
		for (const char *c = auth; c < hostend; c++) {
			if (!host_char_ok(*c)) {
				*why = "invalid character in host";
				return false;
			}
		}
		memcpy(url->host, auth, hostlen);
		if (colon) {
			portp = colon + 1;
		}
	}

	if (portp) {
		if (!parse_port(portp, (size_t)(auth_end - portp), &url->port, why)) {
			return false;
		}
		url->port_given = true;
	} else {
		url->port = url->tls ? 443 : 80;
	}

	// The fragment never goes on the wire.
	size_t pathlen = strcspn(auth_end, "#");

	if (pathlen + 2 > sizeof(url->path)) {
		*why = "path too long";
		return false;
	}
	if (*auth_end != '/') {
		url->path[0] = '/';
		memcpy(url->path + 1, auth_end, pathlen);
	} else {
		memcpy(url->path, auth_end, pathlen);
	}
	return true;
}

void url_authority(const struct wsc_url *url, char *buf, unsigned size,
		bool with_default_port)
{
	bool port = with_default_port || url->port != (url->tls ? 443 : 80);

	if (url->ipv6) {
		if (port) {
			snprintf(buf, size, "[%s]:%d", url->host, url->port);
		} else {
			snprintf(buf, size, "[%s]", url->host);
		}
	} else if (port) {
		snprintf(buf, size, "%s:%d", url->host, url->port);
	} else {
		snprintf(buf, size, "%s", url->host);
	}
}

bool url_resolve(const struct wsc_url *base, const char *location,
		struct wsc_url *out, const char **why)
{
	char buf[WSC_URL_PATH_MAX + WSC_URL_HOST_MAX + 32];
	char auth[WSC_URL_HOST_MAX + 16];

	if (strstr(location, "://")) {
		return url_parse(location, out, why);
	}
	if (location[0] == '/' && location[1] == '/') {
		snprintf(buf, sizeof(buf), "%s:%s", base->tls ? "wss" : "ws",
			location);
		return url_parse(buf, out, why);
	}
	url_authority(base, auth, sizeof(auth), true);
	if (location[0] == '/') {
		snprintf(buf, sizeof(buf), "%s://%s%s", base->tls ? "wss" : "ws",
			auth, location);
	} else {
		// relative: replace what follows the base path's last '/'
		size_t dir = strcspn(base->path, "?");

		while (dir > 0 && base->path[dir - 1] != '/') {
			dir--;
		}
		snprintf(buf, sizeof(buf), "%s://%s%.*s%s", base->tls ? "wss" : "ws",
			auth, (int)dir, base->path, location);
	}
	return url_parse(buf, out, why);
}

void url_format(const struct wsc_url *url, char *buf, unsigned size)
{
	char auth[WSC_URL_HOST_MAX + 16];

	url_authority(url, auth, sizeof(auth), false);
	snprintf(buf, size, "%s://%s%s", url->tls ? "wss" : "ws", auth,
		url->path);
}
