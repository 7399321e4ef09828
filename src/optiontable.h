/*
 * optiontable.h - the option table, the single source of truth about wsc's
 * options: each one's long name, short letter, argument, help line and
 * category. getopt_long (options.c) and --help (optionhelp.c) are both
 * built from it, and tests/integration/test_sync.py holds the man page and
 * the shell completions to what --help prints.
 */
#ifndef WSC_OPTIONTABLE_H
#define WSC_OPTIONTABLE_H

#include <stdbool.h>
#include <stddef.h>

enum option_category {
	CAT_CONNECTION, CAT_MESSAGES, CAT_DISPLAY, CAT_SERVER, CAT_GENERAL
};

/* Their headings in --help. */
extern const char *const options_category_names[];

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
	OPT_HTTP2,
	OPT_ECHO,
	OPT_PLAIN,
	OPT_REQUIRE_PROTOCOL,
	OPT_PRETTY,
	OPT_CHECK,
	OPT_MAX_CLIENTS,
	OPT_ALLOW_ORIGIN,
	OPT_IDLE_TIMEOUT,
	OPT_SEND_FILE,
	OPT_EXPECT_TIMEOUT,
	OPT_STATS,
	OPT_EXPECT_JSON,
	OPT_RPC,
	OPT_RECORD,
	OPT_REPLAY,
	OPT_REPLAY_PACE,
	OPT_REPLAY_CHECK,
};

struct wsc_option {
	const char *name;
	int id;
	const char *metavar;    // NULL: takes no argument
	const char *help;
	enum option_category cat;
};

/* The options, in --help order within each category. */
extern const struct wsc_option options_table[];
extern const size_t options_count;

// the most options_count may be: it sizes getopt_long's arrays
#define OPTIONS_MAX 64

/* Options a client uses and the room (--listen) has no use for. */
bool options_client_only(int id);

/* The category of option id, -1 for none. */
int options_category(int id);

/* "[=N]": the argument is optional and must be attached (--reconnect=3). */
bool options_arg_optional(const struct wsc_option *o);

#endif
