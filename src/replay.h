/*
 * replay.h - --replay FILE: the client sends the messages a recording
 * sent, paced as --replay-pace says, then input is over; with
 * --replay-check it compares the server's messages with the recorded
 * ones as they arrive. Like a script (script.h) the replay is the input
 * and runs when the connection opens; the client feeds it what it
 * receives and tells it when the connection is over.
 *
 * While the replay waits for the server (the messages that came before
 * the next one to send, with replies pacing; the rest of the recorded
 * ones, with --replay-check), --expect-timeout of silence or the end of
 * the connection ends the run with status 4, as an unmet -e does.
 */
#ifndef WSC_REPLAY_H
#define WSC_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "options.h"
#include "replayfile.h"

#define REPLAY_SHOW_MAX 60      // bytes of each message in a difference

struct wsc_client;

struct wsc_replay {
	bool on;                    // --replay given
	struct replay_file f;
	int pace;                   // WSC_PACE_* (options.h)
	bool check;                 // --replay-check
	long timeout_ms;            // --expect-timeout
	int64_t open_us;            // when the connection opened
	size_t next;                // the next sent message to send
	unsigned long received;     // server messages received whole
	bool waiting;               // for the server: sul_wait runs
	bool unmet;                 // a difference or a missing message: exit 4

	// the message being received, compared as it comes (--replay-check)
	bool rx_binary;
	bool rx_differs;
	size_t rx_len;
	unsigned char rx_show[REPLAY_SHOW_MAX];

	lws_sorted_usec_list_t sul_send;    // recorded pacing
	lws_sorted_usec_list_t sul_wait;    // --expect-timeout of silence
};

/* Read the recording of opts->replay (if any): false after one line. */
bool replay_init(struct wsc_replay *r, const struct wsc_opts *opts);

void replay_finish(struct wsc_replay *r);

/* The connection opened: start sending. */
void replay_opened(struct wsc_client *c);

/* A received message begins, goes on, ends. */
void replay_rx_begin(struct wsc_client *c, bool binary);
void replay_rx_data(struct wsc_client *c, const void *p, size_t n);
void replay_rx_end(struct wsc_client *c);

/* The connection is over: a wait for the server is not met. */
void replay_conn_over(struct wsc_client *c);

#endif
