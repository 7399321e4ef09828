/*
 * server.h - wsc --listen: a WebSocket chat room (or --echo) on the same
 * single lws loop, serving the built-in chat page at GET /. The room is
 * the session's endpoint (endpoint.h): input and the REPL reach it only
 * through that.
 */
#ifndef WSC_SERVER_H
#define WSC_SERVER_H

#include "options.h"
#include "state.h"

/* Run the server until a signal, Ctrl-D or /quit; returns the exit status. */
enum wsc_exit server_run(const struct wsc_opts *opts, int sigfd);

#endif
