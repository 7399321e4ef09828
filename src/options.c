/*
 * options.c - the command line parsed: getopt_long built from the option
 * table (optiontable.c), each option applied to struct wsc_opts through
 * optionvalue.c, then the rules between options; --help and --version
 * printed (optionhelp.c). Bad arguments are one-line usage errors (exit 2).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "headers.h"
#include "optionhelp.h"
#include "optiontable.h"
#include "optionvalue.h"
#include "secret.h"
#include "tlsconf.h"

// A word that reads as the value of an option (a number): "3", "1.5".
static bool looks_like_value(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n && s[n] == '.') {
		n += 1 + strspn(s + n + 1, "0123456789");
	}
	return n && !s[n];
}

// The script's next step (-x, --send-file, -e), in command-line order.
static bool add_step(struct wsc_opts *o, int kind, const char *arg,
		const char *opt)
{
	if (o->n_steps >= WSC_MAX_LIST) {
		return options_usage("%s: the script has too many steps", opt,
			NULL);
	}
	o->steps[o->n_steps].kind = kind;
	o->steps[o->n_steps++].arg = arg;
	return true;
}

bool options_has_expect(const struct wsc_opts *o)
{
	for (size_t i = 0; i < o->n_steps; i++) {
		if (o->steps[i].kind == WSC_STEP_EXPECT ||
				o->steps[i].kind == WSC_STEP_EXPECT_JSON) {
			return true;
		}
	}
	return false;
}

static bool set_pace(struct wsc_opts *o, const char *arg)
{
	static const char *const names[] = { "recorded", "none", "replies" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (!strcmp(arg, names[i])) {
			o->replay_pace = (int)i;
			o->replay_pace_given = true;
			return true;
		}
	}
	return options_usage("--replay-pace: expected recorded, none or "
		"replies: '%s'", arg, NULL);
}

// --replay is the input, as a script is: the two do not mix.
static bool check_replay(const struct wsc_opts *o)
{
	if (!o->replay) {
		if (o->replay_pace_given || o->replay_check) {
			return options_usage("--%s needs --replay", o->replay_check ?
				"replay-check" : "replay-pace", NULL);
		}
		return true;
	}
	if (o->n_steps) {
		return options_usage("--replay cannot be used with -x, -e or "
			"--send-file: the recording is the conversation", NULL, NULL);
	}
	if (o->reconnect) {
		return options_usage("--replay cannot be used with --reconnect: "
			"a conversation is not resumed on a new connection", NULL,
			NULL);
	}
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
			return options_usage("--subprotocol: %s: '%s'", why, arg);
		}
		return true;
	case 'H':
		if (!headers_check(arg, &why)) {
			return options_usage("--header: %s", why, NULL);
		}
		return options_add_list(o->headers, &o->n_headers, "--header", arg);
	case 'o':
		if (strpbrk(arg, "\r\n")) {
			return options_usage("--origin: contains CR or LF", NULL, NULL);
		}
		o->origin = arg;
		return true;
	case OPT_AUTH:
		return options_set_auth(o, arg);
	case 'L':
		o->location = true;
		return true;
	case OPT_MAX_REDIRECTS:
		if (!options_set_uint("--max-redirects", arg, 0, 1000, &v)) {
			return false;
		}
		o->max_redirects = (unsigned)v;
		return true;
	case OPT_PROXY:
		return options_set_proxy(o, arg);
	case OPT_UNIX_SOCKET:
		if (!*arg) {
			return options_usage("--unix-socket: empty path", NULL, NULL);
		}
		if (strlen(arg) >= 108) {
			return options_usage("--unix-socket: path too long: '%s'",
				arg, NULL);
		}
		o->unix_socket = arg;
		return true;
	case OPT_CONNECT_TIMEOUT:
		return options_set_secs("--connect-timeout", arg, false, false,
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
		return add_step(o, WSC_STEP_SEND, arg, "--execute");
	case OPT_SEND_FILE:
		return add_step(o, WSC_STEP_FILE, arg, "--send-file");
	case 'e':
		return add_step(o, WSC_STEP_EXPECT, arg, "--expect");
	case OPT_EXPECT_TIMEOUT:
		return options_set_secs("--expect-timeout", arg, false, false,
			&o->expect_timeout_ms);
	case OPT_STATS:
		o->stats = true;
		return true;
	case OPT_EXPECT_JSON:
		return add_step(o, WSC_STEP_EXPECT_JSON, arg, "--expect-json");
	case OPT_RPC:
		o->rpc = true;
		return true;
	case OPT_RECORD:
		o->record = arg;
		return true;
	case OPT_REPLAY:
		o->replay = arg;
		return true;
	case OPT_REPLAY_PACE:
		return set_pace(o, arg);
	case OPT_REPLAY_CHECK:
		o->replay_check = true;
		return true;
	case 'w':
		o->wait_given = true;
		return options_set_secs("--wait", arg, true, true, &o->wait_ms);
	case 'n':
		if (!options_set_uint("--count", arg, 1, ~0UL, &v)) {
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
		return options_set_uint("--max-size", arg, 1, 1ULL << 62, &o->max_size);
	case 'j':
		o->jsonl = true;
		return true;
	case 'P':
		o->show_ping = true;
		return true;
	case OPT_PING_INTERVAL:
		return options_set_secs("--ping-interval", arg, false, false,
			&o->ping_interval_ms);
	case OPT_PING_TIMEOUT:
		return options_set_secs("--ping-timeout", arg, false, false,
			&o->ping_timeout_ms);
	case OPT_RECONNECT:
		o->reconnect = true;
		o->reconnect_max = 0;
		if (arg) {
			if (!options_set_uint("--reconnect", arg, 1, 1000000, &v)) {
				return false;
			}
			o->reconnect_max = (unsigned long)v;
		}
		return true;
	case OPT_DEFLATE:
		o->deflate = true;
		return true;
	case OPT_HTTP2:
#ifndef WSC_HAVE_NGHTTP2
		return options_usage("--http2: this wsc was built without "
			"HTTP/2 (nghttp2)", NULL, NULL);
#endif
		o->http2 = true;
		return true;
	case 'l':
		return options_set_listen(o, arg);
	case OPT_ECHO:
		o->echo = true;
		return true;
	case OPT_PLAIN:
		o->plain = true;
		return true;
	case OPT_REQUIRE_PROTOCOL:
		o->require_protocol = true;
		return true;
	case OPT_CHECK:
		o->check = true;
		return true;
	case OPT_MAX_CLIENTS:
		if (!options_set_uint("--max-clients", arg, 1, ADMIT_CLIENTS_MAX, &v)) {
			return false;
		}
		o->max_clients = (unsigned long)v;
		return true;
	case OPT_ALLOW_ORIGIN:
		if (!*arg || strpbrk(arg, " \r\n")) {
			return options_usage("--allow-origin: expected an origin such as "
				"http://HOST:PORT, or '*': '%s'", arg, NULL);
		}
		return options_add_list(o->allow_origin, &o->n_allow_origin,
			"--allow-origin", arg);
	case OPT_IDLE_TIMEOUT:
		return options_set_secs("--idle-timeout", arg, false, true,
			&o->idle_timeout_ms);
	case OPT_CLOSE_TIMEOUT:
		return options_set_secs("--close-timeout", arg, false, false,
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
			return options_usage("--color: expected auto, always or "
				"never: '%s'", arg, NULL);
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
	return options_usage("internal error: unhandled option --%s", name, NULL);
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
			return options_usage("%s: %s", files[i][0], what);
		}
	}
	// the TLS files must also hold what they are for
	if (!tlsconf_check_files(o->ca, o->cert, o->key, &opt, &file, why,
			sizeof(why))) {
		char what[768];

		snprintf(what, sizeof(what), "%s: %s", file, why);
		return options_usage("%s: %s", opt, what);
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

/* Standard output is coloured only on a terminal, whatever --color says:
 * messages and the --check report on a pipe stay plain bytes. */
static bool stdout_color(int when)
{
	return want_color(when, STDOUT_FILENO) && isatty(STDOUT_FILENO);
}

enum wsc_parse options_parse(int argc, char **argv, struct wsc_opts *o)
{
	struct option longopts[OPTIONS_MAX + 1];
	char shortopts[2 * OPTIONS_MAX + 2], *sp = shortopts;
	const char *why, *client_opt = NULL, *server_opt = NULL;
	const char *loose = NULL, *loose_opt = NULL;

	memset(o, 0, sizeof(*o));
	o->max_redirects = 10;
	o->connect_timeout_ms = 10000;
	o->close_timeout_ms = 5000;
	o->expect_timeout_ms = 10000;
	o->idle_timeout_ms = 60000;
	o->delim = '\n';

	*sp++ = ':';    // report a missing argument as ':'
	for (size_t i = 0; i < options_count; i++) {
		longopts[i] = (struct option){ options_table[i].name,
			!options_table[i].metavar ? no_argument :
			options_arg_optional(&options_table[i]) ? optional_argument :
			required_argument, NULL, options_table[i].id };
		if (options_table[i].id < 256) {
			*sp++ = (char)options_table[i].id;
			if (options_table[i].metavar) {
				*sp++ = ':';
			}
		}
	}
	*sp = '\0';
	longopts[options_count] = (struct option){ 0 };

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

				options_usage("unknown option '-%s' (see wsc --help)", s, NULL);
			} else {
				options_usage("unknown option '%s' (see wsc --help)",
					argv[optind - 1], NULL);
			}
			return WSC_PARSE_USAGE;
		}
		if (c == ':') {
			options_usage("option '%s' needs an argument (see wsc --help)",
				argv[optind - 1], NULL);
			return WSC_PARSE_USAGE;
		}
		if (c == 'h') {
			options_print_help();
			return WSC_PARSE_EXIT_OK;
		}
		if (c == 'V') {
			options_print_version();
			return WSC_PARSE_EXIT_OK;
		}
		for (size_t i = 0; i < options_count; i++) {
			if (options_table[i].id == c) {
				opt = &options_table[i];
			}
		}
		name = opt ? opt->name : "?";
		if (!apply(o, c, optarg, name)) {
			return WSC_PARSE_USAGE;
		}
		// "--reconnect 3": the value was meant, but only "=3" attaches it
		if (opt && options_arg_optional(opt) && !optarg && optind < argc &&
				looks_like_value(argv[optind])) {
			loose = argv[optind];
			loose_opt = name;
		}
		if (!client_opt && options_client_only(c)) {
			client_opt = name;
		}
		if (!server_opt && options_category(c) == CAT_SERVER && c != 'l') {
			server_opt = name;
		}
	}

	// such a word left as a URL or an extra argument: say how to attach it
	for (int i = optind; loose && i < argc; i++) {
		if (argv[i] == loose) {
			char attached[256];

			snprintf(attached, sizeof(attached), "--%s=%s", loose_opt,
				loose);
			options_usage("--%s takes its value as %s (see wsc --help)",
				loose_opt, attached);
			return WSC_PARSE_USAGE;
		}
	}
	if (o->listen && o->check) {
		options_usage("--check runs against a server: it takes a URL, not "
			"--listen", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (o->check && o->stats) {
		options_usage("--stats describes a session: --check prints its "
			"own report", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (o->listen) {
		if (optind < argc) {
			options_usage("--listen takes no URL: '%s'", argv[optind], NULL);
			return WSC_PARSE_USAGE;
		}
		if (client_opt) {
			options_usage("--%s is a client option: --listen does not use it",
				client_opt, NULL);
			return WSC_PARSE_USAGE;
		}
		o->color_out = stdout_color(o->color);
		o->color_err = want_color(o->color, STDERR_FILENO);
		return WSC_PARSE_OK;
	}
	if (server_opt) {
		options_usage("--%s needs --listen", server_opt, NULL);
		return WSC_PARSE_USAGE;
	}
	if (optind >= argc) {
		options_usage("missing URL (see wsc --help)", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (optind + 1 < argc) {
		options_usage("unexpected argument '%s' (see wsc --help)",
			argv[optind + 1], NULL);
		return WSC_PARSE_USAGE;
	}
	o->url_text = argv[optind];
	if (!url_parse(o->url_text, &o->url, &why)) {
		options_usage("%s: %s", o->url_text, why);
		return WSC_PARSE_USAGE;
	}
	if (o->reconnect && (options_has_expect(o) || o->rpc)) {
		options_usage("%s cannot be used with --reconnect: a "
			"conversation is not resumed on a new connection",
			o->rpc ? "--rpc" : "--expect", NULL);
		return WSC_PARSE_USAGE;
	}
	if (o->rpc && o->binary) {
		options_usage("--rpc sends JSON text: it cannot be used with -b",
			NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (!check_replay(o)) {
		return WSC_PARSE_USAGE;
	}
	if (o->ping_timeout_ms && !o->ping_interval_ms) {
		options_usage("--ping-timeout needs --ping-interval", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if ((o->cert != NULL) != (o->key != NULL)) {
		options_usage("--cert and --key go together", NULL, NULL);
		return WSC_PARSE_USAGE;
	}
	if (!check_files(o)) {
		return WSC_PARSE_USAGE;
	}
	o->color_out = stdout_color(o->color);
	o->color_err = want_color(o->color, STDERR_FILENO);
	if (o->auth_user && !o->auth_pass) {
		char prompt[300];

		snprintf(prompt, sizeof(prompt), "Password for %s: ", o->auth_user);
		o->auth_pass = secret_ask(prompt);
		if (!o->auth_pass) {
			options_usage("--auth: no password given and no terminal to ask "
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
