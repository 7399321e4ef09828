/*
 * headers.c - validation and formatting of request header material.
 * Pure: no I/O. Base64 comes from libwebsockets.
 */
#include "headers.h"

#include <libwebsockets.h>
#include <string.h>

static bool is_tchar(unsigned char c)
{
	// RFC 9110 token characters
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool headers_check(const char *line, const char **why)
{
	const char *colon = strchr(line, ':');

	if (strpbrk(line, "\r\n")) {
		*why = "header contains CR or LF";
		return false;
	}
	if (!colon) {
		*why = "expected 'Name: value'";
		return false;
	}
	if (colon == line) {
		*why = "empty header name";
		return false;
	}
	for (const char *c = line; c < colon; c++) {
		if (!is_tchar((unsigned char)*c)) {
			*why = "invalid character in header name";
			return false;
		}
	}
	return true;
}

bool headers_protocol_offered(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list && *list) {
		size_t len = strcspn(list, ",");

		if (len == n && !strncmp(list, name, n)) {
			return true;
		}
		list += len;
		if (*list == ',') {
			list++;
		}
	}
	return false;
}

bool headers_add_protocols(char *buf, size_t size, const char *list,
		const char **why)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		char name[128];

		while (s < e && *s == ' ') {
			s++;
		}
		while (e > s && e[-1] == ' ') {
			e--;
		}
		if (s == e) {
			*why = "empty subprotocol name";
			return false;
		}
		for (const char *c = s; c < e; c++) {
			if (!is_tchar((unsigned char)*c)) {
				*why = "invalid character in subprotocol name";
				return false;
			}
		}
		if ((size_t)(e - s) >= sizeof(name)) {
			*why = "subprotocol name too long";
			return false;
		}
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
		if (!headers_protocol_offered(buf, name)) {
			size_t used = strlen(buf);
			size_t need = used + (used ? 1 : 0) + strlen(name) + 1;

			if (need > size) {
				*why = "too many subprotocols";
				return false;
			}
			if (used) {
				buf[used++] = ',';
			}
			strcpy(buf + used, name);
		}
		if (!p[len]) {
			return true;
		}
		p += len + 1;
	}
}

bool headers_basic_auth(const char *user, const char *pass, char *out,
		size_t size)
{
	char plain[512];
	int n;

	n = snprintf(plain, sizeof(plain), "%s:%s", user, pass ? pass : "");
	if (n < 0 || (size_t)n >= sizeof(plain) || size < 7) {
		return false;
	}
	memcpy(out, "Basic ", 6);
	return lws_b64_encode_string(plain, n, out + 6, (int)size - 6) > 0;
}
