/*
 * wire.h - what crossed the socket during the opening handshake, byte for
 * byte. libwebsockets 4.1.6 cannot show the request it generated (with its
 * random key) nor headers it does not know, so wsc interposes the calls
 * lws makes (send/recv, SSL_write/SSL_read, SSL_connect, connect,
 * getsockopt(SO_ERROR), getaddrinfo) and
 * records the handshake's bytes and times. Recording is armed only while
 * a client handshake is in progress; afterwards the wrappers just forward.
 */
#ifndef WSC_WIRE_H
#define WSC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSC_WIRE_MAX (32 * 1024)

struct wsc_wire {
	bool armed;
	int fd;                 // the connection being recorded, -1 before
	bool tls;               // record SSL_* plaintext, not the socket
	char req[WSC_WIRE_MAX];
	size_t req_len;
	char resp[WSC_WIRE_MAX];
	size_t resp_len;

	// monotonic microseconds; 0 when it did not happen
	int64_t t_start;        // wire_arm()
	int64_t t_connect;      // connect() called (name resolved)
	int64_t t_tls_start;    // first SSL_connect()
	int64_t t_tls_done;     // SSL_connect() succeeded
	int64_t t_request;      // first request byte written
	int64_t t_response;     // response headers complete

	char tls_error[256];    // why SSL_connect failed, if it did
	int connect_errno;      // why connect() failed, if it did
	char resolve_error[128];  // why getaddrinfo() failed, if it did

	// after the handshake (wire_watch): how the connection ends
	int watch_fd;           // -1: not watching
	bool peer_eof;          // the server closed its side (read 0)
	bool peer_reset;        // the connection was reset
	unsigned close_sent;    // code of the last Close frame written (0: none)
	unsigned long long rx_bytes;  // bytes received (any frame, even partial)

	// frames as the server sent them (libwebsockets 4.1 accepts masked
	// server frames and rewrites bad close codes before wsc sees them)
	bool walking;           // following frame heads (off if out of step)
	bool masked_frame;      // the server masked a frame (RFC 6455 5.1)
	bool close_seen;        // a whole Close frame arrived
	unsigned long long msg_len;  // data bytes the message's heads announce
	bool msg_compressed;    // its first frame has RSV1 (lengths not sizes)
	unsigned long long max_msg;  // --max-size (0: none), see too_big
	bool too_big;           // a head announced a message over max_msg
	unsigned char close_raw[125];
	size_t close_len;
	struct {
		unsigned char h[14];
		size_t hn, need;
		unsigned long long left;  // payload bytes still to skip
		bool in_close;
		unsigned char mask[4];
		bool masked;
		unsigned long long at;    // payload offset (for unmasking)
	} walk;
};

/*
 * Watch the established connection (the one recorded): notice EOF, a
 * reset, and Close frames libwebsockets writes on its own (1002, 1007).
 * max_message (0: no limit) sets too_big as soon as the frame heads of an
 * uncompressed message announce more bytes, before its payload arrives.
 */
void wire_watch(unsigned long long max_message);

/* Start recording a new handshake (also after a redirect). */
void wire_arm(void);

/* Stop recording; the capture stays readable. */
void wire_disarm(void);

/* The capture. */
const struct wsc_wire *wire_get(void);

/* Length of the response head (through the blank line), 0 if incomplete. */
size_t wire_response_head_len(void);

/*
 * Read up to max more bytes of the response body straight from a plain
 * socket without blocking (a rejected handshake's body). Returns the bytes
 * now held after the head.
 */
size_t wire_fetch_body(size_t max);

#endif
