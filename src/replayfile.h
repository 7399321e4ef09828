/*
 * replayfile.h - a --record file read back for --replay: the messages
 * the client sent ("sent" events) with their times and how many server
 * messages came before each, and the server's messages ("message"
 * events), each decoded to its bytes (text unescaped, binary from
 * base64). Other events are skipped, as are blank lines.
 */
#ifndef WSC_REPLAYFILE_H
#define WSC_REPLAYFILE_H

#include <stdbool.h>
#include <stddef.h>

struct replay_msg {
	bool binary;
	double t;               // "t": seconds since the recorded session began
	unsigned long rx_before;    // server messages recorded before it
	unsigned char *data;
	size_t len;
};

struct replay_list {
	struct replay_msg *m;
	size_t n, cap;
};

struct replay_file {
	double t_open;          // "t" of the open event (0 if none)
	struct replay_list sent;    // the client's messages, in order
	struct replay_list rx;      // the server's messages, in order
};

/*
 * Read path into *f (zeroed first). False after one line,
 * "--replay: FILE:LINE: what is wrong" (or why the file cannot be read).
 */
bool replayfile_read(struct replay_file *f, const char *path);

/*
 * The same from text in memory, for tests; name is the file's name in the
 * line. False after that line.
 */
bool replayfile_parse(struct replay_file *f, const char *name,
		const char *text, size_t len);

void replayfile_free(struct replay_file *f);

#endif
