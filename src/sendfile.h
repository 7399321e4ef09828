/*
 * sendfile.h - /send and /sendbin: a file's content as one message. The
 * file is read in pieces as the endpoint takes them (like a long input line,
 * fragments of up to WSC_READ_CHUNK), so memory stays within the budget
 * whatever its size. /send checks the whole file is UTF-8 first.
 */
#ifndef WSC_SENDFILE_H
#define WSC_SENDFILE_H

#include <stdbool.h>

#include "wsc.h"

/* Start sending path; false after printing why not (nothing was sent). */
bool sendfile_start(struct wsc *w, const char *path, bool binary);

/* The endpoint has room: read and send more of the file being sent. */
void sendfile_pump(struct wsc *w);

/* A file is being sent: no other message may start before it ends. */
bool sendfile_busy(const struct wsc *w);

/* Stop and free (the session is over). */
void sendfile_stop(struct wsc *w);

#endif
