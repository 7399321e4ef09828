/*
 * histfile.c - read and write the history file (format in histfile.h).
 */
#include "histfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <readline/history.h>

#include "buf.h"

static bool stamp_line(const char *s)
{
	if (s[0] != '#' || !isdigit((unsigned char)s[1])) {
		return false;
	}
	for (s++; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			return false;
		}
	}
	return true;
}

// Add the entry collected so far (if any) with its time.
static void flush_entry(struct wsc_buf *entry, bool *open, char **stamp)
{
	if (*open && buf_append(entry, "", 1, 0)) {
		add_history((const char *)entry->p);
		if (*stamp) {
			add_history_time(*stamp);
		}
	}
	buf_clear(entry);
	*open = false;
	free(*stamp);
	*stamp = NULL;
}

bool histfile_read(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *stamp = NULL;
	struct wsc_buf entry = { 0 };   // its lines so far, joined by '\n'
	bool open = false;      // an entry is being collected
	size_t cap = 0;
	ssize_t n;
	bool stamped = false;   // the file has timestamps: entries span lines

	if (!f) {
		return false;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *text = line;

		if (n > 0 && line[n - 1] == '\n') {
			line[--n] = '\0';
		}
		if (stamp_line(line)) {
			flush_entry(&entry, &open, &stamp);
			stamp = strdup(line);
			stamped = true;
			continue;
		}
		if (stamped && line[0] == '\\' && (line[1] == '#' ||
				line[1] == '\\')) {
			text = line + 1;
		}
		if (!stamped) {
			flush_entry(&entry, &open, &stamp);
		}
		if ((open && !buf_append(&entry, "\n", 1, 0)) ||
				!buf_append(&entry, text, strlen(text), 0)) {
			break;
		}
		open = true;
	}
	flush_entry(&entry, &open, &stamp);
	buf_free(&entry);
	free(line);
	fclose(f);
	return true;
}

bool histfile_write(const char *path)
{
	HIST_ENTRY **list = history_list();
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f) {
		return false;
	}
	for (size_t i = 0; list && list[i]; i++) {
		const char *ts = list[i]->timestamp;
		const char *p = list[i]->line;

		if (ts && stamp_line(ts)) {
			fprintf(f, "%s\n", ts);
		} else {
			fprintf(f, "#%lld\n", (long long)time(NULL));
		}
		for (;;) {
			size_t len = strcspn(p, "\n");

			if (*p == '#' || *p == '\\') {
				fputc('\\', f);
			}
			fwrite(p, 1, len, f);
			fputc('\n', f);
			if (!p[len]) {
				break;
			}
			p += len + 1;
		}
	}
	ok = !ferror(f);
	return fclose(f) == 0 && ok;
}
