/*
 * histfile.h - the REPL history file. Each entry starts with a "#" and
 * digits line (its time, as readline writes it with timestamps), so an
 * entry of several lines (Meta-Enter) reads back as one; a line of an entry
 * that starts with '#' or '\' is written with a '\' in front. A file
 * without timestamp lines (older wsc) is read one entry per line.
 */
#ifndef WSC_HISTFILE_H
#define WSC_HISTFILE_H

#include <stdbool.h>

/* Add the file's entries to readline's history; false if unreadable. */
bool histfile_read(const char *path);

/* Replace the file with readline's history list; false on failure. */
bool histfile_write(const char *path);

#endif
