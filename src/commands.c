/*
 * commands.c - slash-command table and argument parsing. Pure.
 */
#include "commands.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct entry {
	const char *name;
	enum wsc_cmd kind;
};

static const struct entry table[] = {
	{ "/ping", WSC_CMD_PING },
	{ "/pong", WSC_CMD_PONG },
	{ "/close", WSC_CMD_CLOSE },
	{ "/binary", WSC_CMD_BINARY },
	{ "/send", WSC_CMD_SENDFILE },
	{ "/sendbin", WSC_CMD_SENDBIN },
	{ "/nick", WSC_CMD_NICK },
	{ "/pretty", WSC_CMD_PRETTY },
	{ "/state", WSC_CMD_STATE },
	{ "/help", WSC_CMD_HELP },
	{ "/quit", WSC_CMD_QUIT },
};

#define N_ENTRIES (sizeof(table) / sizeof(table[0]))

const char *commands_name(size_t i)
{
	return i < N_ENTRIES ? table[i].name : NULL;
}

bool commands_takes_file(const char *line)
{
	return !strncmp(line, "/send ", 6) || !strncmp(line, "/sendbin ", 9);
}

const char *const commands_help[] = {
	"/ping [DATA]            send a Ping (DATA up to 125 bytes)",
	"/pong [DATA]            send an unsolicited Pong",
	"/close [CODE [REASON]]  close (default 1000) and exit",
	"/binary HEX...          send bytes, e.g. /binary 00 ff 10",
	"/send FILE              send the file as one text message (UTF-8)",
	"/sendbin FILE           send the file as one binary message",
	"/nick NAME              rename yourself in a room that takes /nick, "
		"such as wsc --listen",
	"/pretty [on|off]        show JSON messages indented (no argument: "
		"toggle)",
	"/state                  show the connection state",
	"/help                   this list",
	"/quit                   as Ctrl-D: close with 1000 and exit",
	"//TEXT                  send /TEXT",
	"Meta-Enter (Esc Enter)  a new line in the message being typed",
	NULL,
};

static bool fail(struct wsc_command *cmd, const char *why)
{
	cmd->kind = WSC_CMD_ERROR;
	cmd->why = why;
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

static bool parse_hex(const char *s, struct wsc_command *cmd)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == ' ' || *s == '\t' || *s == ':' || *s == ',') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		if (hi < 0) {
			return fail(cmd, "/binary: not a hex digit");
		}
		lo = s[1] ? hexval(s[1]) : -1;
		if (lo < 0) {
			return fail(cmd, s[1] && !strchr(" \t:,", s[1]) ?
				"/binary: not a hex digit" :
				"/binary: odd number of hex digits");
		}
		if (n >= sizeof(cmd->buf)) {
			return fail(cmd, "/binary: too many bytes (at most 4096)");
		}
		cmd->buf[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	if (!n) {
		return fail(cmd, "/binary: no bytes given");
	}
	cmd->data = (const char *)cmd->buf;
	cmd->len = n;
	return true;
}

static bool parse_close(const char *s, struct wsc_command *cmd)
{
	char *end;
	unsigned long code;

	while (*s == ' ') {
		s++;
	}
	cmd->code = 1000;
	cmd->data = "";
	cmd->len = 0;
	if (!*s) {
		return true;
	}
	if (!isdigit((unsigned char)*s)) {
		return fail(cmd, "/close: the code must be a number");
	}
	code = strtoul(s, &end, 10);
	if (*end && *end != ' ') {
		return fail(cmd, "/close: the code must be a number");
	}
	if (code > 0xffff || !frame_close_code_ok((unsigned)code)) {
		return fail(cmd, "/close: code must be 1000-1003, 1007-1014 or "
			"3000-4999");
	}
	cmd->code = (unsigned)code;
	while (*end == ' ') {
		end++;
	}
	cmd->data = end;
	cmd->len = strlen(end);
	if (cmd->len > 123) {
		return fail(cmd, "/close: reason longer than 123 bytes");
	}
	return true;
}

void commands_parse(const char *line, struct wsc_command *cmd)
{
	size_t wl;
	const char *arg;

	cmd->kind = WSC_CMD_SEND;
	cmd->data = line;
	cmd->len = strlen(line);
	cmd->code = 0;
	cmd->why = NULL;
	if (line[0] != '/') {
		return;
	}
	if (line[1] == '/') {
		cmd->data = line + 1;
		cmd->len--;
		return;
	}
	wl = strcspn(line, " ");
	arg = line + wl;
	if (*arg == ' ') {
		arg++;
	}
	for (size_t i = 0; i < N_ENTRIES; i++) {
		if (strlen(table[i].name) != wl ||
				strncmp(line, table[i].name, wl)) {
			continue;
		}
		cmd->kind = table[i].kind;
		cmd->data = arg;
		cmd->len = strlen(arg);
		switch (table[i].kind) {
		case WSC_CMD_PING:
		case WSC_CMD_PONG:
			if (cmd->len > 125) {
				fail(cmd, "control frame data is limited to 125 bytes");
			}
			return;
		case WSC_CMD_CLOSE:
			parse_close(arg, cmd);
			return;
		case WSC_CMD_BINARY:
			parse_hex(arg, cmd);
			return;
		case WSC_CMD_SENDFILE:
		case WSC_CMD_SENDBIN:
			if (!*arg) {
				fail(cmd, table[i].kind == WSC_CMD_SENDFILE ?
					"/send: which file?" : "/sendbin: which file?");
			}
			return;
		case WSC_CMD_NICK:
			// the room reads the request itself: sent as typed
			cmd->data = line;
			cmd->len = strlen(line);
			if (!*arg) {
				fail(cmd, "/nick: which name?");
			}
			return;
		case WSC_CMD_PRETTY:
			cmd->code = !*arg ? 2 : !strcmp(arg, "on") ? 1 :
				!strcmp(arg, "off") ? 0 : 3;
			if (cmd->code == 3) {
				fail(cmd, "/pretty: expected on or off");
			}
			return;
		default:
			if (*arg) {
				fail(cmd, "this command takes no arguments");
			}
			return;
		}
	}
	fail(cmd, "unknown command (try /help; // sends a leading /)");
}
