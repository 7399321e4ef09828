/*
 * test-url.c - url_parse() and url_authority() against a table of URLs.
 */
#include <stdbool.h>
#include <string.h>

#include "tap.h"
#include "url.h"

static const struct url_row {
	const char *in;
	bool ok;
	bool tls;
	const char *host;
	int port;
	bool port_given;
	const char *path;
	bool ipv6;
	const char *why;        // substring of the error, for rejects
} url_rows[] = {
	// accepted
	{ "ws://example.com", true, false, "example.com", 80, false, "/", false, NULL },
	{ "wss://example.com", true, true, "example.com", 443, false, "/", false, NULL },
	{ "http://example.com/", true, false, "example.com", 80, false, "/", false, NULL },
	{ "https://example.com/", true, true, "example.com", 443, false, "/", false, NULL },
	{ "WS://Example.COM/", true, false, "Example.COM", 80, false, "/", false, NULL },
	{ "WSS://example.com", true, true, "example.com", 443, false, "/", false, NULL },
	{ "HtTpS://example.com", true, true, "example.com", 443, false, "/", false, NULL },
	{ "ws://example.com:8080/chat", true, false, "example.com", 8080, true, "/chat", false, NULL },
	{ "wss://example.com:80/", true, true, "example.com", 80, true, "/", false, NULL },
	{ "ws://h:1", true, false, "h", 1, true, "/", false, NULL },
	{ "ws://h:65535", true, false, "h", 65535, true, "/", false, NULL },
	{ "ws://h:0080", true, false, "h", 80, true, "/", false, NULL },
	{ "ws://127.0.0.1:9000/", true, false, "127.0.0.1", 9000, true, "/", false, NULL },
	{ "ws://[::1]:8080/x", true, false, "::1", 8080, true, "/x", true, NULL },
	{ "ws://[::1]", true, false, "::1", 80, false, "/", true, NULL },
	{ "wss://[::1]", true, true, "::1", 443, false, "/", true, NULL },
	{ "ws://[2001:db8::ff00:42:8329]/", true, false, "2001:db8::ff00:42:8329", 80, false, "/", true, NULL },
	{ "ws://[::ffff:192.0.2.1]:81", true, false, "::ffff:192.0.2.1", 81, true, "/", true, NULL },
	{ "ws://h/a/b?x=1&y=2", true, false, "h", 80, false, "/a/b?x=1&y=2", false, NULL },
	{ "ws://h?x=1", true, false, "h", 80, false, "/?x=1", false, NULL },
	{ "ws://h:81?x=1", true, false, "h", 81, true, "/?x=1", false, NULL },
	{ "ws://h/p#frag", true, false, "h", 80, false, "/p", false, NULL },
	{ "ws://h/p?q=1#frag", true, false, "h", 80, false, "/p?q=1", false, NULL },
	{ "ws://h#frag", true, false, "h", 80, false, "/", false, NULL },
	{ "ws://h:82#f", true, false, "h", 82, true, "/", false, NULL },
	{ "ws://my-host_1.example~x/", true, false, "my-host_1.example~x", 80, false, "/", false, NULL },
	// rejected
	{ "ftp://example.com/", false, .why = "unsupported scheme" },
	{ "file:///etc/passwd", false, .why = "unsupported scheme" },
	{ "example.com", false, .why = "missing scheme" },
	{ "example.com:80/", false, .why = "missing scheme" },
	{ "//example.com/", false, .why = "missing scheme" },
	{ "ws:/example.com", false, .why = "missing scheme" },
	{ "wsx://example.com", false, .why = "unsupported scheme" },
	{ "", false, .why = "empty URL" },
	{ "ws://", false, .why = "empty host" },
	{ "ws:///path", false, .why = "empty host" },
	{ "ws://:8080/", false, .why = "empty host" },
	{ "ws://[]:80/", false, .why = "empty host" },
	{ "ws://h:0", false, .why = "out of range" },
	{ "ws://h:00", false, .why = "out of range" },
	{ "ws://h:65536", false, .why = "out of range" },
	{ "ws://h:99999999999999999999", false, .why = "out of range" },
	{ "ws://h:", false, .why = "empty port" },
	{ "ws://h:/x", false, .why = "empty port" },
	{ "ws://h:http", false, .why = "invalid port" },
	{ "ws://h:80a", false, .why = "invalid port" },
	{ "ws://h:-1", false, .why = "invalid port" },
	{ "ws://h:+80", false, .why = "invalid port" },
	{ "ws://h:80:81", false, .why = "invalid port" },
	{ "ws://[::1]:x", false, .why = "invalid port" },
	{ "ws://[::1]:0", false, .why = "out of range" },
	{ "ws://ex ample.com/", false, .why = "space" },
	{ "ws://example.com/a b", false, .why = "space" },
	{ " ws://example.com/", false, .why = "space" },
	{ "ws://example.com/\t", false, .why = "control" },
	{ "ws://example.com/\x7f", false, .why = "control" },
	{ "ws://user@example.com/", false, .why = "credentials" },
	{ "ws://user:pw@example.com/", false, .why = "credentials" },
	{ "ws://[::1", false, .why = "unterminated" },
	{ "ws://[::1/x]", false, .why = "unterminated" },
	{ "ws://[::1]x/", false, .why = "junk after" },
	{ "ws://[::g]/", false, .why = "invalid IPv6" },
	{ "ws://[example.com]/", false, .why = "invalid IPv6" },
	{ "ws://exa!mple.com/", false, .why = "invalid character in host" },
	{ "ws://exa[mple.com/", false, .why = "invalid character in host" },
};

static const struct auth_row {
	const char *in;
	bool with_default_port;
	const char *want;
} auth_rows[] = {
	{ "ws://example.com", false, "example.com" },
	{ "ws://example.com", true, "example.com:80" },
	{ "wss://example.com", false, "example.com" },
	{ "wss://example.com", true, "example.com:443" },
	{ "ws://example.com:80", false, "example.com" },
	{ "ws://example.com:443", false, "example.com:443" },
	{ "wss://example.com:80", false, "example.com:80" },
	{ "wss://example.com:8443/x", false, "example.com:8443" },
	{ "ws://[::1]", false, "[::1]" },
	{ "ws://[::1]", true, "[::1]:80" },
	{ "ws://[::1]:8080", false, "[::1]:8080" },
	{ "wss://[::1]:443", false, "[::1]" },
};

static void test_parse(const struct url_row *r)
{
	struct wsc_url u;
	const char *why = NULL;
	bool got = url_parse(r->in, &u, &why);
	const char *in = tap_esc(r->in);

	if (!r->ok) {
		if (ok(!got, "reject \"%s\"", in)) {
			ok(why && strstr(why, r->why), "\"%s\": why \"%s\" holds \"%s\"",
				in, why ? why : "(null)", r->why);
		} else {
			diag("\"%s\" parsed as host \"%s\" port %d path \"%s\"",
				in, u.host, u.port, u.path);
		}
		return;
	}
	if (!ok(got, "accept \"%s\"", in)) {
		diag("why: %s", why ? why : "(null)");
		return;
	}
	is_int(u.tls, r->tls, "\"%s\": tls", in);
	is_str(u.host, r->host, "\"%s\": host", in);
	is_int(u.port, r->port, "\"%s\": port", in);
	is_str(u.path, r->path, "\"%s\": path", in);
	is_int(u.ipv6, r->ipv6, "\"%s\": ipv6", in);
	is_int(u.port_given, r->port_given, "\"%s\": port_given", in);
}

static void test_authority(const struct auth_row *r)
{
	struct wsc_url u;
	const char *why = NULL;
	char buf[WSC_URL_HOST_MAX + 16];

	if (!ok(url_parse(r->in, &u, &why), "authority: parse \"%s\"", r->in)) {
		return;
	}
	url_authority(&u, buf, sizeof(buf), r->with_default_port);
	is_str(buf, r->want, "authority of \"%s\" (with_default_port=%d)",
		r->in, r->with_default_port);
}

// Limits: the longest host and path that fit, and one byte more.
static void test_limits(void)
{
	char in[WSC_URL_PATH_MAX + 64], host[WSC_URL_HOST_MAX + 1];
	struct wsc_url u;
	const char *why = NULL;

	memset(host, 'a', sizeof(host) - 1);
	host[WSC_URL_HOST_MAX - 1] = '\0';
	snprintf(in, sizeof(in), "ws://%s/", host);
	ok(url_parse(in, &u, &why) && !strcmp(u.host, host),
		"host of %d bytes accepted", WSC_URL_HOST_MAX - 1);
	host[WSC_URL_HOST_MAX - 1] = 'a';
	host[WSC_URL_HOST_MAX] = '\0';
	snprintf(in, sizeof(in), "ws://%s/", host);
	ok(!url_parse(in, &u, &why) && strstr(why, "too long"),
		"host of %d bytes rejected", WSC_URL_HOST_MAX);

	// "/" + 4093 bytes: path of 4094 bytes, well inside 4096
	strcpy(in, "ws://h/");
	memset(in + 7, 'p', WSC_URL_PATH_MAX - 3);
	in[7 + WSC_URL_PATH_MAX - 3] = '\0';
	ok(url_parse(in, &u, &why) && strlen(u.path) == WSC_URL_PATH_MAX - 2 &&
		u.path[0] == '/', "path of %d bytes accepted", WSC_URL_PATH_MAX - 2);
	memset(in + 7, 'p', WSC_URL_PATH_MAX + 10);
	in[7 + WSC_URL_PATH_MAX + 10] = '\0';
	ok(!url_parse(in, &u, &why) && strstr(why, "too long"),
		"path of %d bytes rejected", WSC_URL_PATH_MAX + 11);

	why = NULL;
	ok(!url_parse(NULL, &u, &why) && why, "NULL URL rejected");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		test_parse(&url_rows[i]);
	}
	for (size_t i = 0; i < sizeof(auth_rows) / sizeof(auth_rows[0]); i++) {
		test_authority(&auth_rows[i]);
	}
	test_limits();
	return done_testing();
}
