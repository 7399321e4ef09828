/*
 * test-buf.c - the growable byte buffer: appends keep every byte in
 * order, growth stops at the limit when the bytes fit under it, a size
 * that would overflow is refused and leaves the buffer as it was.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int main(void)
{
	struct wsc_buf b = { 0 };
	unsigned char big[5000];

	for (size_t i = 0; i < sizeof big; i++) {
		big[i] = (unsigned char)(i * 7);
	}
	ok(buf_append(&b, "", 0, 0), "an empty append succeeds");
	is_int(b.len, 0, "and holds nothing");
	for (size_t i = 0; i < sizeof big; i += 100) {
		ok(buf_append(&b, big + i, 100, 0), "append 100 bytes at %zu", i);
	}
	is_int(b.len, sizeof big, "every byte is held");
	is_mem(b.p, b.len, big, sizeof big, "in order");

	buf_consume(&b, 1000);
	is_int(b.len, sizeof big - 1000, "consume drops the front");
	is_mem(b.p, b.len, big + 1000, sizeof big - 1000, "and keeps the rest");
	buf_consume(&b, 1u << 20);
	is_int(b.len, 0, "consuming more than held empties it");
	buf_free(&b);
	ok(!b.p && !b.cap, "free leaves an empty buffer");

	ok(buf_append(&b, big, 3000, 4096), "append under a limit");
	is_int(b.cap, 4096, "growth stops at the limit");
	ok(buf_append(&b, big, 1096, 4096), "fill to the limit");
	is_int(b.cap, 4096, "without growing");
	ok(buf_append(&b, big, 10, 4096), "past the limit still fits");
	ok(b.cap >= 4106, "growing past the limit as needed");

	size_t len = b.len, cap = b.cap;
	ok(!buf_reserve(&b, SIZE_MAX, 0), "an overflowing size is refused");
	ok(b.len == len && b.cap == cap, "and leaves the buffer unchanged");
	buf_clear(&b);
	is_int(b.len, 0, "clear forgets the contents");
	ok(b.cap == cap, "and keeps the memory");
	buf_free(&b);
	return done_testing();
}
