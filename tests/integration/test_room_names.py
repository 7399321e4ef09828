"""Names in `wsc --listen`'s chat room (the default): each client is
guest-N, the console host; a text goes to the others as NAME: TEXT, binary
unchanged; "/nick NAME" renames (never relayed); joins, leaves and renames
are told to everyone else as "* ..." text messages, refusals to the asker
alone. --plain and --echo have none of it. Real clients: raw sockets that
check every byte, python3-websockets, wsc's own REPL on a terminal."""
import asyncio
import base64
import json
import os
import re
import struct

import pytest
import websockets

from test_listen import (leave, listen, page_of, raw_connect,  # noqa: F401
                         recv_until_close, send_close, send_text)
from tty import Tmux
from wsproto import OP_BINARY, OP_TEXT

WELCOME = "* you are guest-%d; send /nick NAME to change your name"
BAD = "* a name is 1 to 32 bytes without spaces or control characters"
RESERVED = "* guest-N names are the room's defaults: pick another"
LONG = "compress me " * 500


def join(srv, others=()):
    """A raw client joins: it is welcomed by its default name, and each of
    others hears that it joined. Returns (conn, its number)."""
    c, _ = raw_connect(srv.port)
    n = srv.joined()
    said(c, WELCOME % n)
    for o in others:
        said(o, "* guest-%d joined" % n)
    return c, n


def said(c, text):
    """The next message c gets is the text message text."""
    assert c.recv_message() == (OP_TEXT, text.encode())


def rename(c, name, old, others=()):
    send_text(c, "/nick " + name)
    said(c, "* you are now " + name)
    for o in others:
        said(o, "* %s is now %s" % (old, name))


def test_default_names_text_relayed_with_the_name_binary_unchanged(listen):
    srv = listen()
    a, ia = join(srv)
    b, ib = join(srv, [a])
    assert (ia, ib) == (1, 2)
    send_text(a, "hello")
    said(b, "guest-1: hello")
    assert srv.out.next_line() == b"guest-1: hello"
    send_text(b, "hi there: guest-1")
    said(a, "guest-2: hi there: guest-1")
    assert srv.out.next_line() == b"guest-2: hi there: guest-1"
    send_text(a, "")                    # an empty text has its name too
    said(b, "guest-1: ")
    assert srv.out.next_line() == b"guest-1: "
    # binary passes unchanged, whatever it holds, on the wire and on a pipe
    a.send_frame(OP_BINARY, b"\x00\xff/nick x", mask=os.urandom(4))
    assert b.recv_message() == (OP_BINARY, b"\x00\xff/nick x")
    assert srv.out.next_line() == b"\x00\xff/nick x"
    # a text of several lines is one message, its name in front once
    send_text(b, "one\ntwo")
    said(a, "guest-2: one\ntwo")
    assert leave(b) == []               # its own lines never came back
    said(a, "* guest-2 left")
    srv.err.search(r"^wsc: guest-2 left \(client #2 from 127\.0\.0\.1\)$")
    leave(a)
    assert srv.stop() == 0


def test_nick_renames_and_is_never_relayed(listen):
    srv = listen()
    a, _ = join(srv)
    b, _ = join(srv, [a])
    rename(a, "alice", "guest-1", [b])
    srv.err.search(r"^wsc: guest-1 is now alice \(client #1\)$")
    send_text(a, "named now")
    said(b, "alice: named now")
    # the console printed what was said, never the request
    assert srv.out.next_line() == b"alice: named now"
    rename(b, "Zoë_42", "guest-2", [a])             # UTF-8, punctuation
    rename(b, "Alice", "Zoë_42", [a])               # case counts
    rename(b, "guest-2", "Alice", [a])              # its own default back
    rename(b, "x" * 32, "guest-2", [a])             # 32 bytes
    send_text(b, "/nickname")                       # not a request
    said(a, "%s: /nickname" % ("x" * 32))
    assert leave(b) == []
    said(a, "* %s left" % ("x" * 32))
    srv.err.search(r"^wsc: x{32} left \(client #2 from 127\.0\.0\.1\)$")
    leave(a)
    assert srv.stop() == 0
    srv.out.wait_eof()
    assert srv.out.text() == ["alice: named now", "xxxxxxxxxxxxxxxxxxxxxxxxxx"
                              "xxxxxx: /nickname"]


@pytest.mark.parametrize("request_, answer", [
    ("/nick alice", '* name "alice" is taken'),
    ("/nick host", '* name "host" is taken'),       # the console's
    ("/nick guest-2", "* you are guest-2 already"),
    ("/nick guest-1", RESERVED),                    # alice's default
    ("/nick guest-9", RESERVED),                    # no one's yet
    ("/nick guest-02", RESERVED),
    ("/nick", BAD),
    ("/nick ", BAD),
    ("/nick a b", BAD),
    ("/nick  bob", BAD),                            # all after one space
    ("/nick bob ", BAD),
    ("/nick " + "x" * 33, BAD),
    ("/nick a\tb", BAD),
    ("/nick red\x1b[31m", BAD),                     # no terminal codes
    ("/nick a\nb", BAD),
    ("/nick a\x7f", BAD),
    ("/nick a\u0085b", BAD),                        # C1
    ("/nick \u202eevil", BAD),                      # bidirectional
    ("/nick zero\u200bwidth", BAD),
    ("/nick no\u00a0break", BAD),
    ("/nick \ufeffbom", BAD),
], ids=["taken", "host", "already", "default-of-other", "default-unused",
        "default-form", "alone", "empty", "space", "two-spaces",
        "trailing-space", "33-bytes", "tab", "escape", "newline", "del", "c1",
        "rlo", "zero-width", "nbsp", "bom"])
def test_refused_rename_answers_the_sender_only(listen, request_, answer):
    srv = listen()
    a, _ = join(srv)
    b, _ = join(srv, [a])
    rename(a, "alice", "guest-1", [b])
    srv.err.search(r"^wsc: guest-1 is now alice \(client #1\)$")
    send_text(b, request_)
    said(b, answer)
    # nothing reached the others, nothing was printed: the next message
    # each gets is the console's, and b is still guest-2
    srv.send("marker")
    said(a, "host: marker")
    said(b, "host: marker")
    send_text(b, "still me")
    said(a, "guest-2: still me")
    assert srv.out.next_line() == b"guest-2: still me"
    assert [l for l in srv.err.text() if "is now" in l] == [
        "wsc: guest-1 is now alice (client #1)"]
    leave(a)
    leave(b)


def test_the_console_is_host_and_renames_itself(listen):
    srv = listen()
    a, _ = join(srv)
    srv.send("hello from the console")
    said(a, "host: hello from the console")
    srv.send("/nick boss")
    said(a, "* host is now boss")
    srv.err.search(r"^wsc: you are now boss$")
    srv.send("again")
    said(a, "boss: again")
    rename(a, "alice", "guest-1")
    # refused: one line on the console's standard error, nothing sent
    for request_, line in [
            ("/nick alice", 'wsc: name "alice" is taken'),
            ("/nick guest-1", "wsc: guest-N names are the room's "
             "defaults: pick another"),
            ("/nick a b", "wsc: a name is 1 to 32 bytes without spaces or "
             "control characters"),
            ("/nick boss", "wsc: you are boss already")]:
        srv.send(request_)
        srv.err.search("^%s$" % re.escape(line))
    srv.send("marker")
    said(a, "boss: marker")
    # the console's old name is free again
    b, _ = join(srv, [a])
    rename(b, "host", "guest-2", [a])
    srv.send("/nick host")
    srv.err.search(r'^wsc: name "host" is taken$')
    leave(a)
    leave(b)
    assert srv.stop() == 0
    assert srv.out.text() == []         # requests are not messages


def test_console_binary_lines_pass_unchanged(listen):
    """-b: the console's lines are binary messages, relayed as they are
    (no name), and a binary /nick is no request."""
    srv = listen("-b")
    a, _ = join(srv)
    srv.send("/nick boss")
    assert a.recv_message() == (OP_BINARY, b"/nick boss")
    srv.send("x")
    assert a.recv_message() == (OP_BINARY, b"x")
    leave(a)


def test_plain_relays_bytes_unchanged_and_announces_nothing(listen):
    srv = listen("--plain")
    a, _ = raw_connect(srv.port)
    srv.joined()
    b, _ = raw_connect(srv.port)
    srv.joined()
    send_text(a, "/nick alice")
    assert b.recv_message() == (OP_TEXT, b"/nick alice")
    send_text(a, "hello")
    assert b.recv_message() == (OP_TEXT, b"hello")
    srv.send("/nick boss")
    srv.send("from the console")
    for c in (a, b):
        assert c.recv_message() == (OP_TEXT, b"/nick boss")
        assert c.recv_message() == (OP_TEXT, b"from the console")
    assert leave(b) == []
    srv.send("marker")                  # no "left" came before it
    assert a.recv_message() == (OP_TEXT, b"marker")
    leave(a)
    assert srv.stop() == 0
    srv.out.wait_eof()
    assert srv.out.text() == ["/nick alice", "hello"]
    assert not [l for l in srv.err.text() if "guest" in l or "now" in l]


def test_echo_echoes_unchanged_without_names(listen):
    srv = listen("--echo")
    a, _ = raw_connect(srv.port)
    srv.joined()
    send_text(a, "/nick alice")         # the first thing it gets: no welcome
    assert a.recv_message() == (OP_TEXT, b"/nick alice")
    send_text(a, "hi")
    assert a.recv_message() == (OP_TEXT, b"hi")
    assert leave(a) == []


def test_page_knows_the_room_mode(listen):
    for args, mode in [((), "chat"), (("--plain",), "plain"),
                       (("--echo",), "plain")]:
        body = page_of(listen(*args))
        assert '<meta name="wsc-room" content="%s">' % mode in body, args
        assert '<input id="name"' in body


def test_jsonl_events_carry_the_name(listen):
    srv = listen("-j")
    a, ia = join(srv)
    b, ib = join(srv, [a])
    rename(a, "alice", "guest-1", [b])
    send_text(a, "hi")
    said(b, "alice: hi")
    b.send_frame(OP_BINARY, b"\x00\x01", mask=os.urandom(4))
    assert a.recv_message() == (OP_BINARY, b"\x00\x01")
    events = [json.loads(srv.out.next_line()) for _ in range(2)]
    assert [(e["event"], e["client"], e["name"], e["type"], e["data"])
            for e in events] == [
        ("message", ia, "alice", "text", "hi"),
        ("message", ib, "guest-2", "binary",
         base64.b64encode(b"\x00\x01").decode()),
    ]
    leave(a)
    leave(b)


def test_max_size_judges_what_the_client_sent(listen):
    """The name goes in front of a message of exactly --max-size; one byte
    more is refused as before."""
    srv = listen("--max-size", "100000")
    a, _ = join(srv)
    b, _ = join(srv, [a])
    big = "0123456789" * 10000
    send_text(a, big)
    said(b, "guest-1: " + big)
    assert srv.out.next_line() == ("guest-1: " + big).encode()
    send_text(a, big + "x")
    msgs, close = recv_until_close(a)
    assert msgs == [] and struct.unpack("!H", close[:2])[0] == 1009
    a.close()
    said(b, "* guest-1 left")
    leave(b)


def test_named_text_is_compressed_for_deflate_clients(listen):
    """python3-websockets with permessage-deflate gets the named text
    inflated as sent."""
    srv = listen("--deflate")

    async def main():
        async def recv(ws):
            return await asyncio.wait_for(ws.recv(), 10)
        a = await websockets.connect(srv.url)
        b = await websockets.connect(srv.url)
        assert b.response_headers.get("Sec-WebSocket-Extensions", "") \
            .startswith("permessage-deflate")
        assert await recv(a) == WELCOME % 1
        assert await recv(b) == WELCOME % 2
        assert await recv(a) == "* guest-2 joined"
        await a.send("/nick alice")
        assert await recv(a) == "* you are now alice"
        assert await recv(b) == "* guest-1 is now alice"
        await a.send(LONG)
        assert await recv(b) == "alice: " + LONG
        await a.close()
        assert await recv(b) == "* alice left"
        await b.close()
    asyncio.run(asyncio.wait_for(main(), 30))
    assert srv.out.next_line() == ("alice: " + LONG).encode()


# --- on a terminal -----------------------------------------------------------

def test_room_console_shows_names_on_a_terminal(tmp_path):
    """The room at a terminal: what a client says is shown as it reaches
    the others, "< alice: ...", binary with its name; /nick at the prompt
    renames the console."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with Tmux(["--no-history", "-l", "127.0.0.1:%d" % port],
              env={"XDG_STATE_HOME": str(tmp_path)}, width=100) as t:
        t.wait_prompt()
        t.wait_text("wsc: the chat page")
        a, _ = raw_connect(port)
        said(a, WELCOME % 1)
        t.wait_text("wsc: guest-1 joined (client #1 from 127.0.0.1)")
        rename(a, "alice", "guest-1")
        t.wait_text("wsc: guest-1 is now alice (client #1)")
        send_text(a, "hello \x1b[31mred")
        t.wait_text("< alice: hello \\e[31mred")
        a.send_frame(OP_BINARY, b"\x00\x01", mask=os.urandom(4))
        t.wait_text("< alice: [binary 2 bytes] 00 01")
        t.type("/nick boss")
        t.keys("Enter")
        t.wait_text("wsc: you are now boss")
        said(a, "* host is now boss")
        t.type("hi all")
        t.keys("Enter")
        said(a, "boss: hi all")
        t.keys("C-d")
        assert recv_until_close(a) == ([], struct.pack("!H", 1000))
        send_close(a)
        assert t.exit_status() == 0
        a.close()


def test_repl_nick_renames_in_the_room(listen, tmp_path):
    """wsc's own REPL: /nick NAME sends the text /nick NAME (as text even
    with -b); the room renames it and the others hear it."""
    srv = listen()
    other, _ = join(srv)
    with Tmux(["--no-history", "-b", srv.url],
              env={"XDG_STATE_HOME": str(tmp_path)}) as t:
        t.wait_prompt()
        srv.joined()
        said(other, "* guest-2 joined")
        t.wait_text("< * you are guest-2; send /nick NAME to change your "
                    "name")
        t.type("/nick")
        t.keys("Enter")
        t.wait_text("wsc: /nick: which name?")
        t.type("/nick bob")
        t.keys("Enter")
        said(other, "* guest-2 is now bob")
        t.wait_text("< * you are now bob")
        send_text(other, "hi bob")
        t.wait_text("< guest-1: hi bob")
        t.type("/help")
        t.keys("Enter")
        t.wait_text("/nick NAME")
        t.keys("C-d")
        assert t.exit_status() == 0
    said(other, "* bob left")
    leave(other)
