/*
 * h2none.c - h2.h in a wsc built without nghttp2: --http2 is refused when
 * the options are read (options.c), so nothing here is ever reached; it
 * only lets the client connection link.
 */
#include "h2.h"

#include <stdio.h>

struct h2 *h2_open(struct lws_context *ctx, const struct rawconn_params *p,
		const struct h2_cb *cb, void *user, char *why, size_t size)
{
	snprintf(why, size, "HTTP/2 is not built in");
	return NULL;
}

bool h2_request(struct h2 *h, const char *text, size_t len)
{
	return false;
}

bool h2_write_buf(struct h2 *h, struct wsc_buf *b, size_t *off)
{
	return false;
}

size_t h2_pending(const struct h2 *h)
{
	return 0;
}

uint32_t h2_peer_setting(const struct h2 *h, int32_t id)
{
	return 0;
}

unsigned h2_ends(const struct h2 *h)
{
	return 0;
}

void h2_set_idle(struct h2 *h, long ms)
{
}

int h2_fd(const struct h2 *h)
{
	return -1;
}

void h2_finish(struct h2 *h, long ms)
{
}

void h2_close(struct h2 *h)
{
}
