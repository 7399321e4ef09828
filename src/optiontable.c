/*
 * optiontable.c - the option table: every option's names, argument, help
 * line and category, and which of them only a client uses.
 * Short letters in use: 0 D H L P S V b e h j k l n o q s t v w x
 */
#include "optiontable.h"

#include <string.h>

const char *const options_category_names[] = {
	"Connection", "Messages", "Display", "Server", "General",
};

const struct wsc_option options_table[] = {
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
	{ "http2", OPT_HTTP2, NULL, "WebSocket over HTTP/2 (RFC 8441): ALPN h2 "
		"for wss://, prior knowledge for ws://", CAT_CONNECTION },
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
	{ "send-file", OPT_SEND_FILE, "FILE", "send FILE as one message, in "
		"order with -x and -e (text: UTF-8 only; with -b: binary)",
		CAT_MESSAGES },
	{ "expect", 'e', "PATTERN", "wait for a received message matching "
		"PATTERN (extended regex) before the next -x or --send-file; "
		"unmet: exit 4", CAT_MESSAGES },
	{ "expect-timeout", OPT_EXPECT_TIMEOUT, "SECS", "how long each -e "
		"or --expect-json waits, and each --rpc reply (and --replay, in "
		"silence, for the server). Default: 10", CAT_MESSAGES },
	{ "expect-json", OPT_EXPECT_JSON, "PATH=VALUE", "like -e, for a JSON "
		"message whose field at PATH (a.b.0.c) equals VALUE (JSON, else "
		"a string)", CAT_MESSAGES },
	{ "rpc", OPT_RPC, NULL, "JSON-RPC: give each message with a \"method\" "
		"an \"id\", pair replies by id with their round trip, wait for "
		"all at the end", CAT_MESSAGES },
	{ "record", OPT_RECORD, "FILE", "write every event of the session, "
		"sent messages too, to FILE as JSON lines (the -j schema)",
		CAT_MESSAGES },
	{ "replay", OPT_REPLAY, "FILE", "send the messages a --record FILE "
		"sent, in order, then close as at end of input; stdin is not "
		"read", CAT_MESSAGES },
	{ "replay-pace", OPT_REPLAY_PACE, "PACE", "with --replay: recorded "
		"(at the recorded times), none (at once) or replies (after the "
		"server messages that came before). Default: recorded",
		CAT_MESSAGES },
	{ "replay-check", OPT_REPLAY_CHECK, NULL, "with --replay: the server's "
		"messages must equal the recorded ones, in order; a difference "
		"or a missing one: exit 4", CAT_MESSAGES },
	{ "stats", OPT_STATS, NULL, "at exit, print the session's figures: "
		"messages and bytes each way, -e, --rpc reply and Ping round "
		"trips, how it ended (with -j: a stats event)", CAT_MESSAGES },
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
		"handshake with -D, stats with --stats)", CAT_MESSAGES },
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
	{ "plain", OPT_PLAIN, NULL, "with --listen: relay every message "
		"unchanged, with no names and no announcements: a broadcast hub "
		"for scripts", CAT_SERVER },
	{ "echo", OPT_ECHO, NULL, "with --listen: echo each message, "
		"unchanged, to its sender instead of relaying it to the others",
		CAT_SERVER },
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
		"every message) against RFC 6455 (and RFC 8441 with --http2) and "
		"print a report: a verdict per case, exit 1 if one failed",
		CAT_GENERAL },
	{ "help", 'h', NULL, "show this help and exit", CAT_GENERAL },
	{ "version", 'V', NULL, "show versions and exit", CAT_GENERAL },
};

const size_t options_count = sizeof(options_table) / sizeof(options_table[0]);

_Static_assert(sizeof(options_table) / sizeof(options_table[0]) <=
	OPTIONS_MAX, "OPTIONS_MAX bounds getopt_long's arrays: raise it");

// Options a client uses and the room (--listen) has no use for: refused
// with --listen rather than silently ignored.
static const int client_only[] = {
	'H', 'o', OPT_AUTH, 'L', OPT_MAX_REDIRECTS, OPT_PROXY, OPT_UNIX_SOCKET,
	OPT_CONNECT_TIMEOUT, OPT_HTTP2, OPT_RECONNECT, 'k', OPT_CA, OPT_CERT,
	OPT_KEY, 'x', OPT_SEND_FILE, 'e', OPT_EXPECT_TIMEOUT, OPT_EXPECT_JSON,
	OPT_RPC, OPT_RECORD, OPT_REPLAY, OPT_REPLAY_PACE, OPT_REPLAY_CHECK,
	OPT_STATS, 'w', 'n',
	OPT_PING_INTERVAL, OPT_PING_TIMEOUT, 'P', 'D', 'S', 'v',
};

bool options_client_only(int id)
{
	for (size_t i = 0; i < sizeof(client_only) / sizeof(*client_only); i++) {
		if (client_only[i] == id) {
			return true;
		}
	}
	return false;
}

int options_category(int id)
{
	for (size_t i = 0; i < options_count; i++) {
		if (options_table[i].id == id) {
			return (int)options_table[i].cat;
		}
	}
	return -1;
}

bool options_arg_optional(const struct wsc_option *o)
{
	return o->metavar && !strncmp(o->metavar, "[=", 2);
}
