/*
 * clientstats.h - --stats for the client: the session's figures
 * (stats.h) kept from start to exit, then said once: a block on standard
 * error, or with -j one stats event on standard output.
 */
#ifndef WSC_CLIENTSTATS_H
#define WSC_CLIENTSTATS_H

#include "state.h"

struct wsc_client;

/* The session starts: its figures from zero (the samples kept only with
 * --stats, which also keeps the last error line for the report). */
void clientstats_start(struct wsc_client *c);

/* The session is over with exit status ret: with --stats, say its
 * figures; then free them. */
void clientstats_report(struct wsc_client *c, enum wsc_exit ret);

#endif
