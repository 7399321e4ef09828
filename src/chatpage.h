/*
 * chatpage.h - the built-in browser chat room served at GET / by
 * wsc --listen.
 */
#ifndef WSC_CHATPAGE_H
#define WSC_CHATPAGE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The page as served: its meta tag wsc-subprotocols holds protocols (the
 * comma-joined -s names, "" for none), which the page offers when it
 * connects, and wsc-room the mode, "chat" (names: the page has a name
 * field) or "plain". Malloc'd, NUL-terminated, length in *len; NULL: no
 * memory.
 */
char *chatpage_render(const char *protocols, bool chat, size_t *len);

#endif
