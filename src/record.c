/*
 * record.c - the --record file. Each direction (received, sent) formats
 * its message events with output.c's -j formatter, on a struct
 * wsc_output of its own whose flushes come here; events.c's lines come
 * here whole. A line is never interleaved with another: the direction
 * whose message started first owns the file until its message ends, and
 * what the other direction formats meanwhile (its message, events) is
 * held in memory and written when the file is free again.
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

struct wsc_record;

// One direction: its formatter, and what it formatted while the other
// direction owned the file.
struct record_dir {
	struct wsc_record *r;
	int dir;
	struct wsc_buf held;
	struct wsc_output out;  // -j mode, flushed into sink()
};

struct wsc_record {
	const char *path;
	int owner;              // RX or TX mid-message, or -1: the file is free
	bool failed;            // a write failed (said once)
	struct wsc_output file;
	struct record_dir d[2];
};

static void check(struct wsc_record *r)
{
	if (r->file.broken && !r->failed) {
		r->failed = true;
		log_err("--record: %s: %s", r->path, strerror(r->file.err));
	}
}

// A direction's formatted bytes: to the file, or held while the other
// direction owns it.
static void sink(void *ctx, const char *p, size_t n)
{
	struct record_dir *d = ctx;
	struct wsc_record *r = d->r;

	if (r->owner == !d->dir) {
		if (!buf_append(&d->held, p, n, 0) && !r->failed) {
			r->failed = true;
			log_err("--record: %s: out of memory", r->path);
		}
		return;
	}
	output_write(&r->file, p, n);
	check(r);
}

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
	output_init(&r->file, fd, false, '\n', false, false);
	for (int i = 0; i < 2; i++) {
		struct record_dir *d = &r->d[i];

		d->r = r;
		d->dir = i;
		output_init(&d->out, -1, false, '\n', false, false);
		output_set_jsonl(&d->out);
		d->out.t0_us = t0_us;
		d->out.sink = sink;
		d->out.sink_ctx = d;
	}
	return r;
}

void record_event(struct wsc_record *r, const char *json)
{
	struct record_dir *d;

	if (!r) {
		return;
	}
	// during a message: after it (the owner holds it until its end)
	d = &r->d[r->owner < 0 ? RX : r->owner];
	output_event(&d->out, json);
	if (r->owner < 0) {
		output_flush(&d->out);
	}
}

void record_begin(struct wsc_record *r, bool sent, bool binary,
		const struct jsonl_time *at)
{
	int dir = sent ? TX : RX;

	if (!r) {
		return;
	}
	if (r->owner < 0) {
		r->owner = dir;
	}
	output_begin_event(&r->d[dir].out, sent ? "sent" : "message", binary,
		at);
}

void record_data(struct wsc_record *r, bool sent, const void *p, size_t n)
{
	if (r && r->d[sent ? TX : RX].out.in_msg) {
		output_data(&r->d[sent ? TX : RX].out, p, n);
	}
}

void record_end(struct wsc_record *r, bool sent)
{
	int dir = sent ? TX : RX;
	struct record_dir *o;

	if (!r || !r->d[dir].out.in_msg) {
		return;
	}
	o = &r->d[!dir];
	output_end(&r->d[dir].out);
	output_flush(&r->d[dir].out);
	if (r->owner != dir) {
		return;
	}
	// the file is free: what the other direction held goes now, and if
	// its message is still under way, the file is its
	r->owner = o->out.in_msg ? !dir : -1;
	output_write(&r->file, o->held.p, o->held.len);
	buf_free(&o->held);
	check(r);
}

void record_flush(struct wsc_record *r)
{
	if (r && output_pending(&r->file)) {
		output_flush(&r->file);
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
			record_end(r, r->owner == TX);
		}
	}
	record_flush(r);
	if (close(r->file.fd) && !r->failed) {
		r->failed = true;
		log_err("--record: %s: %s", r->path, strerror(errno));
	}
	ok = !r->failed;
	for (int i = 0; i < 2; i++) {
		output_finish(&r->d[i].out);
		buf_free(&r->d[i].held);
	}
	output_finish(&r->file);
	free(r);
	return ok;
}
