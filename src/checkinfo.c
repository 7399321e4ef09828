/*
 * checkinfo.c - the measuring kinds of wsc --check (checkcase.h), shown
 * as info: round trips one message at a time, and throughput with a
 * window of messages in flight.
 */
#include "checkcase.h"

#include <stdio.h>
#include <stdlib.h>

#include <libwebsockets.h>

#include "checkrun.h"
#include "frame.h"

/* What both measurements do with anything but an echo. */
static void not_an_echo(struct run *r, const struct obs *o)
{
	char t[80];

	if (o->type == O_PING || o->type == O_PONG) {
		return;
	}
	if (o->type == O_CLOSE) {
		verdict(r, CHECK_FAIL, "Close %u after %d echoes", o->code,
			r->iter);
		return;
	}
	snprintf(t, sizeof(t), "(after %d echoes)", r->iter);
	common(r, o, t);
}

/* One round trip: the next message of 16 bytes, timed. */
static void rtt_next(struct run *r)
{
	put_frame(r, FRAME_FIN | FRAME_TEXT, "wsc-check-rtt-16", 16, true);
	r->t_sent = lws_now_usecs();
	pump(r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void j_rtt(struct run *r, const struct obs *o)
{
	if (o->type == O_MSG) {
		r->samples[r->iter++] = (double)(lws_now_usecs() -
			r->t_sent) / 1000;
		if (r->iter < CHECK_RTT_N) {
			rtt_next(r);
			return;
		}
		qsort(r->samples, CHECK_RTT_N, sizeof(double), cmp_double);
		verdict(r, CHECK_INFO, "median %.3f ms (min %.3f, max %.3f)",
			(r->samples[CHECK_RTT_N / 2 - 1] +
			r->samples[CHECK_RTT_N / 2]) / 2,
			r->samples[0], r->samples[CHECK_RTT_N - 1]);
		return;
	}
	not_an_echo(r, o);
}

static void tput_fill(struct run *r)
{
	while (r->sent_n < CHECK_TPUT_N &&
			r->sent_n - r->iter < CHECK_TPUT_WINDOW &&
			tx_pending(r) < 2 * CHECK_TPUT_SIZE) {
		put_frame(r, FRAME_FIN | FRAME_BINARY, r->block,
			CHECK_TPUT_SIZE, true);
		r->sent_n++;
	}
	pump(r);
}

static void p_tput(struct run *r)
{
	r->block = payload(FRAME_BINARY, CHECK_TPUT_SIZE);
	if (!r->block) {
		verdict(r, CHECK_FAIL, "out of memory");
		return;
	}
	r->nostore = true;
	r->t_sent = lws_now_usecs();
	tput_fill(r);
}

static void j_tput(struct run *r, const struct obs *o)
{
	if (o->type == O_MSG) {
		if (r->msg_total != CHECK_TPUT_SIZE ||
				o->opcode != FRAME_BINARY) {
			verdict(r, CHECK_FAIL, "echo %d: %s of %llu bytes",
				r->iter, op_name(o->opcode),
				(unsigned long long)r->msg_total);
			return;
		}
		if (++r->iter == CHECK_TPUT_N) {
			double s = (double)(lws_now_usecs() - r->t_sent) / 1e6;

			verdict(r, CHECK_INFO, "%d echoes of 64 KiB in %.2f s: "
				"%.1f MiB/s each way", CHECK_TPUT_N, s,
				CHECK_TPUT_N * (CHECK_TPUT_SIZE / 1048576.0) /
				s);
			return;
		}
		tput_fill(r);
		return;
	}
	not_an_echo(r, o);
}

const struct case_kind kind_rtt = { .prep = rtt_next, .judge = j_rtt,
	.echo = true };
const struct case_kind kind_tput = { .prep = p_tput, .judge = j_tput,
	.room = tput_fill, .echo = true };
