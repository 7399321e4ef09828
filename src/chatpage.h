/*
 * chatpage.h - the built-in browser chat room served at GET / by
 * wsc --listen.
 */
#ifndef WSC_CHATPAGE_H
#define WSC_CHATPAGE_H

#include <stddef.h>

extern const char chatpage_html[];
extern const size_t chatpage_len;

#endif
