/*
 * optionhelp.c - what --help and --version print: the help text laid out
 * from the option table, category by category, wrapped to 79 columns; the
 * versions of wsc and of the libraries it runs on.
 */
#include "optionhelp.h"

#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>
#include <readline/readline.h>

#include "optiontable.h"

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

void options_print_help(void)
{
	printf("Usage: wsc [OPTIONS] URL\n"
		"       wsc --listen [HOST:]PORT [OPTIONS]\n"
		"A command-line WebSocket client. URL is ws://, wss://, "
		"http:// or https://.\n"
		"Lines on stdin are sent as text messages; received messages "
		"go to stdout.\n");
	for (int cat = CAT_CONNECTION; cat <= CAT_GENERAL; cat++) {
		printf("\n%s:\n", options_category_names[cat]);
		for (size_t i = 0; i < options_count; i++) {
			const struct wsc_option *o = &options_table[i];
			char left[64];

			if ((int)o->cat != cat) {
				continue;
			}
			const char *sep = !o->metavar ? "" :
				options_arg_optional(o) ? "" : " ";

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

void options_print_version(void)
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
