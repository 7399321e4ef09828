/*
 * sendfile.c - a file as one WebSocket message, read as the queue drains.
 * One chunk is read ahead, so the final fragment is known to be final.
 */
#include "sendfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "endpoint.h"
#include "log.h"
#include "utf8.h"

struct wsc_file {
	int fd;
	enum wsc_frame kind;
	bool first;             // no fragment queued yet
	unsigned gen;           // the connection it started on (reconnects)
	unsigned long long size, done;
	size_t have;            // bytes read ahead in ahead
	char name[256];
	char ahead[WSC_READ_CHUNK];
	char next[WSC_READ_CHUNK];
};

static void file_free(struct wsc *w)
{
	struct wsc_file *f = w->file;

	if (f) {
		close(f->fd);
		free(f);
		w->file = NULL;
	}
}

// The whole file is UTF-8 (a sequence may span two reads).
static bool check_utf8(struct wsc_file *f, const char *path)
{
	unsigned char buf[65536 + 4];
	size_t carry = 0;
	unsigned long long at = 0;

	for (;;) {
		ssize_t n = read(f->fd, buf + carry, sizeof(buf) - 4 - carry);
		size_t len, i = 0;

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			log_err("/send: %s: %s", path, strerror(errno));
			return false;
		}
		len = carry + (size_t)n;
		while (i < len) {
			size_t need = buf[i] < 0x80 ? 1 : utf8_seq_len(buf[i]);

			if (need && i + need > len && n > 0) {
				break;  // cut by the read: finish it with the next one
			}
			if (!need || i + need > len || !utf8_prefix_ok(buf + i, need)) {
				log_err("/send: %s is not UTF-8 (byte %llu); /sendbin "
					"sends it as binary", path, at + i);
				return false;
			}
			i += need;
		}
		if (n == 0) {
			break;
		}
		carry = len - i;
		memmove(buf, buf + i, carry);
		at += i;
	}
	if (lseek(f->fd, 0, SEEK_SET) != 0) {
		log_err("/send: %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

bool sendfile_start(struct wsc *w, const char *path, bool binary)
{
	const char *cmd = binary ? "/sendbin" : "/send";
	struct wsc_file *f;
	struct stat st;
	int fd;

	if (w->file) {
		log_err("%s: still sending %s", cmd, w->file->name);
		return false;
	}
	if (endpoint_flow(&w->ep, false) == WSC_FLOW_CLOSED) {
		log_err("%s: the connection is closing", cmd);
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_err("%s: %s: %s", cmd, path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_err("%s: %s: not a regular file", cmd, path);
		close(fd);
		return false;
	}
	f = malloc(sizeof(*f));
	if (!f) {
		log_err("out of memory");
		close(fd);
		return false;
	}
	f->fd = fd;
	f->kind = binary ? WSC_FRAME_BINARY : WSC_FRAME_TEXT;
	f->first = true;
	f->gen = endpoint_connection(&w->ep);
	f->size = (unsigned long long)st.st_size;
	f->done = 0;
	f->have = 0;
	snprintf(f->name, sizeof(f->name), "%s", path);
	if (!binary && !check_utf8(f, path)) {
		close(fd);
		free(f);
		return false;
	}
	w->file = f;
	sendfile_pump(w);
	return true;
}

bool sendfile_busy(const struct wsc *w)
{
	return w->file != NULL;
}

void sendfile_stop(struct wsc *w)
{
	file_free(w);
}

static bool queue(struct wsc *w, const char *data, size_t len, bool last)
{
	struct wsc_file *f = w->file;
	bool ok = endpoint_send(&w->ep, f->kind, data, len, f->first, last);

	f->first = false;
	f->done += len;
	return ok;
}

void sendfile_pump(struct wsc *w)
{
	struct wsc_file *f = w->file;
	bool queued = false;

	while (f) {
		enum wsc_flow flow = endpoint_flow(&w->ep, false);
		ssize_t n;

		if (flow == WSC_FLOW_CLOSED || f->gen != endpoint_connection(&w->ep)) {
			log_err("%s: stopped after %llu of %llu bytes (the connection "
				"%s)", f->name, f->done, f->size, flow == WSC_FLOW_CLOSED ?
				"is closing" : "dropped");
			file_free(w);
			break;
		}
		if (flow == WSC_FLOW_FULL) {
			break;
		}
		n = read(f->fd, f->next, sizeof(f->next));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			// the message must end: it ends short, and says so
			log_err("%s: %s; sent %llu bytes of it", f->name,
				strerror(errno), f->done + f->have);
			n = 0;
		}
		if (n == 0) {
			queue(w, f->ahead, f->have, true);
			queued = true;
			file_free(w);
			break;
		}
		if (f->have && !queue(w, f->ahead, f->have, false)) {
			file_free(w);   // the rest cannot be sent: leave it
			break;
		}
		queued = queued || f->have;
		memcpy(f->ahead, f->next, (size_t)n);
		f->have = (size_t)n;
	}
	if (queued) {
		endpoint_wake(&w->ep);
	}
}
