/*
 * chatpage.h - the built-in browser chat room served at GET / by
 * wsc --listen.
 */
#ifndef WSC_CHATPAGE_H
#define WSC_CHATPAGE_H

#include <stddef.h>

extern const char chatpage_html[];
extern const size_t chatpage_len;

/*
 * The page as served: its meta tag wsc-subprotocols holds protocols (the
 * comma-joined -s names, "" for none), which the page offers when it
 * connects. Malloc'd, NUL-terminated, length in *len; NULL: no memory.
 */
char *chatpage_render(const char *protocols, size_t *len);

#endif
