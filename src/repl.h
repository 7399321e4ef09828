/*
 * repl.h - the interactive mode: GNU readline's callback interface driven
 * by the lws loop (stdin adopted like in pipe mode), slash commands,
 * history, and printing above the prompt without mangling the typed line.
 */
#ifndef WSC_REPL_H
#define WSC_REPL_H

#include <stdbool.h>

#include "wsc.h"

extern const struct lws_protocols repl_protocol;

/* Install readline, load history, adopt stdin. False after an error. */
bool repl_start(struct wsc *w, struct lws_vhost *vh);

/* Restore the terminal, save history; safe to call when not started. */
void repl_finish(struct wsc *w);

/* Stop taking input (closing): the prompt goes away, printing continues. */
void repl_stop(struct wsc *w);

/* The connection opened: once per session, say how to leave (not -q). */
void repl_opened(struct wsc *w);

/* Ctrl-C (SIGINT) or a terminal resize (SIGWINCH) in interactive mode. */
void repl_signal(struct wsc *w, int signo);

#endif
