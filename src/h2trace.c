/*
 * h2trace.c - an HTTP/2 SETTINGS frame as the trace's line (h2trace.h).
 */
#include "h2trace.h"

#include <stdio.h>
#include <string.h>

static const char *setting_name(int32_t id)
{
	static const char *const names[] = { NULL, "HEADER_TABLE_SIZE",
		"ENABLE_PUSH", "MAX_CONCURRENT_STREAMS", "INITIAL_WINDOW_SIZE",
		"MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE", NULL,
		"ENABLE_CONNECT_PROTOCOL" };

	return id > 0 && id < 9 ? names[id] : NULL;
}

// One side's SETTINGS as the trace's line: "SETTINGS NAME=value ...".
void h2trace_settings(struct wsc_trace *t, bool ours,
		const nghttp2_settings_entry *iv, size_t n)
{
	char line[512];
	size_t len = (size_t)snprintf(line, sizeof(line), "SETTINGS%s",
		n ? "" : " (none)");

	if (!t) {
		return;
	}
	for (size_t i = 0; i < n && len < sizeof(line); i++) {
		const char *name = setting_name(iv[i].settings_id);

		len += name ? (size_t)snprintf(line + len, sizeof(line) - len,
			" %s=%u", name, iv[i].value) : (size_t)snprintf(line +
			len, sizeof(line) - len, " 0x%x=%u", iv[i].settings_id,
			iv[i].value);
	}
	if (len > sizeof(line) - 3) {
		len = sizeof(line) - 3;
	}
	memcpy(line + len, "\r\n", 2);
	if (ours) {
		trace_add(t->req, &t->req_len, line, len + 2);
	} else {
		trace_add(t->resp, &t->resp_len, line, len + 2);
	}
}
