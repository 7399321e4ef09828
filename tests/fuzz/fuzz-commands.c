// libFuzzer: REPL slash-command parsing.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct wsc_command *c = malloc(sizeof(*c));

	memcpy(s, data, size);
	s[size] = '\0';
	commands_parse(s, c);
	switch (c->kind) {
	case WSC_CMD_ERROR:
		assert(c->why && *c->why);
		break;
	case WSC_CMD_PING:
	case WSC_CMD_PONG:
		assert(c->len <= 125);
		break;
	case WSC_CMD_CLOSE:
		assert(c->code >= 1000 && c->code <= 4999 && c->len <= 123);
		break;
	case WSC_CMD_BINARY:
		assert(c->len > 0 && c->len <= sizeof(c->buf));
		break;
	default:
		break;
	}
	free(c);
	free(s);
	return 0;
}
