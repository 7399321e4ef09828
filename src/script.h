/*
 * script.h - the conversation given on the command line: messages to send
 * (-x, --send-file) and replies to wait for (-e, --expect-json), in the
 * order given. The
 * client runs it from the top on each connection that opens, feeds it
 * what it receives while a reply is awaited, and tells it when the
 * connection is over. A reply not met in --expect-timeout, or before the
 * connection ends, is said in one line and makes the exit status 4.
 *
 * A received message is matched against its first SCRIPT_MATCH_MAX bytes
 * (--expect-json: SCRIPT_JSON_MAX, and a longer one never matches: it is
 * not whole JSON), copied only while a reply is awaited: without -e or
 * --expect-json nothing is copied.
 */
#ifndef WSC_SCRIPT_H
#define WSC_SCRIPT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "jsonpath.h"
#include "options.h"

#define SCRIPT_MATCH_MAX (64 * 1024)
#define SCRIPT_JSON_MAX (1024 * 1024)
#define SCRIPT_SHOW_MAX 72      // bytes of the last message in the line

struct wsc_client;

struct script_step {
	int kind;                   // WSC_STEP_* (options.h)
	const char *arg;            // the message, file name or pattern
	unsigned char *data;        // --send-file: the file's contents
	size_t len;
	regex_t re;                 // -e: the compiled pattern
	bool compiled;
	struct jsonpath *path;      // --expect-json: the field
	const char *value;          // and the value it must have
	size_t value_len;
	bool value_json;            // compared as JSON, else as a string
};

struct wsc_script {
	struct script_step steps[WSC_MAX_LIST];
	size_t n;
	size_t next;                // the step to run (or await)
	bool binary;                // -b: messages go as binary frames
	long timeout_ms;            // --expect-timeout
	bool waiting;               // steps[next] is awaited on an open connection
	bool unmet;                 // an expectation was not met: exit 4
	int64_t since_us;           // when the wait began
	unsigned char *rx;          // the message being received (bounded)
	size_t rx_len;
	size_t rx_max;              // its bound for the step awaited
	unsigned long rx_seen;      // messages received while waiting
	char last[SCRIPT_SHOW_MAX * 4 + 32];    // the last of them, shown
	lws_sorted_usec_list_t sul; // --expect-timeout
};

/* Compile the patterns and read the files of the script in opts: false
 * after one line saying why (a bad pattern, an unreadable file, a file
 * that is not UTF-8 text without -b). */
bool script_init(struct wsc_script *s, const struct wsc_opts *opts);

void script_finish(struct wsc_script *s);

/* A connection opened: send from the top up to the first reply awaited;
 * at the end, input is over. */
void script_opened(struct wsc_client *c);

/* A received message begins, goes on, ends: matched while awaited. */
void script_rx_begin(struct wsc_client *c);
void script_rx_data(struct wsc_client *c, const void *p, size_t n);
void script_rx_end(struct wsc_client *c);

/* The connection is over: a reply still awaited is not met. */
void script_conn_over(struct wsc_client *c);

#endif
