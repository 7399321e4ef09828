/*
 * url.h - parse the URL argument into the parts a WebSocket client needs.
 * Pure: no I/O, no printing; errors come back as a static string.
 */
#ifndef WSC_URL_H
#define WSC_URL_H

#include <stdbool.h>

#define WSC_URL_HOST_MAX 256
#define WSC_URL_PATH_MAX 4096

struct wsc_url {
	bool tls;                       // wss:// or https://
	char host[WSC_URL_HOST_MAX];    // without brackets for IPv6 literals
	bool ipv6;                      // host was a bracketed literal
	int port;                       // explicit or 80/443
	bool port_given;
	char path[WSC_URL_PATH_MAX];    // always starts with '/', includes query
};

/*
 * Parse ws://, wss://, http:// or https:// URLs. Returns false and sets
 * *why to a static lowercase message on error; *url is then unspecified.
 */
bool url_parse(const char *in, struct wsc_url *url, const char **why);

/*
 * Resolve a redirect's Location against the URL it came from: an absolute
 * ws/wss/http/https URL, "//host/path", an absolute path or a relative one
 * (against the base's directory). False with *why on error.
 */
bool url_resolve(const struct wsc_url *base, const char *location,
		struct wsc_url *out, const char **why);

/* The URL as text (ws:// or wss://). */
void url_format(const struct wsc_url *url, char *buf, unsigned size);

/* "host:port" or "[v6]:port" into buf (for messages and the Host header). */
void url_authority(const struct wsc_url *url, char *buf, unsigned size,
		bool with_default_port);

#endif
