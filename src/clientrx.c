/*
 * clientrx.c - what the client connection receives, to the output:
 * messages printed (or skipped once -n is reached, stdout is gone or a
 * message failed the connection), stdout written in batches, a reader
 * that went away answered with a Close 1001 and a quiet exit, and the
 * server's protocol faults (and --max-size) answered with their code.
 */
#include "clientrx.h"

#include "client.h"
#include "log.h"
#include "output.h"
#include "record.h"

static void on_output_gone(struct wsc_client *c)
{
	if (c->st.quiet_exit) {
		return;
	}
	c->st.quiet_exit = true;
	closing_start(c, 1001, "");
}

void clientrx_flush(struct wsc_client *c)
{
	// broken: a flush inside output_data() already met EPIPE
	record_flush(c->w->rec);
	if (c->w->out.broken || (output_pending(&c->w->out) &&
			!output_flush(&c->w->out))) {
		on_output_gone(c);
	}
	log_release();  // the reply lines after the replies
}

static void flush_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_client *c = lws_container_of(sul, struct wsc_client,
		sul_flush);

	c->flush_scheduled = false;
	clientrx_flush(c);
}

// Batch writes to stdout (and the recording), but flush before the loop
// next sleeps.
void clientrx_schedule_flush(struct wsc_client *c)
{
	if (c->w->out.tty && !c->w->out.sink) {
		clientrx_flush(c);
		return;
	}
	if (!c->flush_scheduled && (output_pending(&c->w->out) || c->w->rec ||
			c->rpc.said.len)) {
		c->flush_scheduled = true;
		lws_sul_schedule(c->w->ctx, 0, &c->sul_flush, flush_cb, 1);
	}
}

/*
 * A received message fails the connection: its line was just said. The
 * connection takes nothing more; close with code through our own close
 * flow. Our Close already went (or is queued): no second one.
 */
static void fail_rx(struct wsc_client *c, unsigned code, const char *reason)
{
	c->at.rx_failed = true;
	c->st.failed = true;
	if (c->st.close_sent) {
		closing_hang_up(c);
		return;
	}
	closing_start(c, code, reason);
}

// -n is reached: the rest is not ours to print
static bool count_reached(const struct wsc_client *c)
{
	return c->opts->count && c->received >= c->opts->count;
}

void clientrx_on_begin(void *u, bool binary)
{
	struct wsc_client *c = u;
	struct jsonl_time now = jsonl_now();   // one for stdout and the record

	closing_alive(c);
	script_rx_begin(c);
	rpc_rx_begin(c, binary);
	replay_rx_begin(c, binary);
	record_begin(c->w->rec, false, binary, &now);
	// nobody is reading any more, or -n is reached
	c->at.rx_skip = c->at.rx_failed || (c->at.close.closing &&
		c->st.quiet_exit) || count_reached(c);
	if (!c->at.rx_skip) {
		output_begin_event(&c->w->out, "message", binary, &now);
	}
}

void clientrx_on_data(void *u, const void *p, size_t n)
{
	struct wsc_client *c = u;

	closing_alive(c);
	c->stats.received.bytes += n;
	script_rx_data(c, p, n);
	rpc_rx_data(c, p, n);
	replay_rx_data(c, p, n);
	record_data(c->w->rec, false, p, n);
	if (!c->at.rx_skip) {
		output_data(&c->w->out, p, n);
	}
}

void clientrx_on_end(void *u)
{
	struct wsc_client *c = u;
	struct rpc_reply rep;
	bool reply = rpc_rx_end(c, &rep);
	char fields[256] = "";

	c->stats.received.messages++;
	record_end(c->w->rec, false);
	if (c->at.rx_skip) {
		if (reply) {
			rpc_replied(c, &rep);
			clientrx_schedule_flush(c);
		}
		return;
	}
	if (reply && c->opts->jsonl) {
		rpc_fields(&rep, fields, sizeof(fields));
	}
	output_end_fields(&c->w->out, fields);
	c->received++;
	if (c->w->out.broken) {
		on_output_gone(c);  // the reader went away mid-message
		return;
	}
	if (reply) {
		rpc_replied(c, &rep);   // its line after the message
	}
	clientrx_schedule_flush(c);
	script_rx_end(c);
	replay_rx_end(c);
	if (count_reached(c)) {
		closing_start(c, 1000, "");
	}
}

// The server broke the protocol: say how, and close with code.
void clientrx_on_error(void *u, unsigned code, const char *why)
{
	struct wsc_client *c = u;

	if (c->at.rx_failed || (c->at.close.closing && c->st.quiet_exit)) {
		return;
	}
	if (code == 1009) {
		if (count_reached(c)) {
			return;     // -n: not ours to print, so not ours to limit
		}
		log_err("message larger than --max-size (%llu bytes)%s",
			c->opts->max_size, c->at.close.closing ? "" :
			"; closing with 1009");
		fail_rx(c, 1009, "message too big");
		return;
	}
	if (code == 1011) {
		log_err("%s%s", why, c->at.close.closing ? "" :
			"; closing with 1011");
		fail_rx(c, 1011, why);
		return;
	}
	if (c->at.close.closing) {
		log_err("protocol error: the server sent a %s", why);
	} else {
		log_err("protocol error: the server sent a %s (closing with %u)",
			why, code);
	}
	fail_rx(c, code, NULL);
}
