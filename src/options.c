/*
 * options.c - the option table, getopt_long, --help, --version and the
 * checks that turn bad arguments into one-line usage errors (exit 2).
 * Short letters in use: 0 D H L P S V b h j k l n o q s t v w x
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <readline/readline.h>

#include "admit.h"
#include "headers.h"
#include "secret.h"
#include "tlsconf.h"

enum category {
	CAT_CONNECTION, CAT_MESSAGES, CAT_DISPLAY, CAT_SERVER, CAT_GENERAL
};

static const char *const category_names[] = {
	"Connection", "Messages", "Display", "Server", "General",
};

enum opt_id {
	// ids below 256 are the short letters themselves
	OPT_AUTH = 256,
	OPT_MAX_REDIRECTS,
	OPT_PROXY,
	OPT_UNIX_SOCKET,
	OPT_CONNECT_TIMEOUT,
	OPT_CA,
	OPT_CERT,
	OPT_KEY,
	OPT_MAX_SIZE,
	OPT_CLOSE_TIMEOUT,
	OPT_COLOR,
	OPT_NO_COLOR,
	OPT_NO_HISTORY,
	OPT_PING_INTERVAL,
	OPT_PING_TIMEOUT,
	OPT_RECONNECT,
	OPT_DEFLATE,
	OPT_ECHO,
	OPT_REQUIRE_PROTOCOL,
	OPT_PRETTY,
	OPT_CHECK,
	OPT_MAX_CLIENTS,
	OPT_ALLOW_ORIGIN,
	OPT_IDLE_TIMEOUT,
};

struct wsc_option {
	const char *name;
	int id;
	const char *metavar;    // NULL: takes no argument
	const char *help;
	enum category cat;
};

static const struct wsc_option table[] = {
	{ "subprotocol", 's', "NAME", "offer NAME in Sec-WebSocket-Protocol "
		"(repeatable, comma lists accepted)", CAT_CONNECTION },
	{ "header", 'H', "'NAME: VALUE'", "add a request header (repeatable)",
		CAT_CONNECTION },
	{ "origin", 'o', "ORIGIN", "send Origin: ORIGIN", CAT_CONNECTION },
	{ "auth", OPT_AUTH, "USER[:PASS]", "HTTP Basic authentication; asks "
		"for a missing password on the terminal", CAT_CONNECTION },
	{ "location", 'L', NULL, "follow 3xx redirects", CAT_CONNECTION },
	{ "max-redirects", OPT_MAX_REDIRECTS, "N", "redirects to follow with "
		"-L. Default: 10", CAT_CONNECTION },
	{ "proxy", OPT_PROXY, "URL", "connect through an HTTP CONNECT proxy "
		"(http://HOST:PORT)", CAT_CONNECTION },
	{ "unix-socket", OPT_UNIX_SOCKET, "PATH", "connect to a Unix socket; "
		"the URL still gives Host and path", CAT_CONNECTION },
	{ "connect-timeout", OPT_CONNECT_TIMEOUT, "SECS", "limit for DNS, TCP, "
		"TLS and handshake. Default: 10", CAT_CONNECTION },
	{ "deflate", OPT_DEFLATE, NULL, "offer permessage-deflate compression "
		"(with --listen: accept it)", CAT_CONNECTION },
	{ "reconnect", OPT_RECONNECT, "[=N]", "when the connection drops or "
		"cannot be made, retry with backoff (at most N times)",
		CAT_CONNECTION },
	{ "insecure", 'k', NULL, "do not verify the server's TLS certificate "
		"and host name", CAT_CONNECTION },
	{ "ca", OPT_CA, "FILE", "trust the CA certificates in FILE (PEM)",
		CAT_CONNECTION },
	{ "cert", OPT_CERT, "FILE", "client certificate (PEM)", CAT_CONNECTION },
	{ "key", OPT_KEY, "FILE", "client private key (PEM)", CAT_CONNECTION },

	{ "execute", 'x', "MSG", "send MSG after connecting (repeatable), "
		"then close as at end of input; stdin is not read",
		CAT_MESSAGES },
	{ "wait", 'w', "SECS", "after input ends, keep receiving SECS before "
		"closing ('inf': until the server closes)", CAT_MESSAGES },
	{ "count", 'n', "N", "close and exit after N received messages",
		CAT_MESSAGES },
	{ "binary", 'b', NULL, "send input messages as binary frames",
		CAT_MESSAGES },
	{ "null", '0', NULL, "NUL instead of newline delimits messages, in "
		"and out", CAT_MESSAGES },
	{ "max-size", OPT_MAX_SIZE, "BYTES", "largest incoming message "
		"accepted; larger ones close with 1009. Default: no limit "
		"(with --listen: 16 MiB)",
		CAT_MESSAGES },
	{ "jsonl", 'j', NULL, "one JSON object per event on stdout (open, "
		"message, close, error; state with -S, ping/pong with -P, "
		"handshake with -D)", CAT_MESSAGES },
	{ "ping-interval", OPT_PING_INTERVAL, "SECS", "send a Ping every SECS",
		CAT_MESSAGES },
	{ "ping-timeout", OPT_PING_TIMEOUT, "SECS", "fail the connection when "
		"a Pong takes longer than SECS", CAT_MESSAGES },
	{ "show-ping-pong", 'P', NULL, "report Pongs received, with the "
		"round-trip time of our Pings, and the server's Pings",
		CAT_MESSAGES },
	{ "close-timeout", OPT_CLOSE_TIMEOUT, "SECS", "how long the server may "
		"stay silent while wsc waits for its Close. Default: 5", CAT_MESSAGES },

	{ "dump-handshake", 'D', NULL, "print the request and response "
		"exactly as they crossed the wire, and the verdict on them",
		CAT_DISPLAY },
	{ "show-state", 'S', NULL, "print each readyState transition to "
		"stderr", CAT_DISPLAY },
	{ "timestamps", 't', NULL, "prefix printed messages with the local "
		"time", CAT_DISPLAY },
	{ "verbose", 'v', NULL, "all of -D -S, plus a timing line (DNS, TCP, "
		"TLS, handshake)", CAT_DISPLAY },
	{ "quiet", 'q', NULL, "print only messages and errors", CAT_DISPLAY },
	{ "color", OPT_COLOR, "WHEN", "colour on a terminal: auto, always or "
		"never. Default: auto (off when NO_COLOR is set)", CAT_DISPLAY },
	{ "no-color", OPT_NO_COLOR, NULL, "same as --color=never", CAT_DISPLAY },
	{ "no-history", OPT_NO_HISTORY, NULL, "do not read or write the "
		"interactive history file", CAT_DISPLAY },
	{ "pretty", OPT_PRETTY, NULL, "on a terminal, show JSON messages "
		"indented and coloured (a pipe gets them unchanged)", CAT_DISPLAY },

	{ "listen", 'l', "[HOST:]PORT", "be a server: a chat room on HOST "
		"(default 127.0.0.1) and PORT (0: any free one), with a chat page "
		"at GET /", CAT_SERVER },
	{ "echo", OPT_ECHO, NULL, "with --listen: echo each message to its "
		"sender instead of relaying it to the others", CAT_SERVER },
	{ "require-subprotocol", OPT_REQUIRE_PROTOCOL, NULL, "with --listen: "
		"refuse clients that offer none of the -s subprotocols",
		CAT_SERVER },
	{ "max-clients", OPT_MAX_CLIENTS, "N", "with --listen: connections "
		"served at once; more get HTTP 503. Default: what the open "
		"file limit allows (about 8100)", CAT_SERVER },
	{ "allow-origin", OPT_ALLOW_ORIGIN, "ORIGIN", "with --listen: also "
		"let browser pages from ORIGIN in (repeatable; '*': any). "
		"Default: only the room's own page", CAT_SERVER },
	{ "idle-timeout", OPT_IDLE_TIMEOUT, "SECS", "with --listen: Ping a "
		"client silent for SECS/2, close one silent for SECS (0: never). "
		"Default: 60", CAT_SERVER },
	{ "check", OPT_CHECK, NULL, "test the server at URL (one that echoes "
		"every message) against RFC 6455 and print a report: a verdict "
		"per case, exit 1 if one failed", CAT_GENERAL },
	{ "help", 'h', NULL, "show this help and exit", CAT_GENERAL },
	{ "version", 'V', NULL, "show versions and exit", CAT_GENERAL },
};

#define N_OPTIONS (sizeof(table) / sizeof(table[0]))

// Options a client uses and the room (--listen) has no use for: refused
// with --listen rather than silently ignored.
static const int client_only[] = {
	'H', 'o', OPT_AUTH, 'L', OPT_MAX_REDIRECTS, OPT_PROXY, OPT_UNIX_SOCKET,
	OPT_CONNECT_TIMEOUT, OPT_RECONNECT, 'k', OPT_CA, OPT_CERT, OPT_KEY,
	'x', 'w', 'n', OPT_PING_INTERVAL, OPT_PING_TIMEOUT, 'P', 'D', 'S', 'v',
};

static bool is_client_only(int id)
{
	for (size_t i = 0; i < sizeof(client_only) / sizeof(*client_only); i++) {
		if (client_only[i] == id) {
			return true;
		}
	}
	return false;
}

static int table_cat(int id)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (table[i].id == id) {
			return (int)table[i].cat;
		}
	}
	return -1;
}

// "[=N]": the argument is optional and must be attached (--reconnect=3)
static bool optional_arg(const struct wsc_option *o)
{
	return o->metavar && !strncmp(o->metavar, "[=", 2);
}

// A word that reads as the value of an option (a number): "3", "1.5".
static bool looks_like_value(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n && s[n] == '.') {
		n += 1 + strspn(s + n + 1, "0123456789");
	}
	return n && !s[n];
}

// Words of text from column indent, lines no wider than width.
static void print_wrapped(const char *text, int indent, int width)
{
	int col = indent;

	while (*text) {
		int len = (int)strcspn(text, " ");

		if (col > indent && col + 1 + len > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, text);
		col += len;
		text += len;
		while (*text == ' ') {
			text++;
		}
	}
	putchar('\n');
}

static void print_help(void)
{
	printf("Usage: wsc [OPTIONS] URL\n"
		"       wsc --listen [HOST:]PORT [OPTIONS]\n"
		"A command-line WebSocket client. URL is ws://, wss://, "
		"http:// or https://.\n"
		"Lines on stdin are sent as text messages; received messages "
		"go to stdout.\n");
	for (int cat = CAT_CONNECTION; cat <= CAT_GENERAL; cat++) {
		printf("\n%s:\n", category_names[cat]);
		for (size_t i = 0; i < N_OPTIONS; i++) {
			const struct wsc_option *o = &table[i];
			char left[64];

			if ((int)o->cat != cat) {
				continue;
			}
			const char *sep = !o->metavar ? "" :
				optional_arg(o) ? "" : " ";

			if (o->id < 256) {
				snprintf(left, sizeof(left), "-%c, --%s%s%s",
					o->id, o->name, sep,
					o->metavar ? o->metavar : "");
			} else {
				snprintf(left, sizeof(left), "    --%s%s%s",
					o->name, sep, o->metavar ? o->metavar : "");
			}
			if (strlen(left) > 24) {
				printf("  %s\n  %-24s  ", left, "");
			} else {
				printf("  %-24s  ", left);
			}
			print_wrapped(o->help, 28, 79);
		}
	}
	printf("\nExit status: 0 clean close, 1 failure, 2 usage error,\n"
		"3 the server closed with an error code.\n");
}

static void print_version(void)
{
	const char *lws = lws_get_library_version();
	size_t n = strlen(lws);

	// "4.1.6-<git hash>", and the hash is empty in some builds: no "4.1.6-"
	if (n && lws[n - 1] == '-') {
		n--;
	}
	printf("wsc %s\nlibwebsockets %.*s\nreadline %s\n", WSC_VERSION,
		(int)n, lws, rl_library_version);
}

static bool usage(const char *fmt, const char *a, const char *b)
	__attribute__((format(printf, 1, 0)));

// One usage error line; fmt takes up to two strings.
static bool usage(const char *fmt, const char *a, const char *b)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "wsc: ");

	// a format with fewer conversions simply ignores the extra arguments
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(line + n, sizeof(line) - (size_t)n, fmt, a, b);
#pragma GCC diagnostic pop
	fprintf(stderr, "%s\n", line);
	return false;
}

bool options_parse_uint(const char *s, unsigned long long min,
		unsigned long long max, unsigned long long *out, const char **why)
{
	char *end;
	unsigned long long v;

	// strtoull() would skip spaces and accept a sign: digits only
	if (!isdigit((unsigned char)*s)) {
		*why = "not a number";
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		*why = "not a number";
		return false;
	}
	if (errno == ERANGE || v < min || v > max) {
		*why = "out of range";
		return false;
	}
	*out = v;
	return true;
}

bool options_parse_secs(const char *s, bool allow_inf, long *ms,
		const char **why)
{
	char *end;
	double v;

	if (allow_inf && (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
		*ms = -1;
		return true;
	}
	// strtod() would skip spaces and accept a sign, hex and "nan"
	if ((!isdigit((unsigned char)*s) && !(*s == '.' &&
			isdigit((unsigned char)s[1]))) ||
			s[strspn(s, "0123456789.eE+-")] != '\0') {
		*why = "not a number of seconds";
		return false;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v)) {
		*why = "not a number of seconds";
		return false;
	}
	if (v > 86400.0 * 365) {
		*why = "out of range";
		return false;
	}
	*ms = (long)(v * 1000.0 + 0.5);
	return true;
}

static bool set_secs(const char *opt, const char *arg, bool allow_inf,
		bool allow_zero, long *ms)
{
	const char *why;

	if (!options_parse_secs(arg, allow_inf, ms, &why)) {
		return usage("%s: %s", opt, why);
	}
	if (!allow_zero && *ms == 0) {
		return usage("%s: must be more than 0: '%s'", opt, arg);
	}
	return true;
}

static bool set_uint(const char *opt, const char *arg, unsigned long long min,
		unsigned long long max, unsigned long long *out)
{
	const char *why;

	if (!options_parse_uint(arg, min, max, out, &why)) {
		char what[160];

		snprintf(what, sizeof(what), "%s: '%s'", why, arg);
		return usage("%s: %s", opt, what);
	}
	return true;
}

static bool add_list(const char **list, size_t *n, const char *opt,
		const char *arg)
{
	if (*n >= WSC_MAX_LIST) {
		return usage("%s: given too many times", opt, NULL);
	}
	list[(*n)++] = arg;
	return true;
}

static bool set_auth(struct wsc_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');

	free(o->auth_user);
	free(o->auth_pass);
	o->auth_pass = NULL;
	if (colon) {
		o->auth_user = strndup(arg, (size_t)(colon - arg));
		o->auth_pass = strdup(colon + 1);
	} else {
		o->auth_user = strdup(arg);
	}
	if (!o->auth_user || !*o->auth_user) {
		return usage("--auth: empty user name", NULL, NULL);
	}
	if (strpbrk(arg, "\r\n")) {
		return usage("--auth: contains CR or LF", NULL, NULL);
	}
	return true;
}

static bool set_proxy(struct wsc_opts *o, const char *arg)
{
	const char *p = arg;

	if (!strncasecmp(p, "http://", 7)) {
		p += 7;
	} else if (strstr(p, "://")) {
		return usage("--proxy: only http:// (CONNECT) proxies are "
			"supported: '%s'", arg, NULL);
	}
	if (!*p || *p == ':' || *p == '/' || strpbrk(p, " \r\n")) {
		return usage("--proxy: expected http://HOST:PORT: '%s'", arg, NULL);
	}
	o->proxy = p;
	return true;
}

// One option; false after printing a usage error.
static bool apply(struct wsc_opts *o, int id, const char *arg,
		const char *name)
{
	unsigned long long v;
	const char *why;

	switch (id) {
	case 's':
		if (!headers_add_protocols(o->protocols, sizeof(o->protocols),
				arg, &why)) {
			return usage("--subprotocol: %s: '%s'", why, arg);
		}
		return true;
	case 'H':
		if (!headers_check(arg, &why)) {
			return usage("--header: %s", why, NULL);
		}
		return add_list(o->headers, &o->n_headers, "--header", arg);
	case 'o':
		if (strpbrk(arg, "\r\n")) {
			return usage("--origin: contains CR or LF", NULL, NULL);
		}
		o->origin = arg;
		return true;
	case OPT_AUTH:
		return set_auth(o, arg);
	case 'L':
		o->location = true;
		return true;
	case OPT_MAX_REDIRECTS:
		if (!set_uint("--max-redirects", arg, 0, 1000, &v)) {
			return false;
		}
		o->max_redirects = (unsigned)v;
		return true;
	case OPT_PROXY:
		return set_proxy(o, arg);
	case OPT_UNIX_SOCKET:
		if (!*arg) {
			return usage("--unix-socket: empty path", NULL, NULL);
		}
		if (strlen(arg) >= 108) {
			return usage("--unix-socket: path too long: '%s'", arg, NULL);
		}
		o->unix_socket = arg;
		return true;
	case OPT_CONNECT_TIMEOUT:
		return set_secs("--connect-timeout", arg, false, false,
			&o->connect_timeout_ms);
	case 'k':
		o->insecure = true;
		return true;
	case OPT_CA:
		o->ca = arg;
		return true;
	case OPT_CERT:
		o->cert = arg;
		return true;
	case OPT_KEY:
		o->key = arg;
		return true;
	case 'x':
		return add_list(o->execute, &o->n_execute, "--execute", arg);
	case 'w':
		o->wait_given = true;
		return set_secs("--wait", arg, true, true, &o->wait_ms);
	case 'n':
		if (!set_uint("--count", arg, 1, ~0UL, &v)) {
			return false;
		}
		o->count = (unsigned long)v;
		return true;
	case 'b':
		o->binary = true;
		return true;
	case '0':
		o->delim = '\0';
		return true;
	case OPT_MAX_SIZE:
		return set_uint("--max-size", arg, 1, 1ULL << 62, &o->max_size);
	case 'j':
		o->jsonl = true;
		return true;
	case 'P':
		o->show_ping = true;
		return true;
	case OPT_PING_INTERVAL:
		return set_secs("--ping-interval", arg, false, false,
			&o->ping_interval_ms);
	case OPT_PING_TIMEOUT:
		return set_secs("--ping-timeout", arg, false, false,
			&o->ping_timeout_ms);
	case OPT_RECONNECT:
		o->reconnect = true;
		o->reconnect_max = 0;
		if (arg) {
			if (!set_uint("--reconnect", arg, 1, 1000000, &v)) {
				return false;
			}
			o->reconnect_max = (unsigned long)v;
		}
		return true;
	case OPT_DEFLATE:
		o->deflate = true;
		return true;
	case 'l':
		o->listen = arg;
		return true;
	case OPT_ECHO:
		o->echo = true;
		return true;
	case OPT_REQUIRE_PROTOCOL:
		o->require_protocol = true;
		return true;
	case OPT_CHECK:
		o->check = true;
		return true;
	case OPT_MAX_CLIENTS:
		if (!set_uint("--max-clients", arg, 1, ADMIT_CLIENTS_MAX, &v)) {
			return false;
		}
		o->max_clients = (unsigned long)v;
		return true;
	case OPT_ALLOW_ORIGIN:
		if (!*arg || strpbrk(arg, " \r\n")) {
			return usage("--allow-origin: expected an origin such as "
				"http://HOST:PORT, or '*': '%s'", arg, NULL);
		}
		return add_list(o->allow_origin, &o->n_allow_origin,
			"--allow-origin", arg);
	case OPT_IDLE_TIMEOUT:
		return set_secs("--idle-timeout", arg, false, true,
			&o->idle_timeout_ms);
	case OPT_CLOSE_TIMEOUT:
		return set_secs("--close-timeout", arg, false, false,
			&o->close_timeout_ms);
	case 'S':
		o->show_state = true;
		return true;
	case 'D':
		o->dump = true;
		return true;
	case 'v':
		o->verbose = o->dump = o->show_state = true;
		return true;
	case OPT_COLOR:
		if (!strcmp(arg, "auto")) {
			o->color = WSC_COLOR_AUTO;
		} else if (!strcmp(arg, "always")) {
			o->color = WSC_COLOR_ALWAYS;
		} else if (!strcmp(arg, "never")) {
			o->color = WSC_COLOR_NEVER;
		} else {
			return usage("--color: expected auto, always or never: '%s'",
				arg, NULL);
		}
		return true;
	case OPT_NO_COLOR:
		o->color = WSC_COLOR_NEVER;
		return true;
	case OPT_NO_HISTORY:
		o->no_history = true;
		return true;
	case OPT_PRETTY:
		o->pretty = true;
		return true;
	case 't':
		o->timestamps = true;
		return true;
	case 'q':
		o->quiet = true;
		return true;
	}
	return usage("internal error: unhandled option --%s", name, NULL);
}

static bool check_files(const struct wsc_opts *o)
{
	const char *files[][2] = {
		{ "--ca", o->ca }, { "--cert", o->cert }, { "--key", o->key },
		{ "--unix-socket", o->unix_socket },
	};
	const char *opt, *file;
	char why[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i][1] && access(files[i][1], R_OK) != 0) {
			char what[512];

			snprintf(what, sizeof(what), "%s: %s", files[i][1],
				strerror(errno));
			return usage("%s: %s", files[i][0], what);
		}
	}
	// the TLS files must also hold what they are for
	if (!tlsconf_check_files(o->ca, o->cert, o->key, &opt, &file, why,
			sizeof(why))) {
		char what[768];

		snprintf(what, sizeof(what), "%s: %s", file, why);
		return usage("%s: %s", opt, what);
	}
	return true;
}

static bool want_color(int when, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (when != WSC_COLOR_AUTO) {
		return when == WSC_COLOR_ALWAYS;
	}
	return isatty(fd) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

enum wsc_parse options_parse(int argc, char **argv, struct wsc_opts *o)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS + 2], *sp = shortopts;
	const char *why, *client_opt = NULL, *server_opt = NULL;
	const char *loose = NULL, *loose_opt = NULL;

	memset(o, 0, sizeof(*o));
	o->max_redirects = 10;
	o->connect_timeout_ms = 10000;
	o->close_timeout_ms = 5000;
	o->idle_timeout_ms = 60000;
	o->delim = '\n';

	*sp++ = ':';    // report a missing argument as ':'
	for (size_t i = 0; i < N_OPTIONS; i++) {
		longopts[i] = (struct option){ table[i].name,
			!table[i].metavar ? no_argument :
			optional_arg(&table[i]) ? optional_argument :
			required_argument, NULL, table[i].id };
		if (table[i].id < 256) {
			*sp++ = (char)table[i].id;
			if (table[i].metavar) {
				*sp++ = ':';
			}
		}
	}
	*sp = '\0';
	longopts[N_OPTIONS] = (struct option){ 0 };

	opterr = 0;
	for (;;) {
		int longindex = -1;
		int c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		const struct wsc_option *opt = NULL;
		const char *name;

		if (c == -1) {
			break;
		}
		if (c == '?') {
			if (optopt && optopt < 256) {
				char s[2] = { (char)optopt, '\0' };

				usage("unknown option '-%s' (see wsc --help)", s, NULL);
			} else {
				usage("unknown option '%s' (see wsc --help)",
					argv[optind - 1], NULL);
			}
			return WSC_PARSE_USAGE;
		}
		if (c == ':') {
			usage("option '%s' needs an argument (see wsc --help)",
				argv[optind - 1], NULL);
			return WSC_PARSE_USAGE;
		}
		if (c == 'h') {
			print_help();
			return WSC_PARSE_EXIT_OK;
		}
		if (c == 'V') {
			print_version();
			return WSC_PARSE_EXIT_OK;
		}
		for (size_t i = 0; i < N_OPTIONS; i++) {
			if (table[i].id == c) {
				opt = &table[i];
			}
		}
		name = opt ? opt->name : "?";
		if (!apply(o, c, optarg, name)) {
			return WSC_PARSE_USAGE;
		}
		// "--reconnect 3": the value was meant, but only "=3" attaches it
		if (opt && optional_arg(opt) && !optarg && optind < argc &&
				looks_like_value(argv[optind])) {
			loose = argv[optind];
			loose_opt = name;
		}
		if (!client_opt && is_client_only(c)) {
			client_opt = name;
		}
		if (!server_opt && table_cat(c) == CAT_SERVER && c != 'l') {
			server_opt = name;
		}
	}

	// such a word left as a URL or an extra argument: say how to attach it
	for (int i = optind; loose && i < argc; i++) {
		if (argv[i] == loose) {
			char attached[256];

			snprintf(attached, sizeof(attached), "--%s=%s", loose_opt,
				loose);
			usage("--%s takes its value as %s (see wsc --help)",
				loose_opt, attached);
			return WSC_PARSE_USAGE;
		}
	}
	if (o->listen && o->check) {
		usage("--check runs against a server: it takes a URL, not "
			"--listen", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (o->listen) {
		if (optind < argc) {
			usage("--listen takes no URL: '%s'", argv[optind], NULL);
			return WSC_PARSE_USAGE;
		}
		if (client_opt) {
			usage("--%s is a client option: --listen does not use it",
				client_opt, NULL);
			return WSC_PARSE_USAGE;
		}
		o->color_out = want_color(o->color, STDOUT_FILENO);
		o->color_err = want_color(o->color, STDERR_FILENO);
		return WSC_PARSE_OK;
	}
	if (server_opt) {
		usage("--%s needs --listen", server_opt, NULL);
		return WSC_PARSE_USAGE;
	}
	if (optind >= argc) {
		usage("missing URL (see wsc --help)", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (optind + 1 < argc) {
		usage("unexpected argument '%s' (see wsc --help)", argv[optind + 1],
			NULL);
		return WSC_PARSE_USAGE;
	}
	o->url_text = argv[optind];
	if (!url_parse(o->url_text, &o->url, &why)) {
		usage("%s: %s", o->url_text, why);
		return WSC_PARSE_USAGE;
	}
	if (o->ping_timeout_ms && !o->ping_interval_ms) {
		usage("--ping-timeout needs --ping-interval", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if ((o->cert != NULL) != (o->key != NULL)) {
		usage("--cert and --key go together", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (!check_files(o)) {
		return WSC_PARSE_USAGE;
	}
	o->color_out = want_color(o->color, STDOUT_FILENO);
	o->color_err = want_color(o->color, STDERR_FILENO);
	if (o->auth_user && !o->auth_pass) {
		char prompt[300];

		snprintf(prompt, sizeof(prompt), "Password for %s: ", o->auth_user);
		o->auth_pass = secret_ask(prompt);
		if (!o->auth_pass) {
			usage("--auth: no password given and no terminal to ask "
				"on", NULL, NULL);
			return WSC_PARSE_USAGE;
		}
	}
	return WSC_PARSE_OK;
}

void options_finish(struct wsc_opts *o)
{
	if (!o) {
		return;
	}
	free(o->auth_user);
	if (o->auth_pass) {
		explicit_bzero(o->auth_pass, strlen(o->auth_pass));
	}
	free(o->auth_pass);
	o->auth_user = o->auth_pass = NULL;
}
