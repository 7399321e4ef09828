/*
 * diagnose.h - why a connection failed or ended, in wsc's words: one
 * `wsc: ...` line (after the response shown for a rejected handshake), and
 * the -S/-j facts of the end. It only reads the session and the capture.
 */
#ifndef WSC_DIAGNOSE_H
#define WSC_DIAGNOSE_H

#include "wsc.h"

/* The connection could not be made; cce is lws's short reason or "". */
void diagnose_connect_error(struct wsc *w, const char *cce);

/* The open connection ended: CLOSED state, -j close event, the cause of
 * an unclean end or of a server's error close code. */
void diagnose_closed(struct wsc *w);

#endif
