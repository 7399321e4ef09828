/*
 * repl.c - readline in callback mode inside the single lws loop. Incoming
 * output and diagnostics reach the terminal through repl's sinks, which
 * lift the prompt and the partly typed line, print, and put them back.
 * Once closing has taken the prompt away, the terminal is still read, so
 * that Ctrl-D can quit at once.
 */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "commands.h"
#include "endpoint.h"
#include "histfile.h"
#include "log.h"
#include "replsize.h"
#include "sendfile.h"

#define HISTORY_MAX 1000
#define PROMPT "> "

// readline's line handler has no user pointer: this is how it finds us.
static struct wsc *repl_wsc;

static bool prompt_shown(void)
{
	// inside the line handler the line is done and no prompt is drawn
	return repl_wsc && repl_wsc->repl_active && !RL_ISSTATE(RL_STATE_DONE);
}

// Print above the prompt: lift the typed line, write, put it back.
static void print_above(int fd, const char *buf, size_t len)
{
	bool lift = prompt_shown();
	char *saved = NULL;
	int point = 0;

	if (lift) {
		point = rl_point;
		saved = rl_copy_text(0, rl_end);
		rl_save_prompt();
		rl_replace_line("", 0);
		rl_redisplay();
	}
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (lift) {
		rl_restore_prompt();
		rl_replace_line(saved, 0);
		rl_point = point;
		rl_forced_update_display();
		free(saved);
	}
}

static void out_sink(void *ctx, const char *buf, size_t len)
{
	print_above(STDOUT_FILENO, buf, len);
}

static void err_sink(void *ctx, const char *line, size_t len)
{
	print_above(STDERR_FILENO, line, len);
}

/*
 * Closing, by Ctrl-D, /quit or /close: the prompt is gone, so say what
 * wsc waits for and how not to wait (nothing when it has left already).
 */
static void say_closing(struct wsc *w, unsigned code, const char *reason)
{
	if (w->done || w->repl_active) {
		return;
	}
	log_info("closing with %u%s%s%s; Ctrl-C or Ctrl-D quits at once", code,
		*reason ? " \"" : "", reason, *reason ? "\"" : "");
}

static void do_command(struct wsc *w, const char *line)
{
	struct wsc_command *cmd = malloc(sizeof(*cmd));

	if (!cmd) {
		log_err("out of memory");
		return;
	}
	commands_parse(line, cmd);
	if ((cmd->kind == WSC_CMD_SEND || cmd->kind == WSC_CMD_BINARY ||
			cmd->kind == WSC_CMD_NICK) && sendfile_busy(w)) {
		// its fragments are on the wire: nothing may come between them
		log_err("a file is still being sent; not sent (Up recalls it)");
		free(cmd);
		return;
	}
	switch (cmd->kind) {
	case WSC_CMD_SEND:
		endpoint_send_message(&w->ep, w->opts->binary ? WSC_FRAME_BINARY :
			WSC_FRAME_TEXT, cmd->data, cmd->len);
		break;
	case WSC_CMD_NICK:      // text even with -b: a request, not data
		endpoint_send_message(&w->ep, WSC_FRAME_TEXT, cmd->data, cmd->len);
		break;
	case WSC_CMD_PING:
		endpoint_send_message(&w->ep, WSC_FRAME_PING, cmd->data, cmd->len);
		break;
	case WSC_CMD_PONG:
		endpoint_send_message(&w->ep, WSC_FRAME_PONG, cmd->data, cmd->len);
		break;
	case WSC_CMD_BINARY:
		endpoint_send_message(&w->ep, WSC_FRAME_BINARY, cmd->data, cmd->len);
		break;
	case WSC_CMD_CLOSE: {
		char reason[128];

		snprintf(reason, sizeof(reason), "%.*s", (int)cmd->len, cmd->data);
		endpoint_close(&w->ep, cmd->code, reason);
		say_closing(w, cmd->code, reason);
		break;
	}
	case WSC_CMD_QUIT:
		// as Ctrl-D
		endpoint_end_input(&w->ep);
		say_closing(w, 1000, "");
		break;
	case WSC_CMD_STATE:
		endpoint_describe(&w->ep);
		break;
	case WSC_CMD_HELP:
		for (size_t i = 0; commands_help[i]; i++) {
			log_note("%s", commands_help[i]);
		}
		break;
	case WSC_CMD_PRETTY:
		w->out.pretty = cmd->code == 2 ? !w->out.pretty : cmd->code == 1;
		log_note("pretty %s%s", w->out.pretty ? "on" : "off",
			w->out.pretty && !w->out.tty ?
			" (stdout is not a terminal: messages pass unchanged)" : "");
		break;
	case WSC_CMD_SENDFILE:
	case WSC_CMD_SENDBIN:
		sendfile_start(w, cmd->data, cmd->kind == WSC_CMD_SENDBIN);
		break;
	case WSC_CMD_ERROR:
		log_err("%s", cmd->why);
		break;
	}
	free(cmd);
}

static void on_line(char *line)
{
	struct wsc *w = repl_wsc;

	if (!line) {
		// Ctrl-D on an empty line: close after what was typed
		endpoint_end_input(&w->ep);
		say_closing(w, 1000, "");
		return;
	}
	if (*line) {
		HIST_ENTRY *last = history_get(history_base + history_length - 1);

		if (!last || strcmp(last->line, line)) {
			add_history(line);
		}
	}
	do_command(w, line);
	free(line);
}

/* --- completion --- */

static char *command_generator(const char *text, int state)
{
	size_t *i = &repl_wsc->complete_next;   // the generator's state
	size_t n = strlen(text);
	const char *name;

	if (!state) {
		*i = 0;
	}
	while ((name = commands_name((*i)++))) {
		if (!strncmp(name, text, n)) {
			return strdup(name);
		}
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1;  // file names only after /send
	if (start == 0 && text[0] == '/') {
		return rl_completion_matches(text, command_generator);
	}
	if (start > 0 && commands_takes_file(rl_line_buffer)) {
		rl_completion_append_character = '\0';  // the name ends the line
		return rl_completion_matches(text, rl_filename_completion_function);
	}
	return NULL;
}

// Meta-Enter: a line break inside the message being typed.
static int insert_newline(int count, int key)
{
	for (int i = 0; i < count; i++) {
		rl_insert_text("\n");
	}
	return 0;
}

/* --- history --- */

static bool history_path(char *buf, size_t size, bool create_dir)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[4096];

	if (state && *state == '/') {
		snprintf(dir, sizeof(dir), "%s/wsc", state);
	} else if (home && *home) {
		snprintf(dir, sizeof(dir), "%s/.local/state/wsc", home);
	} else {
		return false;
	}
	if (create_dir) {
		// mkdir -p, private
		for (char *p = dir + 1; *p; p++) {
			if (*p == '/') {
				*p = '\0';
				mkdir(dir, 0700);
				*p = '/';
			}
		}
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			return false;
		}
	}
	snprintf(buf, size, "%s/history", dir);
	return true;
}

static void history_load(struct wsc *w)
{
	char path[4200];

	using_history();
	stifle_history(HISTORY_MAX);
	history_comment_char = '#';     // add_history() stamps "#<time>"
	if (w->opts->no_history || !history_path(path, sizeof(path), false)) {
		return;
	}
	histfile_read(path);
}

static void history_save(struct wsc *w)
{
	char path[4200];
	int fd;

	if (w->opts->no_history || !history_path(path, sizeof(path), true)) {
		return;
	}
	// create it private before readline writes it
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("history: %s: %s", path, strerror(errno));
		return;
	}
	fchmod(fd, 0600);
	close(fd);
	// the list is stifled to HISTORY_MAX entries and replaces the file
	if (!histfile_write(path)) {
		log_err("history: %s: cannot write", path);
	}
}

/*
 * Readline keeps edits to a recalled entry in that entry (with its undo
 * list) until the line is accepted. A line given up with Ctrl-C must leave
 * history as it was, as bash does: undo the edits of every entry visited,
 * drop the line typed before recalling, and start anew after the last entry.
 */
static void drop_history_edits(void)
{
	HIST_ENTRY **list = history_list();
	int cur = where_history();
	bool recalled = current_history() != NULL;

	// the recalled entry: its edits are in the line and rl_undo_list
	if (recalled && rl_undo_list) {
		rl_revert_line(1, 0);
		free_history_entry(replace_history_entry(cur, rl_line_buffer,
			NULL));
	}
	// entries left for another: their edited text holds their undo list
	for (int i = 0; list && list[i]; i++) {
		if (i == cur || !list[i]->data) {
			continue;
		}
		rl_replace_line(list[i]->line, 0);  // keeps rl_undo_list
		rl_undo_list = (UNDO_LIST *)list[i]->data;
		rl_revert_line(1, 0);               // frees the undo list
		free_history_entry(replace_history_entry(i, rl_line_buffer,
			NULL));
	}
	if (recalled) {
		rl_maybe_unsave_line();  // the line typed before the first Up
	}
	rl_replace_line("", 1);
	rl_point = 0;
	using_history();
}

/* --- the adopted terminal --- */

// readline reads keys kept while a resize waited for the terminal first
static int repl_getc(FILE *in)
{
	return replsize_getc(&repl_wsc->rs, in);
}

// Typed keys to readline (through replsize.c while an answer is owed)
static void read_keys(struct wsc *w)
{
	if (w->rs.owed) {
		replsize_input(w);
	} else {
		rl_callback_read_char();
	}
}

/*
 * The prompt is gone but wsc still waits (for the server's Close, or for
 * the connection to open): the terminal is read as typed, not edited.
 * Ctrl-D quits at once, as Ctrl-C does; a typed line is said not sent.
 */
static int closing_keys(struct wsc *w, struct lws *wsi)
{
	char buf[512];
	ssize_t n = read(lws_get_socket_fd(wsi), buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return 0;
	}
	if (n > 0) {
		log_info("closing: that line is not sent; Ctrl-C or Ctrl-D quits "
			"at once");
		return 0;
	}
	endpoint_signal(&w->ep, SIGINT);
	return -1;      // the terminal is read no more
}

static int repl_cb(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct wsc *w = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (!w->repl_active) {
			return w->repl_started ? closing_keys(w, wsi) : -1;
		}
		read_keys(w);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == w->in) {
			w->in = NULL;
			if (w->repl_active) {
				endpoint_close(&w->ep, 1000, "");  // the terminal went away
			}
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols repl_protocol = {
	"wsc-repl", repl_cb, 0, 0, 0, NULL, 0,
};

bool repl_start(struct wsc *w, struct lws_vhost *vh)
{
	lws_sock_file_fd_type fd;

	repl_wsc = w;
	rl_readline_name = "wsc";
	rl_catch_signals = 0;       // signals come through the signalfd
	rl_catch_sigwinch = 0;
	rl_instream = stdin;
	rl_getc_function = repl_getc;
	rl_outstream = isatty(STDOUT_FILENO) ? stdout : stderr;
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = (char *)" ";
	history_load(w);

	fd.filefd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd.filefd < 0) {
		log_err("stdin: %s", strerror(errno));
		return false;
	}
	w->in = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd,
		repl_protocol.name, NULL);
	if (!w->in) {
		log_err("cannot watch the terminal");
		return false;
	}
	w->out.sink = out_sink;
	w->out.sink_ctx = w;
	log_set_sink(err_sink, w);
	rl_callback_handler_install(PROMPT, on_line);
	rl_bind_keyseq("\\e\\r", insert_newline);   // after readline's own init
	rl_bind_keyseq("\\e\\n", insert_newline);
	w->repl_active = true;
	w->repl_started = true;
	return true;
}

void repl_stop(struct wsc *w)
{
	if (!w->repl_active) {
		return;
	}
	// take the prompt and any typed text off the screen, leave readline
	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	rl_restore_prompt();
	w->repl_active = false;
	rl_callback_handler_remove();
	// the terminal stays watched: closing_keys()
}

// What was typed but never went out (the connection did not open, or was
// lost for good): say so, not drop it silently.
static void say_unsent(const struct wsc *w)
{
	size_t n = 0;

	for (const struct wsc_sendq_item *it = w->q.head; it; it = it->next) {
		n += it->kind == WSC_FRAME_PING || it->kind == WSC_FRAME_PONG ||
			((it->kind == WSC_FRAME_TEXT || it->kind ==
			WSC_FRAME_BINARY) && it->last);
	}
	if (n) {
		log_err("%zu typed line%s not sent (no connection)", n,
			n == 1 ? " was" : "s were");
	}
}

void repl_finish(struct wsc *w)
{
	if (!w->repl_started) {
		return;
	}
	repl_stop(w);
	say_unsent(w);
	history_save(w);
	log_set_sink(NULL, NULL);
	w->out.sink = NULL;
	w->repl_started = false;
	rl_getc_function = rl_getc;
	repl_wsc = NULL;
}

void repl_opened(struct wsc *w)
{
	if (w->repl_active && !w->hinted) {
		w->hinted = true;
		log_info("connected; /help for commands, Ctrl-D to quit");
	}
}

void repl_signal(struct wsc *w, int signo)
{
	if (signo == SIGWINCH) {
		if (w->repl_active) {
			replsize_resized(w);
		}
		return;
	}
	// Keys typed before Ctrl-C are read first: the signal can overtake them.
	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

		if (!w->repl_active || poll(&pfd, 1, 0) != 1 ||
				!(pfd.revents & POLLIN)) {
			break;
		}
		read_keys(w);
	}
	// Ctrl-C: clear a typed line; on an empty one, close and exit
	if (w->repl_active && rl_end > 0) {
		rl_callback_sigcleanup();
		drop_history_edits();
		rl_redisplay();
		return;
	}
	endpoint_interrupt(&w->ep);
}
