/*
 * commands.h - the REPL's slash commands: one table, parsing only. Pure:
 * turns a typed line into what to do; the REPL does it.
 */
#ifndef WSC_COMMANDS_H
#define WSC_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

enum wsc_cmd {
	WSC_CMD_SEND,       // an ordinary message (also "//..." unescaped)
	WSC_CMD_PING,
	WSC_CMD_PONG,
	WSC_CMD_CLOSE,
	WSC_CMD_BINARY,
	WSC_CMD_STATE,
	WSC_CMD_HELP,
	WSC_CMD_QUIT,
	WSC_CMD_PRETTY,     // code: 0 off, 1 on, 2 toggle
	WSC_CMD_SENDFILE,   // data: the file name
	WSC_CMD_SENDBIN,
	WSC_CMD_NICK,       // data: the text "/nick NAME", sent as text
	WSC_CMD_ERROR,      // malformed: nothing is sent, why says what
};

struct wsc_command {
	enum wsc_cmd kind;
	const char *data;       // payload (points into the line or into buf)
	size_t len;
	unsigned code;          // /close code, 0 when none given
	const char *why;        // WSC_CMD_ERROR: what was wrong
	unsigned char buf[4096];  // decoded /binary bytes
};

/*
 * Parse one typed line. Lines not starting with '/' are messages; "//x"
 * sends "/x". The command refers to line, which must outlive it.
 */
void commands_parse(const char *line, struct wsc_command *cmd);

/* The i-th command name ("/ping", ...) for completion; NULL past the end. */
const char *commands_name(size_t i);

/* The line is a command whose argument is a file name (Tab completes it). */
bool commands_takes_file(const char *line);

/* One line of help per command, NULL-terminated. */
extern const char *const commands_help[];

#endif
