/*
 * admit.c - whom the room (--listen) lets in: the Origin rule and the
 * number of clients the descriptor limit leaves room for (admit.h).
 */
#include "admit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The name part of a Host value: [v6] or the text before its port. */
static bool host_name(const char *host, char *name, size_t size)
{
	const char *end;
	size_t len;

	if (*host == '[') {
		end = strchr(host, ']');
		if (!end) {
			return false;
		}
		host++;
	} else {
		end = strrchr(host, ':');
		end = end ? end : host + strlen(host);
	}
	len = (size_t)(end - host);
	if (!len || len >= size) {
		return false;
	}
	memcpy(name, host, len);
	name[len] = '\0';
	return true;
}

static bool names_room(const char *name, const char *listen_host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, name, b) == 1 ||
		inet_pton(AF_INET6, name, b) == 1 ||
		!strcasecmp(name, "localhost") ||
		(listen_host && !strcasecmp(name, listen_host));
}

bool admit_origin(const char *origin, const char *host,
		const char *listen_host, const char *const *allow, size_t n_allow)
{
	char name[256];

	if (!origin) {
		return true;
	}
	for (size_t i = 0; i < n_allow; i++) {
		if (!strcmp(allow[i], "*") || !strcasecmp(allow[i], origin)) {
			return true;
		}
	}
	return host && !strncasecmp(origin, "http://", 7) &&
		!strcasecmp(origin + 7, host) &&
		host_name(host, name, sizeof(name)) &&
		names_room(name, listen_host);
}

static unsigned long spare_for(unsigned long clients)
{
	unsigned long s = clients / 16;

	return s < 2 ? 2 : s > 64 ? 64 : s;
}

bool admit_limits(unsigned long hard, unsigned long in_use,
		unsigned long requested,
		struct admit_limits *out, char *why, size_t size)
{
	unsigned long reserve = in_use + ADMIT_TRANSIENT, nofile, avail;

	// the soft limit is replaced: lower is harmless, higher is asked for
	nofile = hard < ADMIT_NOFILE ? hard : ADMIT_NOFILE;
	if (requested) {
		unsigned long need = reserve + requested + spare_for(requested);

		if (need > hard) {
			snprintf(why, size, "--max-clients %lu needs %lu open files; "
				"the hard limit (ulimit -Hn) is %lu", requested, need,
				hard);
			return false;
		}
		nofile = need > nofile ? need : nofile;
		out->max_clients = requested;
		out->spare = spare_for(requested);
		out->nofile = nofile;
		return true;
	}
	avail = nofile > reserve ? nofile - reserve : 0;
	out->spare = spare_for(avail);
	if (avail <= out->spare) {
		snprintf(why, size, "the open file limit (ulimit -Hn: %lu) leaves "
			"no room for clients", hard);
		return false;
	}
	out->max_clients = avail - out->spare;
	out->nofile = nofile;
	return true;
}
