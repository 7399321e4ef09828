/*
 * checkcase.h - one case of wsc --check as a row of a constant table
 * (checkcases.c): its ID, group and wording, the kind of case it is, and
 * what of that kind it sends, in named fields.
 *
 * A kind (checkkinds.c) is what a family of cases shares: how it prepares
 * its frames once the handshake is done, how it judges each observation,
 * whether it sees the response head itself, and whether it needs a
 * server that echoes. Kinds are few (22) and rows many (89), so the rows
 * reference the kinds, which live together in checkkinds.c,
 * checkinfo.c and checkh2.c, rather than each row carrying its own judge: the thirteen
 * valid-Close cases share one judge and differ only in what they send.
 */
#ifndef WSC_CHECKCASE_H
#define WSC_CHECKCASE_H

#include <stdbool.h>
#include <stddef.h>

struct run;
struct obs;

/* How the response head reaches the case. */
enum case_head {
	HEAD_RUNNER,    // (unless set) 101 and a valid extension answer wanted
	HEAD_JUDGE,     // the judge sees every head (the handshake cases)
	HEAD_EXT,       // 101 wanted; the judge sees an invalid extension
};

struct case_kind {
	void (*prep)(struct run *r);    // frames to send after the handshake
	void (*judge)(struct run *r, const struct obs *o);
	// the connection has room to write again (NULL: not wanted)
	void (*room)(struct run *r);
	enum case_head head;
	bool echo;      // needs a server that echoes every message
};

/* How the Upgrade request differs from the client's. */
enum req_edit { REQ_NORMAL, REQ_NO_PROTOCOL, REQ_VERSION12, REQ_NO_KEY,
	REQ_PROTOCOLS,
	REQ_H2_NO_PROTOCOL,     // the extended CONNECT without :protocol
	REQ_H2_NO_PATH,         // ... without :path
	REQ_H2_EARLY,           // ... sent before the server's SETTINGS
};

/* Where the case runs: either transport, or one only (--http2 or not). */
enum case_transport { TRANSPORT_ANY, TRANSPORT_H1, TRANSPORT_H2 };

/* The permessage-deflate offer (--deflate runs these cases only). */
enum pmd_offer {
	OFFER_NONE,
	OFFER_BARE,             // client_max_window_bits
	OFFER_NO_CONTEXT,       // both no_context_takeover
	OFFER_WINDOW10,         // server_max_window_bits=10
};

/* A message to be echoed, or a Ping to be answered (len only). */
struct case_msg {
	unsigned op;            // FRAME_TEXT or FRAME_BINARY
	size_t len;
	size_t frag;            // fragment size (0: one frame)
	unsigned copies;        // compressed, this many in a row (0: one)
	bool plain;             // not compressed on a deflate connection
};

/* What the server must fail the connection for. */
enum bad_how {
	BAD_FRAME,              // one frame: b0, len, masked
	BAD_FRAME_UNMASKED,     // one frame, b0 and len, not masked
	BAD_PING_FRAGMENTED,
	BAD_TEXT_INSIDE,        // a text frame inside a fragmented message
	BAD_UTF8_FRAME,         // invalid UTF-8 in one text frame
	BAD_UTF8_SPLIT,         // ... split across two fragments
	BAD_UTF8_REASON,        // ... as a Close 1000 reason
	BAD_UTF8_DEFLATED,      // ... compressed
};

struct case_bad {
	enum bad_how how;
	unsigned b0;            // BAD_FRAME*: the first header byte
	size_t len;             // BAD_FRAME*: its payload length
	unsigned want;          // the Close code that passes
};

/* A Close sent. */
struct case_close {
	unsigned code;
	size_t reason_len;      // a reason of this many bytes
	bool empty;             // no payload at all (code 0)
};

struct ccase {
	const char *id;         // "group number.case number"
	const char *group;
	const struct case_kind *kind;
	const char *sent;       // NULL for REQ_PROTOCOLS: the list is shown
	const char *expected;
	enum req_edit edit;
	enum pmd_offer offer;
	enum case_transport transport;
	union {                 // which one: by kind
		struct case_msg msg;
		struct case_bad bad;
		struct case_close close;
	};
};

/* The battery, in order. */
extern const struct ccase check_cases[];
extern const size_t check_ncases;

/* The kinds (checkkinds.c, checkinfo.c, checkh2.c). */
extern const struct case_kind kind_accept, kind_upgrade, kind_protocol,
	kind_refusal, kind_no_ext, kind_echo, kind_utf8_split, kind_ping,
	kind_ping_between, kind_unsolicited_pong, kind_fail, kind_close_ok,
	kind_close_bad, kind_close_info, kind_negotiate, kind_rtt, kind_tput,
	kind_h2_settings, kind_h2_no_accept, kind_h2_not_websocket,
	kind_h2_early, kind_h2_end;

#define CHECK_RTT_N 100
#define CHECK_TPUT_N 1000
#define CHECK_TPUT_SIZE 65536
#define CHECK_TPUT_WINDOW 8

#endif
