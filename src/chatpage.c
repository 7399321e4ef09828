/*
 * chatpage.c - the classic WebSocket chat-room page, kept readable as one
 * string. It connects back to the host and port it was loaded from, shows
 * the readyState as it changes, and inserts every message as text (never
 * as HTML), so nothing a peer sends can inject markup. It offers the
 * room's subprotocols (-s), which the server writes into a meta tag, as
 * it writes the room's mode into another: in a chat room (not --plain or
 * --echo) the page has a name field, which sends "/nick NAME", and it
 * learns its own name from what the room tells it ("* you are ...").
 */
#include "chatpage.h"

#include <stdlib.h>
#include <string.h>

#define PROTOCOLS_MARK "@SUBPROTOCOLS@"
#define MODE_MARK "@MODE@"

/* In pieces: C compilers need not take a literal of 4 KiB or more. */
static const char *const page[] = {
"<!DOCTYPE html>\n"
"<html lang=\"en\">\n"
"<head>\n"
"<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<meta name=\"wsc-subprotocols\" content=\"" PROTOCOLS_MARK "\">\n"
"<meta name=\"wsc-room\" content=\"" MODE_MARK "\">\n"
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
"  #name { font: inherit; width: 10em; padding: .1em .3em; }\n"
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
"</head>\n",
"<body>\n"
"<header>\n"
"  <h1>wsc chat room</h1>\n"
"  <input id=\"name\" autocomplete=\"off\" maxlength=\"32\"\n"
"         placeholder=\"your name\" aria-label=\"your name\"\n"
"         title=\"your name in the room: Enter sends /nick NAME\">\n"
"  <span id=\"state\" data-state=\"0\">CONNECTING (0)</span>\n"
"  <button id=\"reconnect\" type=\"button\">Reconnect</button>\n"
"</header>\n"
"<ul id=\"log\" aria-live=\"polite\"></ul>\n"
"<form id=\"form\">\n"
"  <input id=\"text\" autocomplete=\"off\" placeholder=\"Type a message\"\n"
"         aria-label=\"message\">\n"
"  <button id=\"send\" type=\"submit\">Send</button>\n"
"</form>\n",
"<script>\n"
"'use strict';\n"
"const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];\n"
"const log = document.getElementById('log');\n"
"const state = document.getElementById('state');\n"
"const text = document.getElementById('text');\n"
"const nameBox = document.getElementById('name');\n"
"const chat = document.querySelector('meta[name=\"wsc-room\"]').content\n"
"  === 'chat';\n"
"const offer = document.querySelector('meta[name=\"wsc-subprotocols\"]')\n"
"  .content.split(',').filter((s) => s !== '');\n"
"let ws = null;\n"
"let me = '';      // our name, as the room last told it\n"
"let wanted = '';  // the name asked for: asked again after a reconnect\n"
"nameBox.hidden = !chat;\n"
"\n"
"function show(kind, msg) {\n"
"  const li = document.createElement('li');\n"
"  li.className = kind;\n"
"  li.textContent = msg;            // text, never HTML\n"
"  log.appendChild(li);\n"
"  log.scrollTop = log.scrollHeight;\n"
"}\n"
"\n"
"// What the room says to us alone about our name (\"* you are ...\"):\n"
"// what others say always comes as \"NAME: ...\".\n"
"function heard(msg) {\n"
"  let m = /^\\* you are (guest-[0-9]+); /.exec(msg);\n"
"  if (m && wanted && wanted !== m[1]) ws.send('/nick ' + wanted);\n"
"  m = m || /^\\* you are (?:now )?(\\S+?)(?: already)?$/.exec(msg);\n"
"  if (m) me = m[1];\n"
"  if (msg.startsWith('* ') && document.activeElement !== nameBox)\n"
"    nameBox.value = me;         // a refused name goes back to ours\n"
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
"    if (typeof e.data === 'string') {\n"
"      if (chat) heard(e.data);\n"
"      show(chat && e.data.startsWith('* ') ? 'sys' : 'peer', e.data);\n"
"    }\n"
"    else show('peer', '[binary ' + e.data.byteLength + ' bytes]');\n"
"  };\n"
"}\n"
"\n"
"document.getElementById('form').addEventListener('submit', (e) => {\n"
"  e.preventDefault();\n"
"  if (!ws || ws.readyState !== 1 || text.value === '') return;\n"
"  ws.send(text.value);\n"
"  // the room does not send our own lines back: show them as others\n"
"  // see them (a /nick request is answered by the room instead)\n"
"  if (!chat) show('me', text.value);\n"
"  else if (!/^\\/nick( |$)/.test(text.value))\n"
"    show('me', me + ': ' + text.value);\n"
"  text.value = '';\n"
"});\n"
"nameBox.addEventListener('change', () => {\n"
"  const v = nameBox.value.trim();\n"
"  if (v === '' || v === me) { nameBox.value = me; return; }\n"
"  wanted = v;\n"
"  if (ws && ws.readyState === 1) ws.send('/nick ' + v);\n"
"});\n"
"nameBox.addEventListener('keydown', (e) => {\n"
"  if (e.key === 'Enter') nameBox.blur();   // blur sends change\n"
"});\n"
"document.getElementById('reconnect').addEventListener('click', connect);\n"
"setInterval(showState, 500);  // also catches transitions without events\n"
"connect();\n"
"</script>\n"
"</body>\n"
"</html>\n",
};

/* The escaped form of c in an attribute, or NULL: as it is. */
static const char *attr_escape(char c)
{
	// names are HTTP tokens; & is the one that needs escaping in an
	// attribute, the others are there for safety
	return c == '&' ? "&amp;" : c == '"' ? "&quot;" : c == '<' ? "&lt;" :
		c == '>' ? "&gt;" : NULL;
}

char *chatpage_render(const char *protocols, bool chat, size_t *len)
{
	const char *mode = chat ? "chat" : "plain";
	size_t cap = 5 * strlen(protocols) + strlen(mode) + 1;
	char *out, *p;

	for (size_t i = 0; i < sizeof(page) / sizeof(page[0]); i++) {
		cap += strlen(page[i]);
	}
	if (!(out = malloc(cap))) {
		return NULL;
	}
	p = out;
	for (size_t i = 0; i < sizeof(page) / sizeof(page[0]); i++) {
		for (const char *c = page[i]; *c; c++) {
			if (!strncmp(c, PROTOCOLS_MARK, sizeof(PROTOCOLS_MARK) - 1)) {
				for (const char *q = protocols; *q; q++) {
					const char *e = attr_escape(*q);

					memcpy(p, e ? e : q, e ? strlen(e) : 1);
					p += e ? strlen(e) : 1;
				}
				c += sizeof(PROTOCOLS_MARK) - 2;
			} else if (!strncmp(c, MODE_MARK, sizeof(MODE_MARK) - 1)) {
				memcpy(p, mode, strlen(mode));
				p += strlen(mode);
				c += sizeof(MODE_MARK) - 2;
			} else {
				*p++ = *c;
			}
		}
	}
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}
