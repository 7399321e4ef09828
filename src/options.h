/*
 * options.h - the command line: one table (optiontable.h) drives
 * getopt_long, --help and validation. The result is struct wsc_opts,
 * filled once and then const.
 */
#ifndef WSC_OPTIONS_H
#define WSC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "url.h"

#define WSC_MAX_LIST 64
#define WSC_PROTOCOLS_MAX 1024
#define WSC_LISTEN_HOST_MAX 128

/* One step of the script: a message to send (-x), a file to send as one
 * (--send-file), or a reply to wait for (-e, --expect-json). */
struct wsc_step {
	enum { WSC_STEP_SEND, WSC_STEP_FILE, WSC_STEP_EXPECT,
		WSC_STEP_EXPECT_JSON } kind;
	const char *arg;
};

struct wsc_opts {
	struct wsc_url url;
	const char *url_text;

	// connection
	char protocols[WSC_PROTOCOLS_MAX];  // comma-joined, "" if none
	const char *headers[WSC_MAX_LIST];
	size_t n_headers;
	const char *origin;
	char *auth_user;                    // owned; NULL when no --auth
	char *auth_pass;                    // owned
	bool location;
	unsigned max_redirects;
	const char *proxy;                  // "host:port" (scheme stripped)
	const char *unix_socket;
	long connect_timeout_ms;
	bool insecure;
	const char *ca, *cert, *key;

	// messages
	struct wsc_step steps[WSC_MAX_LIST];  // -x, --send-file, -e in order
	size_t n_steps;
	long expect_timeout_ms;             // --expect-timeout
	bool stats;                         // --stats: the figures at exit
	bool rpc;                           // --rpc: pair replies with requests
	const char *record;                 // --record FILE
	const char *replay;                 // --replay FILE
	enum { WSC_PACE_RECORDED, WSC_PACE_NONE, WSC_PACE_REPLIES }
		replay_pace;                    // --replay-pace
	bool replay_pace_given;
	bool replay_check;                  // --replay-check
	long wait_ms;                       // -1: forever; 0: none
	bool wait_given;                    // -w: no end-of-input check
	unsigned long count;                // 0: unlimited
	bool binary;
	char delim;                         // '\n' or '\0'
	unsigned long long max_size;        // 0: unlimited
	long close_timeout_ms;
	bool jsonl;                         // -j
	bool show_ping;                     // -P
	long ping_interval_ms;              // 0: none
	long ping_timeout_ms;               // 0: none
	bool reconnect;
	unsigned long reconnect_max;        // 0: unbounded
	bool deflate;
	bool http2;                         // --http2 (RFC 8441)

	// server
	const char *listen;                 // -l [HOST:]PORT, as given
	char listen_host[WSC_LISTEN_HOST_MAX];  // its HOST (127.0.0.1 if none)
	int listen_port;                    // its PORT (0: any free one)
	bool echo;
	bool plain;                         // --plain: no names, no announcements
	bool require_protocol;
	unsigned long max_clients;          // 0: from the descriptor limit
	const char *allow_origin[WSC_MAX_LIST];
	size_t n_allow_origin;
	long idle_timeout_ms;               // 0: none

	bool check;                         // --check: the conformance report

	// display
	enum { WSC_COLOR_AUTO, WSC_COLOR_ALWAYS, WSC_COLOR_NEVER } color;
	bool color_out, color_err;          // resolved for stdout and stderr
	bool no_history;
	bool pretty;                        // --pretty: re-indent JSON on a tty
	bool show_state;
	bool dump;                          // -D (also set by -v)
	bool verbose;                       // -v: -D -S and timing
	bool quiet;
	bool timestamps;
};

enum wsc_parse {
	WSC_PARSE_OK,
	WSC_PARSE_EXIT_OK,      // --help or --version was printed
	WSC_PARSE_USAGE,        // a usage error was printed
};

/*
 * Parse argv into *opts. Prints --help/--version to stdout and usage errors
 * (one line) to stderr. Call options_finish() whatever it returns.
 */
enum wsc_parse options_parse(int argc, char **argv, struct wsc_opts *opts);

void options_finish(struct wsc_opts *opts);

/* Does the script (-x, --send-file, -e) wait for a reply anywhere? */
bool options_has_expect(const struct wsc_opts *opts);

#endif
