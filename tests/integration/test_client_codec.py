"""The client's WebSocket codec against exact-byte servers.

Each test is one adversarial server (wsproto.RawServer) and the built wsc
in pipe mode. The server records every frame wsc sends, so the tests check
the Close wsc SENDS (its exact code, and that there is only one), the Pongs
it sends, what reaches stdout, the one stderr line and the exit status of
the man page:

- a protocol violation by the server: wsc sends Close 1002 (1007 for
  invalid UTF-8, 1009 over --max-size), prints one line naming the cause
  (never "1006": the connection did not just drop), exits 1;
- the server closes with a valid code other than 1000/1001/1005: wsc echoes
  that code and exits 3.

Situations that libwebsockets' client role got wrong are driven on
purpose: frames in the same TCP write as the 101 response, frames after
more than 32 KiB of messages in that first read, several control frames in
one write, a violation after wsc's own Close.

Where the server waits for wsc, it waits for at most WAIT seconds of
silence; when wsc sends its Close first, the server answers it once with
the same code (as RFC 6455 asks) and reads on until wsc hangs up. Unless a
test gives input, wsc's stdin is an open pipe nobody writes to, so wsc
never closes on its own: whatever it does is its answer to the server.

Decision (after end of input, a violation before the server's Close): wsc
has sent its Close 1000 and may send no other (RFC 6455 5.5.1), so it
hangs up; the session did not end cleanly and the cause is the server's
protocol error, so the exit status is 1 with the cause named, as for any
other protocol error.
"""
import json
import re
import struct

import pytest

from harness import accept_for
from test_hostile import no_crash, one_line, run_wsc
from wsproto import (RawServer, frame, OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE,
                     OP_PING, OP_PONG)

WAIT = 10               # seconds of silence the server side accepts
WSC_TIMEOUT = 2 * WAIT + 10


# --- one session: an adversarial server and wsc ---------------------------------

def close_code(payload):
    """The code of a Close payload: 1005 when empty, None when 1 byte."""
    if not payload:
        return 1005
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


class Session:
    def __init__(self, rc, out, err, frames):
        self.rc, self.out, self.err = rc, out, err
        self.frames = frames        # (fin, opcode, payload) sent by wsc

    @property
    def closes(self):
        """The codes of every Close wsc sent, in order."""
        return [close_code(d) for _f, op, d in self.frames if op == OP_CLOSE]

    @property
    def pongs(self):
        return [d for _f, op, d in self.frames if op == OP_PONG]

    def line(self, blame_1006=False):
        """The one 'wsc: ' line on stderr; it names 1006 only when told
        (the code the server sent), never as what happened."""
        line = one_line(self)
        assert blame_1006 or "1006" not in line, \
            "a protocol error reported as 1006: %r" % (self,)
        return line

    def __repr__(self):
        return ("exit %r, stderr %r, stdout %r, frames from wsc %r"
                % (self.rc, self.err, self.out[:300],
                   [(op, d[:40]) for _f, op, d in self.frames]))


def collect(conn, frames, answer=True, hang_up=False):
    """Read what wsc sends until it hangs up or stays silent for WAIT s,
    appending to frames. With answer, wsc's first Close is answered with
    its code (wsc closed first); with hang_up, the server hangs up once
    it has wsc's Close instead."""
    conn.sock.settimeout(WAIT)
    try:
        while True:
            f = conn.recv_frame()
            frames.append(f)
            if f[1] == OP_CLOSE and hang_up:
                return
            if f[1] == OP_CLOSE and answer:
                answer = False
                conn.send_frame(OP_CLOSE, f[2][:2])
    except (EOFError, OSError):
        pass


def echo_frames_until_close(conn, frames):
    """Echo wsc's data frames and answer its Pings until its Close
    (True) or until it hangs up or stays silent for WAIT s (False)."""
    conn.sock.settimeout(WAIT)
    try:
        while True:
            f = conn.recv_frame()
            frames.append(f)
            if f[1] == OP_CLOSE:
                return True
            if f[1] == OP_PING:
                conn.send_frame(OP_PONG, f[2])
            elif f[1] != OP_PONG:
                conn.send_frame(f[1], f[2], fin=f[0])
    except (EOFError, OSError):
        return False


def session(serve, args=(), stdin=None):
    """serve(conn, frames) plays the server once the request is read;
    whatever it reads from wsc goes to frames. stdin: bytes to pipe into
    wsc (then end of input), or None for a pipe left open and silent."""
    frames = []

    def handler(conn):
        conn.sock.settimeout(WAIT)
        conn.read_request()
        serve(conn, frames)

    with RawServer(handler) as srv:
        rc, out, err, _ = run_wsc(list(args) + [srv.url], stdin=stdin,
                                  timeout=WSC_TIMEOUT)
        assert srv.done.wait(WAIT + 5), "server handler still busy"
    return Session(rc, out, err, frames)


def opening(*chunks, hang_up=False):
    """Serve: the 101 response and the chunks, each chunk one write (the
    first in the same write as the 101), then collect until wsc is done."""
    def serve(conn, frames):
        first, rest = (chunks[0], chunks[1:]) if chunks else (b"", ())
        conn.send_raw(conn.accept_bytes() + first)
        for c in rest:
            conn.send_raw(c)
        collect(conn, frames, hang_up=hang_up)
    return serve


def messages(n, size):
    """n distinct text messages of size bytes: (their frames, stdout)."""
    texts = [(b"%05d" % i) + b"m" * (size - 5) for i in range(n)]
    return (b"".join(frame(OP_TEXT, t) for t in texts),
            b"".join(t + b"\n" for t in texts))


SMALL = (frame(OP_TEXT, b"one") + frame(OP_TEXT, b"two"), b"one\ntwo\n")
OVER_32K = messages(40, 1024)       # 40 KiB in the first read
MASK = b"\x11\x22\x33\x44"


def protocol_error(s, code, *words, blame_1006=False):
    """wsc sent exactly one Close, with code; exit 1; the line matches
    every regex in words."""
    no_crash(s)
    assert s.closes == [code], s
    assert s.rc == 1, s
    line = s.line(blame_1006)
    for w in words:
        assert re.search(w, line, re.I), "the line does not say %r: %r" % (
            w, line)
    return line


# --- 1. masked frames from the server ---------------------------------------------

@pytest.mark.parametrize("masked", [
    frame(OP_TEXT, b"evil", mask=MASK),
    frame(OP_PING, b"masked-ping", mask=MASK),
], ids=["text", "ping"])
@pytest.mark.parametrize("where", ["with-101", "after-32k", "own-write"])
def test_masked_server_frame_is_refused(where, masked):
    """A masked frame from a server is a protocol error wherever it comes:
    Close 1002, exit 1, never printed, never answered with a Pong; every
    message before it is printed."""
    before, printed = OVER_32K if where == "after-32k" else SMALL
    chunks = [before, masked] if where == "own-write" else [before + masked]
    s = session(opening(*chunks))
    protocol_error(s, 1002, r"mask")
    assert s.pongs == [], "a masked Ping was answered: %r" % (s,)
    assert s.out == printed, s


# --- 2. and 3. Close frames from the server -----------------------------------------

def close_frame(code, reason=b""):
    return frame(OP_CLOSE, struct.pack("!H", code) + reason)


@pytest.mark.parametrize("where", ["with-101", "own-write"])
def test_second_close_does_not_override_the_first(where):
    """Close 1011 then Close 1000 in one write: the first Close is the
    server's; wsc answers 1011 and exits 3."""
    both = close_frame(1011, b"first") + close_frame(1000, b"second")
    s = session(opening(*([both] if where == "with-101" else [b"", both])))
    no_crash(s)
    assert s.closes == [1011], s
    assert s.rc == 3, s
    line = s.line()
    assert "1011" in line and "first" in line, line
    assert "second" not in line, line
    assert s.out == b"", s


def server_close(code, where):
    """Serve: (40 KiB of messages and) a Close with code; the expected
    stdout."""
    before, printed = OVER_32K if where == "after-40k" else (b"", b"")
    return opening(before + close_frame(code, b"later")), printed


@pytest.mark.parametrize("where", ["own-write", "after-40k"])
@pytest.mark.parametrize("code", [1012, 1013, 1014])
def test_registered_close_code_is_echoed(code, where):
    serve, printed = server_close(code, where)
    s = session(serve)
    no_crash(s)
    assert s.closes == [code], s
    assert s.rc == 3, s
    line = s.line()
    assert re.search(r"\b%d\b" % code, line) and "later" in line, line
    assert "protocol" not in line.lower(), line
    assert s.out == printed, s


@pytest.mark.parametrize("where", ["own-write", "after-40k"])
@pytest.mark.parametrize("code", [1005, 1006, 1015, 999, 1004, 2999, 5000])
def test_invalid_close_code_is_a_protocol_error(code, where):
    serve, printed = server_close(code, where)
    s = session(serve)
    protocol_error(s, 1002, r"\b%d\b" % code, blame_1006=code == 1006)
    assert s.out == printed, s


# --- 4. a burst of Pings ------------------------------------------------------------

def test_burst_of_pings_the_most_recent_is_answered():
    """RFC 6455 5.5.3: an endpoint may skip Pongs for all but the most
    recent Ping; the most recent one must be answered."""
    pings = [b"ping-%d" % i for i in range(1, 6)]

    def serve(conn, frames):
        conn.send_raw(conn.accept_bytes())
        conn.send_raw(b"".join(frame(OP_PING, p) for p in pings))
        conn.sock.settimeout(WAIT)
        try:
            while not frames or frames[-1][1:] != (OP_PONG, pings[-1]):
                frames.append(conn.recv_frame())
        except (EOFError, OSError):
            return
        conn.send_raw(frame(OP_TEXT, b"done") + close_frame(1000))
        collect(conn, frames, answer=False)

    s = session(serve)
    no_crash(s)
    assert s.pongs and s.pongs[-1] == pings[-1], s
    # the Pongs answer Pings that came, in their order, each at most once
    idx = [pings.index(p) for p in s.pongs]
    assert idx == sorted(set(idx)), s
    assert s.out == b"done\n", s
    assert s.closes == [1000], s
    assert s.rc == 0 and s.err == b"", s


# --- 5. protocol errors: wsc sends the Close --------------------------------------

# printed: what stdout may hold; a fragmented message may have been streamed
# up to the fault, but is never shown as complete (no delimiter).
@pytest.mark.parametrize("chunk,code,words,printed", [
    (frame(0x3, b"hello"), 1002, [r"opcode", r"0x0?3\b"], [b""]),
    (frame(0xB, b"hello"), 1002, [r"opcode", r"0x0?b\b"], [b""]),
    (frame(OP_TEXT, b"hello", rsv=4), 1002, [r"RSV1"], [b""]),
    (frame(OP_TEXT, b"hello", rsv=2), 1002, [r"RSV2"], [b""]),
    (frame(OP_TEXT, b"hello", rsv=1), 1002, [r"RSV3"], [b""]),
    (frame(OP_PING, b"p" * 126), 1002, [r"ping|control", r"12[56]"], [b""]),
    (frame(OP_PING, b"pi", fin=False) + frame(OP_CONT, b"ng"), 1002,
     [r"ping|control", r"fragment"], [b""]),
    (frame(OP_CONT, b"orphan"), 1002, [r"continu"], [b""]),
    (frame(OP_TEXT, b"he", fin=False) + frame(OP_TEXT, b"llo"), 1002,
     [r"text|data", r"fragment"], [b"", b"he"]),
    (b"\x82\x7f" + struct.pack("!Q", 1 << 63 | 5) + b"hello", 1002,
     [r"length"], [b""]),
    (frame(OP_CLOSE, b"\x03"), 1002, [r"close", r"\b1[- ]byte|one byte"],
     [b""]),
    (frame(OP_TEXT, b"ab\xff\xfecd"), 1007, [r"utf-?8"], [b""]),
    (frame(OP_TEXT, b"ab\xe6", fin=False) + frame(OP_CONT, b"\x97A"), 1007,
     [r"utf-?8"], [b"", b"ab", b"ab\xe6"]),
    (frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye \xff\xfe"), 1007,
     [r"utf-?8", r"reason|close"], [b""]),
], ids=["opcode-0x3", "opcode-0xB", "rsv1", "rsv2", "rsv3", "ping-126-bytes",
        "fragmented-ping", "continuation-without-start",
        "text-inside-fragmented-message", "64-bit-length-top-bit",
        "close-1-byte", "invalid-utf8-text", "invalid-utf8-across-fragments",
        "invalid-utf8-close-reason"])
def test_protocol_error_sends_close(chunk, code, words, printed):
    s = session(opening(b"", chunk))
    protocol_error(s, code, *words)
    assert s.out in printed, s


# --- 6. a violation after wsc's own Close --------------------------------------------

@pytest.mark.parametrize("late,words", [
    (frame(OP_TEXT, b"evil", mask=MASK) + close_frame(1000), [r"mask"]),
    (frame(0x3, b"hello") + close_frame(1000), [r"opcode"]),
    (frame(OP_TEXT, b"hello", rsv=2) + close_frame(1000), [r"RSV2"]),
    (close_frame(1005), [r"\b1005\b"]),
], ids=["masked-frame", "reserved-opcode", "rsv2", "close-code-1005"])
def test_violation_after_our_close_sends_no_second_close(late, words):
    """End of input: wsc sent its Close 1000; before answering it the
    server breaks the protocol. wsc sends nothing more, exits 1 and names
    the cause."""
    def serve(conn, frames):
        conn.send_raw(conn.accept_bytes())
        if echo_frames_until_close(conn, frames):
            conn.send_raw(late)
            collect(conn, frames, answer=False)

    s = session(serve, stdin=b"hi\n")
    no_crash(s)
    assert s.closes == [1000], "want exactly wsc's one Close 1000: %r" % (s,)
    assert s.rc == 1, s
    line = s.line()
    for w in words:
        assert re.search(w, line, re.I), line
    assert s.out == b"hi\n", s


# --- 7. optional whitespace in the response head --------------------------------------

@pytest.mark.parametrize("upgrade,accept", [
    ("Upgrade: websocket", "Sec-WebSocket-Accept:\t{} "),
    ("Upgrade:  websocket ", "Sec-WebSocket-Accept: {}"),
    ("Upgrade:\twebsocket\t", "Sec-WebSocket-Accept:  {}\t"),
], ids=["accept-tab-and-space", "upgrade-spaces", "both-tabs"])
def test_header_values_are_trimmed(upgrade, accept):
    def serve(conn, frames):
        key = conn.header("Sec-WebSocket-Key")
        conn.send_raw(("HTTP/1.1 101 Switching Protocols\r\n%s\r\n"
                       "Connection: Upgrade\r\n%s\r\n\r\n"
                       % (upgrade, accept.format(accept_for(key)))).encode())
        if echo_frames_until_close(conn, frames):
            conn.send_frame(OP_CLOSE, frames[-1][2][:2])

    s = session(serve, stdin=b"hi\n")
    no_crash(s)
    assert s.rc == 0, s
    assert s.err == b"", s
    assert s.out == b"hi\n", s
    assert s.closes == [1000], s


# --- 8. -P reports the server's Pings -------------------------------------------------

@pytest.mark.parametrize("args", [["-P"], ["-P", "-j"]], ids=["text", "jsonl"])
def test_show_ping_pong_reports_server_pings(args):
    def serve(conn, frames):
        conn.send_raw(conn.accept_bytes() + frame(OP_PING, b"hello-ping") +
                      frame(OP_TEXT, b"after"))
        conn.sock.settimeout(WAIT)
        try:
            while not frames or frames[-1][1] != OP_PONG:
                frames.append(conn.recv_frame())
        except (EOFError, OSError):
            return
        conn.send_raw(close_frame(1000))
        collect(conn, frames, answer=False)

    s = session(serve, args)
    no_crash(s)
    assert s.pongs == [b"hello-ping"], s
    assert s.rc == 0, s
    lines = s.err.decode("utf-8", "replace").splitlines()
    assert any(re.search(r"\bping\b", l, re.I) and
               re.search(r"hello-ping|\b10 bytes\b", l) for l in lines), \
        "no stderr line reports the server's Ping: %r" % (s,)
    if "-j" in args:
        ev = [json.loads(l) for l in s.out.decode().splitlines()]
        assert [e["data"] for e in ev if e["event"] == "ping"] == \
            ["hello-ping"], ev
        assert [e["data"] for e in ev if e["event"] == "message"] == \
            ["after"], ev
    else:
        assert s.out == b"after\n", s


# --- 9. --max-size from the frame head and across fragments ------------------------------

def over_max_size(s, printed):
    no_crash(s)
    assert s.closes == [1009], s
    assert s.rc == 1, s
    assert "--max-size" in s.line(), s
    assert s.out == printed, s


@pytest.mark.parametrize("head", [
    b"\x81\x7e" + struct.pack("!H", 2000),
    b"\x82\x7f" + struct.pack("!Q", 100000),
    b"\x82\x7f" + struct.pack("!Q", 1 << 40),
    frame(OP_TEXT, b"x" * 600, fin=False) + b"\x80\x7e" +
    struct.pack("!H", 600),
], ids=["text-2000", "binary-100000", "binary-1TiB", "second-fragment"])
def test_max_size_closes_from_the_frame_head(head):
    """Only the head is sent, then the server waits for wsc's Close: it
    must come without the payload. (An answer would be read as payload,
    so the server hangs up.)"""
    s = session(opening(frame(OP_TEXT, b"small"), head, hang_up=True),
                ["--max-size", "1000"])
    over_max_size(s, b"small\n")


@pytest.mark.parametrize("writes", ["one-write", "a-write-each"])
@pytest.mark.parametrize("op", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
def test_max_size_across_fragments_prints_nothing_of_the_message(op, writes):
    """3 fragments of 400 bytes, limit 1000: Close 1009 and no byte of the
    message on stdout; the small message before it is printed."""
    frags = [frame(op, b"a" * 400, fin=False),
             frame(OP_CONT, b"b" * 400, fin=False),
             frame(OP_CONT, b"c" * 400)]
    chunks = frags if writes == "a-write-each" else [b"".join(frags)]
    s = session(opening(frame(OP_TEXT, b"small"), *chunks),
                ["--max-size", "1000"])
    over_max_size(s, b"small\n")
