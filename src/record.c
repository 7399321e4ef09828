/*
 * record.c - the --record file: a struct wsc_output in -j mode writing to
 * FILE, so each line is formatted by the one formatter stdout's -j uses.
 * A line is never interleaved with another: the direction (sent or
 * received) whose message started first owns the file until its message
 * ends; the other direction's message is held in memory meanwhile, with
 * the time it began, and written when the file is free again.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "output.h"

enum { RX, TX };

// One direction's message while it is under way.
struct record_msg {
	bool active;            // begun, not yet written whole
	bool binary;
	bool ended;             // complete, waiting for the file
	int64_t at_us;          // when it began
	struct wsc_buf held;    // its bytes while the other direction writes
};

struct wsc_record {
	const char *path;
	int owner;              // RX, TX, or -1: the file takes a new line
	bool failed;            // a write failed (said once)
	struct record_msg msg[2];
	struct wsc_output out;  // the file, in -j mode
};

struct wsc_record *record_open(const char *path, int64_t t0_us)
{
	struct wsc_record *r = calloc(1, sizeof(*r));
	int fd;

	if (!r) {
		log_err("out of memory");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		log_err("--record: %s: %s", path, strerror(errno));
		free(r);
		return NULL;
	}
	r->path = path;
	r->owner = -1;
	output_init(&r->out, fd, false, '\n', false, false);
	output_set_jsonl(&r->out);
	r->out.t0_us = t0_us;
	return r;
}

// A failed write is said once; the session goes on without the file.
static void check(struct wsc_record *r)
{
	if (r->out.broken && !r->failed) {
		r->failed = true;
		log_err("--record: %s: %s", r->path, strerror(r->out.err));
	}
}

void record_event(struct wsc_record *r, const char *json)
{
	if (r) {
		output_event(&r->out, json);
		check(r);
	}
}

static void write_begin(struct wsc_record *r, int dir)
{
	output_begin_event(&r->out, dir == TX ? "sent" : "message",
		r->msg[dir].binary, r->msg[dir].at_us);
	r->owner = dir;
}

// This direction's message is written out; a held one takes the file.
static void write_end(struct wsc_record *r, int dir)
{
	struct record_msg *m = &r->msg[dir];
	struct record_msg *o = &r->msg[!dir];

	output_end(&r->out);
	m->active = m->ended = false;
	r->owner = -1;
	if (o->active) {
		write_begin(r, !dir);
		output_data(&r->out, o->held.p, o->held.len);
		buf_free(&o->held);
		if (o->ended) {
			write_end(r, !dir);
		}
	}
	check(r);
}

void record_begin(struct wsc_record *r, bool sent, bool binary,
		int64_t at_us)
{
	int dir = sent ? TX : RX;
	struct record_msg *m;

	if (!r) {
		return;
	}
	m = &r->msg[dir];
	m->active = true;
	m->ended = false;
	m->binary = binary;
	m->at_us = at_us;
	buf_clear(&m->held);
	if (r->owner < 0) {
		write_begin(r, dir);
	}
}

void record_data(struct wsc_record *r, bool sent, const void *p, size_t n)
{
	int dir = sent ? TX : RX;

	if (!r || !r->msg[dir].active) {
		return;
	}
	if (r->owner == dir) {
		output_data(&r->out, p, n);
		check(r);
	} else if (!buf_append(&r->msg[dir].held, p, n, 0) && !r->failed) {
		r->failed = true;
		log_err("--record: %s: out of memory", r->path);
	}
}

void record_end(struct wsc_record *r, bool sent)
{
	int dir = sent ? TX : RX;

	if (!r || !r->msg[dir].active) {
		return;
	}
	if (r->owner == dir) {
		write_end(r, dir);
	} else {
		r->msg[dir].ended = true;
	}
}

void record_flush(struct wsc_record *r)
{
	if (r && output_pending(&r->out)) {
		output_flush(&r->out);
		check(r);
	}
}

bool record_close(struct wsc_record *r)
{
	bool ok;

	if (!r) {
		return true;
	}
	// a message cut short by the end of the session is written as far
	// as it came, so every line of the file is whole
	for (int i = 0; i < 2; i++) {
		if (r->owner >= 0) {
			write_end(r, r->owner);
		}
	}
	record_flush(r);
	if (close(r->out.fd) && !r->failed) {
		r->failed = true;
		log_err("--record: %s: %s", r->path, strerror(errno));
	}
	ok = !r->failed;
	output_finish(&r->out);
	for (int i = 0; i < 2; i++) {
		buf_free(&r->msg[i].held);
	}
	free(r);
	return ok;
}
