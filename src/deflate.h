/*
 * deflate.h - permessage-deflate (RFC 7692) over zlib, for both halves.
 *
 * What: the negotiation (deflateneg.c: the client's offer, its check of
 * the server's response; the server's choice among a client's offers and
 * its response) and the per-direction payload transform (deflate.c:
 * struct deflate_tx compresses one message at a time from spans, struct
 * deflate_rx inflates one message at a time from spans into bounded
 * chunks). One header for both: struct deflate_params is what the first
 * agrees and the second obeys, and the client and --check use both.
 * Why: wsc speaks WebSocket itself; libwebsockets' own
 * extension goes with its WebSocket role. Pure and transport-free: no
 * frames, no sockets, so it is unit-tested and fuzzed on its own.
 * Who: the client connection (conn.c), --check (check.c) and the room
 * (roomz.c), each with --deflate: the handshake code formats or checks the
 * Sec-WebSocket-Extensions value here, the message layer (message.h)
 * feeds RSV1 message payloads through deflate_rx, and the senders send
 * messages through deflate_tx (RSV1 on the first frame). RSV1 on a
 * control frame, on a continuation or without the extension stays the
 * frame layer's 1002. Memory per connection: deflate_tx about 256 KiB of
 * zlib state at 15 window bits plus 64 KiB, deflate_rx about 40 KiB plus
 * 64 KiB.
 *
 * Choices, documented once here:
 * - Window bits 8: zlib refuses a raw deflate stream with windowBits 8
 *   (deflateInit2 gives Z_STREAM_ERROR), so deflate_tx compresses with 9
 *   when 8 was agreed. That is still within the agreement: zlib never emits
 *   a match distance above window size - 262 (MIN_LOOKAHEAD), i.e. 250 for
 *   a 512-byte window, which fits a 256-byte window (the unit test checks
 *   it against a strict inflater).
 * - The inflater always keeps the full 32 KiB window, whatever was agreed:
 *   zlib enforces a smaller window only across its calls (a distance may
 *   reach into the output of the same call), so a tighter one would accept
 *   or refuse a peer that reaches further back than agreed depending on
 *   how its payload was split. With the full window such a peer is always
 *   accepted; the agreed bits bound what we send.
 * - Corrupt compressed data (zlib data error, or a message whose payload
 *   does not end on a DEFLATE block boundary once 00 00 ff ff is appended)
 *   fails the connection with 1007: the frames were valid, their payload
 *   is not valid for the message type, the same class as bad UTF-8 (node
 *   ws does the same, python-websockets sends 1002; RFC 7692 names no
 *   code). Exceeding the size limit is 1009, zlib's own failure
 *   (memory) 1011: see deflate_close_code().
 * - A DEFLATE block with BFINAL set (RFC 7692 7.2.3.4) ends zlib's stream:
 *   the rest of that message is ignored and, with context takeover, the
 *   next message starts a new stream on the same LZ77 window.
 * - Names and values are compared exactly (case-sensitive), as they are
 *   registered; a quoted value must unquote to a token (RFC 6455 9.1).
 * Several Sec-WebSocket-Extensions lines: join their values with ",".
 */
#ifndef WSC_DEFLATE_H
#define WSC_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Output chunk size: no sink call hands out more than this.
#define DEFLATE_CHUNK 65536
// client_max_window_bits offered without a value (deflate_config)
#define DEFLATE_BITS_BARE 1

/*
 * What one side wants. As the client: what to offer. As the server: the
 * policy applied to a client's offer.
 * - server_no_context_takeover: client: ask the server to reset its
 *   compressor per message (the response must then contain it); server:
 *   reset ours per message, always.
 * - client_no_context_takeover: client: announce that we reset ours;
 *   server: demand that the client resets its compressor.
 * - server_max_window_bits: 0, or 8..15: client: ask the server to use at
 *   most this window; server: use at most this window.
 * - client_max_window_bits: client: 0 (not offered: the server may not
 *   limit our window), DEFLATE_BITS_BARE (offered without a value: any
 *   limit accepted) or 8..15 (we use at most this); server: 0, or 8..15 to
 *   limit the client's window when its offer allows it (when it does not,
 *   the offer is still accepted, the client's window unlimited).
 */
struct deflate_config {
	bool server_no_context_takeover;
	bool client_no_context_takeover;
	int server_max_window_bits;
	int client_max_window_bits;
};

// What was agreed (both roles): window bits 8..15, 15 when not limited.
struct deflate_params {
	bool server_no_context_takeover;
	bool client_no_context_takeover;
	int server_max_window_bits;
	int client_max_window_bits;
};

// Window bits an agreement may hold (RFC 7692 7.1.2): 8..15.
static inline bool deflate_valid_bits(int bits)
{
	return bits >= 8 && bits <= 15;
}

enum deflate_role { DEFLATE_CLIENT, DEFLATE_SERVER };

/*
 * The client's offer, e.g. "permessage-deflate; client_max_window_bits",
 * into buf. false when buf is too small or a window value is out of range.
 */
bool deflate_offer_format(const struct deflate_config *offer, char *buf,
		size_t size);

/*
 * The client's check of the server's Sec-WebSocket-Extensions value
 * (value[0..len), not NUL-terminated) against what it offered, per RFC 7692
 * section 7. 1: permessage-deflate agreed, *out set; 0: the value lists no
 * extension (empty elements only); -1: fail the connection, why[] says
 * why (an unknown, duplicate or misvalued parameter, a window outside
 * 8..15 or above the offer, client_max_window_bits not offered, another
 * extension, ...).
 */
int deflate_client_accept(const char *value, size_t len,
		const struct deflate_config *offered, struct deflate_params *out,
		char *why, size_t whysize);

/*
 * The server's choice: the first valid permessage-deflate offer in the
 * client's Sec-WebSocket-Extensions value (a list of offers, parameters
 * possibly quoted), other extensions skipped. true: *out is the agreement
 * and resp (respsize bytes) the response value; false: no offer accepted
 * (respond without the extension), why[] says why the last one was
 * declined, or that there was none, or that resp is too small.
 */
bool deflate_server_choose(const char *value, size_t len,
		const struct deflate_config *policy, struct deflate_params *out,
		char *resp, size_t respsize, char *why, size_t whysize);

enum deflate_status {
	DEFLATE_OK = 0,
	DEFLATE_TOO_BIG,        // inflated message above the limit: 1009
	DEFLATE_CORRUPT,        // not valid compressed data: 1007
	DEFLATE_STOPPED,        // the sink returned nonzero
	DEFLATE_INTERNAL,       // zlib failed (out of memory): 1011
};

// The close code for a failure status (0 for DEFLATE_OK and STOPPED).
int deflate_close_code(enum deflate_status st);

/*
 * Gets each output span, at most DEFLATE_CHUNK bytes (never empty).
 * Nonzero stops the call with DEFLATE_STOPPED.
 */
typedef int (*deflate_sink_fn)(void *arg, const unsigned char *data,
		size_t len);

/*
 * Compressor for the messages `self` sends under *p (its window bits and
 * context takeover); level is zlib's (-1 default, 1 fastest .. 9). NULL
 * when out of memory.
 */
struct deflate_tx *deflate_tx_new(const struct deflate_params *p,
		enum deflate_role self, int level);
void deflate_tx_free(struct deflate_tx *tx);

/*
 * Compress the next span of the current message; fin ends it (n may be
 * 0). The message's compressed payload goes to sink in order, without the
 * trailing 00 00 ff ff (RFC 7692 7.2.1); a non-final call may emit
 * nothing, and the message's last byte has gone to sink when the fin call
 * returns (a caller framing each span as it comes can end with an empty
 * FIN continuation). At levels 1..9 the output does not depend on how
 * the message is split. Any
 * status but DEFLATE_OK leaves tx failed (it returns that status again).
 */
enum deflate_status deflate_tx_write(struct deflate_tx *tx, const void *data,
		size_t n, bool fin, deflate_sink_fn sink, void *arg);

/*
 * Inflater for the messages `self` receives under *p. max_size bounds the
 * inflated size of each message (0: no limit). NULL when out of memory.
 */
struct deflate_rx *deflate_rx_new(const struct deflate_params *p,
		enum deflate_role self, uint64_t max_size);
void deflate_rx_free(struct deflate_rx *rx);

/*
 * Inflate the next span of the current compressed message; fin ends it (n
 * may be 0; 00 00 ff ff is appended then). The inflated bytes go to sink
 * in chunks of at most DEFLATE_CHUNK, never more than max_size in all for
 * one message: DEFLATE_TOO_BIG as soon as the message would exceed it.
 * What was inflated before corrupt data goes to sink before
 * DEFLATE_CORRUPT, so any way of splitting the payload gives the same
 * bytes. Any status but DEFLATE_OK leaves rx failed (it returns that
 * status again); deflate_rx_why() describes it.
 */
enum deflate_status deflate_rx_write(struct deflate_rx *rx, const void *data,
		size_t n, bool fin, deflate_sink_fn sink, void *arg);

// Inflated bytes of the current (or just finished) message so far.
uint64_t deflate_rx_total(const struct deflate_rx *rx);

// Why rx failed ("" while it has not).
const char *deflate_rx_why(const struct deflate_rx *rx);

#endif
