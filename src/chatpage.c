/*
 * chatpage.c - the classic WebSocket chat-room page, kept readable as one
 * string. It connects back to the host and port it was loaded from, shows
 * the readyState as it changes, and inserts every message as text (never
 * as HTML), so nothing a peer sends can inject markup. It offers the
 * room's subprotocols (-s), which the server writes into a meta tag.
 */
#include "chatpage.h"

#include <stdlib.h>
#include <string.h>

#define PROTOCOLS_MARK "@SUBPROTOCOLS@"

const char chatpage_html[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\">\n"
"<head>\n"
"<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<meta name=\"wsc-subprotocols\" content=\"" PROTOCOLS_MARK "\">\n"
"<title>wsc chat</title>\n"
"<style>\n"
"  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: flex;\n"
"         flex-direction: column; height: 100vh; background: #fafafa; }\n"
"  header { padding: .5em 1em; background: #234; color: #fff;\n"
"           display: flex; gap: 1em; align-items: center; }\n"
"  header h1 { font-size: 1.1em; margin: 0; flex: 1; }\n"
"  #state { font-family: monospace; padding: .1em .5em; border-radius: 4px;\n"
"           background: #555; }\n"
"  #state[data-state=\"1\"] { background: #2a7; }\n"
"  #state[data-state=\"3\"] { background: #a33; }\n"
"  #log { flex: 1; overflow-y: auto; list-style: none; margin: 0;\n"
"         padding: .5em 1em; }\n"
"  #log li { padding: .15em 0; white-space: pre-wrap;\n"
"            overflow-wrap: anywhere; }\n"
"  #log li.me { color: #236; }\n"
"  #log li.sys { color: #888; font-style: italic; }\n"
"  form { display: flex; gap: .5em; padding: .5em 1em;\n"
"         border-top: 1px solid #ddd; background: #fff; }\n"
"  #text { flex: 1; font: inherit; padding: .4em; }\n"
"  button { font: inherit; }\n"
"</style>\n"
"</head>\n"
"<body>\n"
"<header>\n"
"  <h1>wsc chat room</h1>\n"
"  <span id=\"state\" data-state=\"0\">CONNECTING (0)</span>\n"
"  <button id=\"reconnect\" type=\"button\">Reconnect</button>\n"
"</header>\n"
"<ul id=\"log\" aria-live=\"polite\"></ul>\n"
"<form id=\"form\">\n"
"  <input id=\"text\" autocomplete=\"off\" placeholder=\"Type a message\"\n"
"         aria-label=\"message\">\n"
"  <button id=\"send\" type=\"submit\">Send</button>\n"
"</form>\n"
"<script>\n"
"'use strict';\n"
"const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];\n"
"const log = document.getElementById('log');\n"
"const state = document.getElementById('state');\n"
"const text = document.getElementById('text');\n"
"const offer = document.querySelector('meta[name=\"wsc-subprotocols\"]')\n"
"  .content.split(',').filter((s) => s !== '');\n"
"let ws = null;\n"
"\n"
"function show(kind, msg) {\n"
"  const li = document.createElement('li');\n"
"  li.className = kind;\n"
"  li.textContent = msg;            // text, never HTML\n"
"  log.appendChild(li);\n"
"  log.scrollTop = log.scrollHeight;\n"
"}\n"
"\n"
"function showState() {\n"
"  const s = ws ? ws.readyState : 3;\n"
"  state.dataset.state = String(s);\n"
"  state.textContent = names[s] + ' (' + s + ')';\n"
"}\n"
"\n"
"function connect() {\n"
"  if (ws && ws.readyState < 2) ws.close(1000);\n"
"  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';\n"
"  ws = new WebSocket(scheme + location.host + '/', offer);\n"
"  ws.binaryType = 'arraybuffer';\n"
"  showState();\n"
"  ws.onopen = () => {\n"
"    showState();\n"
"    show('sys', 'connected' +\n"
"      (ws.protocol ? ' (subprotocol ' + ws.protocol + ')' : ''));\n"
"  };\n"
"  ws.onclose = (e) => {\n"
"    showState();\n"
"    show('sys', 'closed (' + e.code + (e.reason ? ' ' + e.reason : '') + ')');\n"
"  };\n"
"  ws.onerror = () => showState();\n"
"  ws.onmessage = (e) => {\n"
"    if (typeof e.data === 'string') show('peer', e.data);\n"
"    else show('peer', '[binary ' + e.data.byteLength + ' bytes]');\n"
"  };\n"
"}\n"
"\n"
"document.getElementById('form').addEventListener('submit', (e) => {\n"
"  e.preventDefault();\n"
"  if (!ws || ws.readyState !== 1 || text.value === '') return;\n"
"  ws.send(text.value);\n"
"  show('me', text.value);\n"
"  text.value = '';\n"
"});\n"
"document.getElementById('reconnect').addEventListener('click', connect);\n"
"setInterval(showState, 500);  // also catches transitions without events\n"
"connect();\n"
"</script>\n"
"</body>\n"
"</html>\n";

const size_t chatpage_len = sizeof(chatpage_html) - 1;

char *chatpage_render(const char *protocols, size_t *len)
{
	const char *mark = strstr(chatpage_html, PROTOCOLS_MARK);
	const size_t ml = sizeof(PROTOCOLS_MARK) - 1;
	size_t cap = chatpage_len - ml + 5 * strlen(protocols) + 1, n;
	char *out = malloc(cap), *p;

	if (!out || !mark) {
		free(out);
		return NULL;
	}
	n = (size_t)(mark - chatpage_html);
	memcpy(out, chatpage_html, n);
	p = out + n;
	// names are HTTP tokens; & is the one that needs escaping in an
	// attribute, the others are there for safety
	for (const char *c = protocols; *c; c++) {
		const char *e = *c == '&' ? "&amp;" : *c == '"' ? "&quot;" :
			*c == '<' ? "&lt;" : *c == '>' ? "&gt;" : NULL;

		if (e) {
			memcpy(p, e, strlen(e));
			p += strlen(e);
		} else {
			*p++ = *c;
		}
	}
	n = chatpage_len - n - ml;
	memcpy(p, mark + ml, n);
	p += n;
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}
