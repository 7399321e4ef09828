"""Server mode, `wsc -l [HOST:]PORT`: a chat room on the loopback.

Every test starts its own `wsc -l 127.0.0.1:0` (stdin a pipe), reads the
port from the `wsc: listening on 127.0.0.1:PORT` line with a deadline and
always terminates the server. Threads drain its stdout and stderr into
lists, so the server never blocks on a full pipe and tests wait for lines
with deadlines (never sleep as synchronisation).

Clients: python3-websockets, python3-websocket (its module and wsdump),
node-ws (servers/node_client.js), wsc itself in pipe mode, and raw sockets
(wsproto.Conn) wherever exact bytes or a client that never reads matter.
"""
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from harness import HERE, NODE_PATH, accept_for, finish, read_line, spawn
from wsproto import Conn, OP_CLOSE, OP_TEXT, frame

NODE = shutil.which("node")
WSDUMP = shutil.which("wsdump") or "/usr/bin/wsdump"

LISTENING = re.compile(r"wsc: listening on 127\.0\.0\.1:(\d+)")
# a join line: "client #1 joined from ..." (--plain, --echo) or, in a chat
# room, "guest-1 joined (client #1 from ...)"
JOINED = r"wsc: (?:\S+ joined \()?client #(\d+) (?:joined )?from 127\.0\.0\.1\)?"


# --- the server under test ---------------------------------------------------

class _Lines:
    """Lines of one pipe, collected by a thread; waited for with deadlines."""

    def __init__(self, f):
        self.lines = []
        self.eof = False
        self.pos = 0            # next_line() cursor
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._drain, args=(f,),
                                       daemon=True)
        self.thread.start()

    def _drain(self, f):
        try:
            for raw in f:
                with self.cond:
                    self.lines.append(raw.rstrip(b"\n"))
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred()
                if r is not None:
                    return r
                left = deadline - time.monotonic()
                if left <= 0 or (self.eof and pred() is None):
                    raise AssertionError(
                        "%s: not seen within %g s; lines so far: %r" %
                        (what, timeout, [l.decode("utf-8", "replace")
                                         for l in self.lines][-20:]))
                self.cond.wait(left)

    def next_line(self, timeout=10, what="next line"):
        def pred():
            if self.pos < len(self.lines):
                self.pos += 1
                return self.lines[self.pos - 1]
            return None
        return self._wait(pred, timeout, what)

    def search(self, pattern, timeout=10):
        """First line (anywhere so far) matching the regex; waits for it."""
        rx = re.compile(pattern)

        def pred():
            for l in self.lines:
                m = rx.search(l.decode("utf-8", "replace"))
                if m:
                    return m
            return None
        return self._wait(pred, timeout, "a line matching %r" % pattern)

    def text(self):
        with self.cond:
            return [l.decode("utf-8", "replace") for l in self.lines]

    def wait_eof(self, timeout=10):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "pipe still open"


class Listener:
    """`wsc -l AT ARGS` (AT: 127.0.0.1:0 unless at= says otherwise) with
    stdin a pipe; first= is the regex its first line must match (group 1:
    the port), and on 127.0.0.1 without -q the next one must give the chat
    page's URL; other keywords go to subprocess.Popen."""

    def __init__(self, *args, at="127.0.0.1:0", first=LISTENING, **spawn_kw):
        self.proc = spawn(["-l", at] + list(args), **spawn_kw)
        try:
            line = read_line(self.proc.stderr, 10, what="wsc -l")
            m = first.fullmatch(line)
            assert m, "first stderr line: %r" % line
            if first is LISTENING and "-q" not in args:
                page = read_line(self.proc.stderr, 10, what="wsc -l")
                assert page == "wsc: the chat page: http://127.0.0.1:%s/" \
                    % m.group(1), "second stderr line: %r" % page
        except BaseException:
            self.close()
            raise
        self.first = line
        self.port = int(m.group(1))
        self.url = "ws://127.0.0.1:%d/" % self.port
        self.out = _Lines(self.proc.stdout)
        self.err = _Lines(self.proc.stderr)

    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def joined(self, timeout=10):
        """Wait for the next 'client #N joined' line; return N."""
        while True:
            line = self.err.next_line(timeout, what="a client joining")
            m = re.match(JOINED, line.decode("utf-8", "replace"))
            if m:
                return int(m.group(1))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send sig; return the exit status (must come within timeout)."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def close(self):
        finish(self.proc, readers=[lines.thread for lines in
                                   (getattr(self, "out", None),
                                    getattr(self, "err", None)) if lines])


@pytest.fixture
def listen():
    """listen(*args) -> a started Listener; every one is terminated, and
    none may have reported a sanitizer error (ASan/UBSan builds)."""
    started = []

    def start(*args, **kw):
        srv = Listener(*args, **kw)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()
    for srv in started:
        bad = [l for l in srv.err.text() if "Sanitizer" in l or
               "runtime error:" in l]
        assert not bad, "wsc -l reported: %r" % bad


@pytest.fixture
def procs():
    """Child processes a test starts; all are killed at the end."""
    ps = []
    yield ps
    for p in ps:
        finish(p, sig=signal.SIGKILL)


# --- raw clients -------------------------------------------------------------

def raw_connect(port, protocols=None, path="/", rcvbuf=None, timeout=10,
                extensions=None):
    """Open a WebSocket by hand; returns (conn, key). conn.request_line is
    the status line, conn.headers the response headers, conn.buf what
    followed them."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
             "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if protocols is not None:
        lines.append("Sec-WebSocket-Protocol: " + protocols)
    if extensions is not None:
        lines.append("Sec-WebSocket-Extensions: " + extensions)
    c = Conn(s)
    c.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode())
    c.read_request()
    return c, key


def status_of(conn):
    return int(conn.request_line.split()[1])


def send_text(conn, data):
    conn.send_frame(OP_TEXT, data, mask=os.urandom(4))


def send_close(conn, code=1000):
    conn.send_frame(OP_CLOSE, struct.pack("!H", code), mask=os.urandom(4))


def masked_text(data):
    """One masked text frame, as a client sends it."""
    if isinstance(data, str):
        data = data.encode()
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    m = (mask * (n // 4 + 1))[:n]
    body = (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")).to_bytes(
        n, "big")
    return head + mask + body


def recv_until_close(conn):
    """Data messages until the Close; returns (messages, close payload)."""
    msgs = []
    while True:
        op, data = conn.recv_message()
        if op == OP_CLOSE:
            return msgs, data
        msgs.append(data)


def wait_eof(conn):
    """The server closed the TCP connection (EOF or reset), within the
    socket timeout; anything still unread is discarded."""
    conn.buf = b""
    while True:
        try:
            if not conn.sock.recv(65536):
                return
        except ConnectionResetError:
            return


class Reader:
    """A python3-websocket client reading in a thread."""

    def __init__(self, url, **kw):
        import websocket
        self.ws = websocket.create_connection(url, timeout=20, **kw)
        self.msgs = []
        self.closed = None      # exception or "close" when reading ended
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import websocket
        try:
            while True:
                op, data = self.ws.recv_data(control_frame=False)
                if op == websocket.ABNF.OPCODE_CLOSE:
                    with self.cond:
                        self.closed = "close %r" % data
                        self.cond.notify_all()
                    return
                if op == websocket.ABNF.OPCODE_TEXT:
                    data = data.decode("utf-8")
                with self.cond:
                    self.msgs.append(data)
                    self.cond.notify_all()
        except Exception as e:  # noqa: BLE001 - reported by wait()
            with self.cond:
                self.closed = e
                self.cond.notify_all()

    def wait(self, n, timeout=20):
        """Until n messages arrived; fails early when the connection ends."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.msgs) < n:
                left = deadline - time.monotonic()
                if self.closed is not None or left <= 0:
                    raise AssertionError(
                        "%d of %d messages, then %s" %
                        (len(self.msgs), n, self.closed or "timeout"))
                self.cond.wait(left)

    def count(self):
        with self.cond:
            return len(self.msgs)

    def close(self):
        try:
            self.ws.close(timeout=2)
        except Exception:  # noqa: BLE001
            pass


# --- chat: python3-websockets ------------------------------------------------

def test_two_python_clients_chat(listen):
    """In a chat room (the default) each is named and told who came; what
    one says reaches the other, and the console, as NAME: TEXT; the
    console's lines come as host: TEXT."""
    import websockets
    srv = listen()

    async def main():
        async def recv(ws):
            return await asyncio.wait_for(ws.recv(), 10)

        a = await websockets.connect(srv.url)
        ida = srv.joined()
        assert await recv(a) == ("* you are guest-1; send /nick NAME to "
                                 "change your name")
        b = await websockets.connect(srv.url)
        idb = srv.joined()
        assert (ida, idb) == (1, 2)
        assert await recv(b) == ("* you are guest-2; send /nick NAME to "
                                 "change your name")
        assert await recv(a) == "* guest-2 joined"

        await a.send("hello from A")
        assert await recv(b) == "guest-1: hello from A"
        assert srv.out.next_line() == b"guest-1: hello from A"

        srv.send("from the server")
        # A's next message is this one: its own was not sent back to it
        assert await recv(a) == "host: from the server"
        assert await recv(b) == "host: from the server"

        await b.send("hello from B")
        assert await recv(a) == "guest-2: hello from B"
        assert srv.out.next_line() == b"guest-2: hello from B"

        srv.send("bye")
        assert await recv(a) == "host: bye"
        assert await recv(b) == "host: bye"
        await a.close()
        assert await recv(b) == "* guest-1 left"
        await b.close()

    asyncio.run(asyncio.wait_for(main(), 30))
    srv.err.search(r"wsc: guest-1 left \(client #1 from 127\.0\.0\.1\)")
    srv.err.search(r"wsc: guest-2 left \(client #2 from 127\.0\.0\.1\)")
    assert srv.stop() == 0
    srv.out.wait_eof()
    # the server printed the clients' messages, not its own input
    assert srv.out.text() == ["guest-1: hello from A", "guest-2: hello from B"]


def test_two_python_clients_plain(listen):
    """--plain: the same room as a byte hub, nothing added or said."""
    import websockets
    srv = listen("--plain")

    async def main():
        async def recv(ws):
            return await asyncio.wait_for(ws.recv(), 10)

        a = await websockets.connect(srv.url)
        ida = srv.joined()
        b = await websockets.connect(srv.url)
        idb = srv.joined()
        assert (ida, idb) == (1, 2)

        await a.send("hello from A")
        assert await recv(b) == "hello from A"
        assert srv.out.next_line() == b"hello from A"

        srv.send("from the server")
        # A's first message is this one: its own was not sent back to it
        assert await recv(a) == "from the server"
        assert await recv(b) == "from the server"

        await b.send("/nick bob")       # a message like any other
        assert await recv(a) == "/nick bob"
        assert srv.out.next_line() == b"/nick bob"

        srv.send("bye")
        assert await recv(a) == "bye"
        assert await recv(b) == "bye"
        await a.close()
        srv.err.search(r"wsc: client #1 \(127\.0\.0\.1\) left")
        srv.send("last")
        assert await recv(b) == "last"  # no "left" came before it
        await b.close()

    asyncio.run(asyncio.wait_for(main(), 30))
    srv.err.search(r"wsc: client #2 \(127\.0\.0\.1\) left")
    assert srv.stop() == 0
    srv.out.wait_eof()
    assert srv.out.text() == ["hello from A", "/nick bob"]


# --- chat: wsdump, node-ws and wsc -------------------------------------------

def test_wsdump_node_and_wsc_chat(listen, procs):
    if not os.path.exists(WSDUMP):
        pytest.skip("wsdump (python3-websocket) is not installed")
    if not NODE:
        pytest.skip("node is not installed")
    srv = listen("--plain")     # every client gets exactly the bytes sent

    w = spawn([srv.url, "-w", "inf"])
    procs.append(w)
    assert srv.joined() == 1
    d = subprocess.Popen([WSDUMP, "-r", srv.url], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(d)
    assert srv.joined() == 2
    env = dict(os.environ, NODE_PATH=NODE_PATH)
    n = subprocess.Popen([NODE, os.path.join(HERE, "servers",
                                             "node_client.js"), srv.url],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    procs.append(n)
    assert read_line(n.stderr, 10, "node client") == "open -"
    assert srv.joined() == 3

    def say(p, line):
        p.stdin.write(line.encode() + b"\n")
        p.stdin.flush()

    def hears(p, line, who):
        assert read_line(p.stdout, 10, who) == line

    say(w, "wsc says hi")
    hears(d, "wsc says hi", "wsdump")
    hears(n, "wsc says hi", "node")
    assert srv.out.next_line() == b"wsc says hi"

    say(d, "wsdump says hi")
    hears(w, "wsdump says hi", "wsc")
    hears(n, "wsdump says hi", "node")
    assert srv.out.next_line() == b"wsdump says hi"

    say(n, "node says hi")
    hears(w, "node says hi", "wsc")
    hears(d, "node says hi", "wsdump")
    assert srv.out.next_line() == b"node says hi"

    srv.send("server says hi")
    hears(w, "server says hi", "wsc")
    hears(d, "server says hi", "wsdump")
    hears(n, "server says hi", "node")

    # node leaves cleanly; the others do not hear their own lines
    n.stdin.close()
    assert n.wait(10) == 0
    assert read_line(n.stderr, 10, "node client") == "close 1000"
    srv.err.search(r"wsc: client #3 \(127\.0\.0\.1\) left")
    say(w, "still here")
    hears(d, "still here", "wsdump")
    d.stdin.close()
    assert d.wait(10) == 0
    srv.err.search(r"wsc: client #2 \(127\.0\.0\.1\) left")

    # wsc -w inf stays until the server goes: 1001 is a clean close
    w.stdin.close()
    assert srv.stop() == 0
    assert w.wait(10) == 0
    assert w.stdout.read() == b""
    assert srv.out.next_line() == b"still here"


def test_websocket_module_and_wsc_chat(listen, procs):
    """python3-websocket's create_connection against a wsc client."""
    import websocket
    srv = listen("--plain")
    w = spawn([srv.url, "-w", "inf"])
    procs.append(w)
    srv.joined()
    ws = websocket.create_connection(srv.url, timeout=10)
    srv.joined()
    try:
        ws.send("from the module")
        assert read_line(w.stdout, 10, "wsc") == "from the module"
        w.stdin.write(b"from wsc\n")
        w.stdin.flush()
        assert ws.recv() == "from wsc"
        srv.send("from the server")
        assert ws.recv() == "from the server"
        assert read_line(w.stdout, 10, "wsc") == "from the server"
    finally:
        ws.close()
    w.stdin.close()
    assert srv.stop() == 0
    assert w.wait(10) == 0


@pytest.mark.parametrize("mode", ["plain", "chat"])
def test_input_line_over_max_size_is_dropped_with_one_line(listen, mode):
    """An input line longer than --max-size is not held growing (stdin
    could be endless, as /dev/zero is): one line says so, the line is not
    sent, and the next line is. In a chat room the limit is on the line,
    not on the "host: " in front of it."""
    import websocket
    srv = listen("--max-size", "1000", *(["--plain"] if mode == "plain"
                                         else []))
    lead = "host: " if mode == "chat" else ""
    ws = websocket.create_connection(srv.url, timeout=10)
    srv.joined()
    try:
        if mode == "chat":
            assert ws.recv().startswith("* you are guest-1;")
        for _ in range(8):      # in several pieces, said once
            srv.proc.stdin.write(b"x" * 700)
            srv.proc.stdin.flush()
        srv.send("")            # its end
        srv.send("after it")
        assert ws.recv() == lead + "after it"
        srv.send("y" * 1000)    # exactly --max-size is sent
        assert ws.recv() == lead + "y" * 1000
        srv.send("z" * 1001)    # one more is not
        srv.send("end")
        assert ws.recv() == lead + "end"
    finally:
        ws.close()
    assert srv.stop() == 0
    said = [l for l in srv.err.text() if "--max-size" in l]
    assert said == ["wsc: an input line longer than 1000 bytes "
                    "(--max-size) is not sent"] * 2, said


# --- --echo ------------------------------------------------------------------

def test_echo_wsc_client_gets_its_lines_back(listen, procs):
    srv = listen("--echo")
    w = spawn([srv.url])
    procs.append(w)
    srv.joined()
    lines = ["line %d of the echo test" % i for i in range(100)]
    w.stdin.write("".join(l + "\n" for l in lines).encode())
    w.stdin.flush()
    for l in lines:
        assert read_line(w.stdout, 10, "wsc") == l
    w.stdin.close()
    assert w.wait(10) == 0
    assert w.stdout.read() == b""
    for l in lines:
        assert srv.out.next_line() == l.encode()


def test_echo_five_clients_each_get_only_their_own(listen, procs):
    srv = listen("--echo")
    ws = []
    for i in range(5):
        w = spawn([srv.url])
        procs.append(w)
        ws.append(w)
    assert sorted(srv.joined() for _ in ws) == [1, 2, 3, 4, 5]
    mine = [["client %d line %d" % (i, k) for k in range(20)]
            for i in range(5)]
    for k in range(20):         # interleaved, all connected at once
        for i, w in enumerate(ws):
            w.stdin.write(mine[i][k].encode() + b"\n")
            w.stdin.flush()
    for i, w in enumerate(ws):
        for line in mine[i]:
            assert read_line(w.stdout, 10, "client %d" % i) == line
    for w in ws:
        w.stdin.close()
    for i, w in enumerate(ws):
        assert w.wait(10) == 0
        assert w.stdout.read() == b"", "client %d got more" % i
    assert sorted(l.decode() for l in srv.out.lines) == \
        sorted(sum(mine, []))


def test_echo_messages_before_close_are_echoed_before_the_close(listen):
    """200 messages then Close, in one write: every echo must come back
    before the server's Close (they were received before the Close)."""
    srv = listen("--echo")
    c, _ = raw_connect(srv.port)
    srv.joined()
    sent = [b"echo %d" % i for i in range(200)]
    c.send_raw(b"".join(masked_text(m) for m in sent) +
               b"\x88\x82\0\0\0\0" + struct.pack("!H", 1000))
    got, close = recv_until_close(c)
    c.close()
    assert close[:2] == struct.pack("!H", 1000)
    assert got == sent


# --- -j ----------------------------------------------------------------------

def test_jsonl_message_events_carry_client_ids(listen):
    srv = listen("-j", "--plain")
    a = Reader(srv.url)
    ida = srv.joined()
    b = Reader(srv.url)
    idb = srv.joined()
    try:
        a.ws.send("from a")
        b.wait(1)
        b.ws.send("from b")
        a.wait(1)
        b.ws.send_binary(b"\x00\x01\xff")
        a.wait(2)
        events = [json.loads(srv.out.next_line()) for _ in range(3)]
    finally:
        a.close()
        b.close()
    assert [(e["event"], e["client"], e["type"], e["data"])
            for e in events] == [
        ("message", ida, "text", "from a"),
        ("message", idb, "text", "from b"),
        ("message", idb, "binary", base64.b64encode(b"\x00\x01\xff")
         .decode()),
    ]
    assert ida != idb
    assert a.msgs == ["from b", b"\x00\x01\xff"] and b.msgs == ["from a"]


# --- subprotocols ------------------------------------------------------------

def test_subprotocol_offered_is_chosen(listen):
    import websockets
    srv = listen("-s", "chat")

    async def main():
        ws = await websockets.connect(srv.url, subprotocols=["chat"])
        try:
            assert ws.subprotocol == "chat"
        finally:
            await ws.close()
    asyncio.run(asyncio.wait_for(main(), 10))
    srv.err.search(r"wsc: guest-1 joined \(client #1 from 127\.0\.0\.1, "
                   r"subprotocol chat\)$")

    c, key = raw_connect(srv.port, protocols="other, chat")
    assert status_of(c) == 101
    assert c.header("Sec-WebSocket-Accept") == accept_for(key)
    assert c.header("Sec-WebSocket-Protocol") == "chat"
    c.close()


def test_client_offering_only_other_is_accepted_without_one(listen):
    srv = listen("-s", "chat", "--plain")
    c, key = raw_connect(srv.port, protocols="other")
    assert status_of(c) == 101, c.request_line
    assert c.header("Sec-WebSocket-Accept") == accept_for(key)
    assert c.header("Sec-WebSocket-Protocol") is None
    assert srv.joined() == 1
    # and it is a full member of the room
    send_text(c, "no protocol here")
    assert srv.out.next_line() == b"no protocol here"
    srv.send("welcome")
    assert c.recv_message() == (OP_TEXT, b"welcome")
    send_close(c)
    assert recv_until_close(c) == ([], struct.pack("!H", 1000))
    c.close()


def test_python_websockets_offering_other_gets_no_protocol(listen):
    import websockets
    srv = listen("-s", "chat", "--plain")

    async def main():
        ws = await websockets.connect(srv.url, subprotocols=["other"])
        try:
            assert ws.subprotocol is None
            assert "Sec-WebSocket-Protocol" not in ws.response_headers
            srv.send("hi")
            assert await asyncio.wait_for(ws.recv(), 10) == "hi"
        finally:
            await ws.close()
    asyncio.run(asyncio.wait_for(main(), 10))


def test_require_subprotocol_refuses_other_with_400(listen):
    srv = listen("-s", "chat", "--require-subprotocol")
    c, _ = raw_connect(srv.port, protocols="other")
    assert status_of(c) == 400, c.request_line
    assert c.header("Sec-WebSocket-Protocol") is None
    c.close()
    c, _ = raw_connect(srv.port)  # offering none at all
    assert status_of(c) == 400, c.request_line
    c.close()
    # a client offering chat is still welcome
    c, key = raw_connect(srv.port, protocols="chat")
    assert status_of(c) == 101, c.request_line
    assert c.header("Sec-WebSocket-Protocol") == "chat"
    assert srv.joined() == 1    # the refused ones never joined
    c.close()


# --- HTTP --------------------------------------------------------------------

def test_get_root_serves_the_chat_page(listen):
    import http.client
    srv = listen()
    h = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    h.request("GET", "/")
    r = h.getresponse()
    body = r.read()
    h.close()
    assert r.status == 200
    assert r.getheader("Content-Type").split(";")[0].strip() == "text/html"
    assert b"<title>wsc chat</title>" in body
    assert int(r.getheader("Content-Length")) == len(body)


def test_get_other_path_is_404(listen):
    import http.client
    srv = listen()
    h = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    h.request("GET", "/nope")
    r = h.getresponse()
    r.read()
    h.close()
    assert r.status == 404


# --- a slow client -----------------------------------------------------------
#
# A reader that is merely slower than a burst is waited for; a client more
# than its allowance (1 MiB) behind that does not take that much within the
# deadline (5 s) is dropped ("too slow") with Close 1008 after the frame it
# was being sent, and the others carry on. Reading at last, it finds that
# Close (the room waits for it to read, then for its FIN).

N_MSGS = 3072
MSG_SIZE = 1024                 # 3 MiB in all
N_SLOW = 8192                   # 8 MiB: more than the kernel's buffers take


def messages(n=N_MSGS):
    return [("%06d " % i).ljust(MSG_SIZE, "x") for i in range(n)]


def burst(srv, source, msgs):
    """Send msgs at once, from the server's stdin or from a raw client that
    joins for that; returns that client (or None)."""
    sender = None
    if source == "stdin":
        blob = "".join(m + "\n" for m in msgs).encode()

        def write():
            try:
                srv.proc.stdin.write(blob)
                srv.proc.stdin.flush()
            except (OSError, ValueError):
                pass            # the server went away: the test says why
    else:
        sender, _ = raw_connect(srv.port)
        srv.joined()
        frames = b"".join(masked_text(m) for m in msgs)

        def write():
            try:
                sender.send_raw(frames)
            except OSError:
                pass
    threading.Thread(target=write, daemon=True).start()
    return sender


def too_slow(client_id):
    return r"wsc: client #%d \(127\.0\.0\.1\) is too slow" % client_id


@pytest.mark.parametrize("source", ["stdin", "client"])
def test_slow_client_is_dropped_others_get_everything(listen, source):
    srv = listen("--plain")
    # a client that completes the handshake and never reads (small receive
    # buffer, so the kernel takes little on its behalf)
    slow, _ = raw_connect(srv.port, rcvbuf=4096)
    assert status_of(slow) == 101
    slow_id = srv.joined()
    fast = Reader(srv.url)
    srv.joined()
    msgs = messages(N_SLOW)
    sender = burst(srv, source, msgs)
    try:
        fast.wait(N_SLOW, timeout=20)
        assert fast.msgs == msgs        # all of them, in order
        # the slow one was let go without ever reading again
        srv.err.search(too_slow(slow_id))
        assert [l for l in srv.err.text() if "too slow" in l and
                not re.search(too_slow(slow_id), l)] == []
        # the room goes on
        srv.send("after")
        fast.wait(N_SLOW + 1)
        assert fast.msgs[-1] == "after"
    finally:
        fast.close()
        if sender:
            sender.close()
    # reading at last, the slow one finds a prefix, in order, then Close
    got, close = recv_until_close(slow)
    assert close == struct.pack("!H", 1008) + b"too slow"
    wait_eof(slow)
    slow.close()
    srv.err.search(r"wsc: client #%d \(127\.0\.0\.1\) left" % slow_id)
    assert len(got) < N_SLOW
    assert got == [m.encode() for m in msgs[:len(got)]]


@pytest.mark.parametrize("source", ["stdin", "client"])
def test_burst_does_not_drop_a_reading_client(listen, source):
    """3 MiB at once: a reader slower than the source is waited for."""
    srv = listen("--plain")
    fast = Reader(srv.url)
    srv.joined()
    msgs = messages()
    sender = burst(srv, source, msgs)
    try:
        fast.wait(N_MSGS, timeout=20)
        assert fast.msgs == msgs
    finally:
        fast.close()
        if sender:
            sender.close()
    assert not any("too slow" in l for l in srv.err.text())


@pytest.mark.parametrize("source", ["stdin", "client"])
def test_message_over_1mib_reaches_a_reading_client(listen, source):
    srv = listen("--plain")
    fast = Reader(srv.url)
    srv.joined()
    big = "y" * (2 * 1024 * 1024)
    sender = burst(srv, source, [big])
    try:
        fast.wait(1, timeout=20)
        assert fast.msgs == [big]
    finally:
        fast.close()
        if sender:
            sender.close()
    assert not any("too slow" in l for l in srv.err.text())


# --- signals -----------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_signal_closes_every_client_with_1001(listen, sig):
    srv = listen("--plain")
    a, _ = raw_connect(srv.port)
    srv.joined()
    b, _ = raw_connect(srv.port)
    srv.joined()
    srv.proc.send_signal(sig)
    for c in (a, b):
        msgs, close = recv_until_close(c)
        assert msgs == []
        assert struct.unpack("!H", close[:2])[0] == 1001
        send_close(c, 1001)
    assert srv.proc.wait(10) == 0
    for c in (a, b):
        wait_eof(c)
        c.close()


def test_signal_with_no_clients_exits_0(listen):
    srv = listen()
    assert srv.stop(signal.SIGTERM) == 0


# --- joins and leaves --------------------------------------------------------

def leave(c):
    """c sends Close 1000 and leaves cleanly: once the server has closed
    the TCP connection the leave is done. Returns the messages c got
    before the server's Close."""
    send_close(c)
    msgs, close = recv_until_close(c)
    assert close == struct.pack("!H", 1000)
    wait_eof(c)
    c.close()
    return msgs


def chat_once_and_leave(srv, said=b"hello"):
    """Join, send a message (seen on the server's stdout as said), leave
    cleanly; returns what it was sent."""
    c, _ = raw_connect(srv.port)
    send_text(c, "hello")
    assert srv.out.next_line() == said
    return leave(c)


@pytest.mark.parametrize("mode", ["chat", "plain"])
def test_joins_and_leaves_are_reported(listen, mode):
    """By name in a chat room, by number with --plain."""
    chat = mode == "chat"
    srv = listen(*([] if chat else ["--plain"]))
    lines = [
        "wsc: guest-1 joined (client #1 from 127.0.0.1)",
        "wsc: guest-1 left (client #1 from 127.0.0.1)",
        "wsc: guest-2 joined (client #2 from 127.0.0.1)",
        "wsc: guest-2 left (client #2 from 127.0.0.1)",
    ] if chat else [
        "wsc: client #1 joined from 127.0.0.1",
        "wsc: client #1 (127.0.0.1) left",
        "wsc: client #2 joined from 127.0.0.1",
        "wsc: client #2 (127.0.0.1) left",
    ]
    assert chat_once_and_leave(srv, b"guest-1: hello" if chat else
                               b"hello") == ([
        b"* you are guest-1; send /nick NAME to change your name"]
        if chat else [])
    srv.err.search("^%s$" % re.escape(lines[0]))
    srv.err.search("^%s$" % re.escape(lines[1]))
    # a client still there at shutdown leaves too
    c, _ = raw_connect(srv.port)
    srv.err.search("^%s$" % re.escape(lines[2]))
    srv.proc.send_signal(signal.SIGTERM)
    recv_until_close(c)
    send_close(c, 1001)
    assert srv.proc.wait(10) == 0
    srv.err.wait_eof()
    c.close()
    assert srv.err.text() == lines


def test_quiet_silences_joins_and_leaves(listen):
    srv = listen("-q")
    chat_once_and_leave(srv, b"guest-1: hello")
    c, _ = raw_connect(srv.port)
    send_text(c, "second")
    assert srv.out.next_line() == b"guest-2: second"
    srv.proc.send_signal(signal.SIGTERM)
    recv_until_close(c)
    send_close(c, 1001)
    assert srv.proc.wait(10) == 0
    srv.err.wait_eof()
    c.close()
    assert srv.err.text() == []


# --- where it listens --------------------------------------------------------

ANY_LISTENING = re.compile(r"wsc: listening on (?:\S+):(\d+)")


def bound(port):
    """The local addresses of the sockets listening on TCP port, as ss
    prints them (127.0.0.1:P, [::1]:P, 0.0.0.0:P, [::]:P; *:P is a
    dual-stack [::])."""
    out = subprocess.run(["ss", "-ltnH", "sport = :%d" % port],
                         capture_output=True, text=True, timeout=10,
                         check=True).stdout
    return sorted(line.split()[3] for line in out.splitlines())


def refused_connect(family, host, port):
    s = socket.socket(family)
    s.settimeout(10)
    try:
        with pytest.raises(ConnectionRefusedError):
            s.connect((host, port))
    finally:
        s.close()


def http_get(family, host, port):
    s = socket.socket(family)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = s.recv(64)
    s.close()
    return head.split(b"\r\n")[0]


@pytest.mark.parametrize("at, shown", [
    ("127.0.0.1:0", "127.0.0.1"),
    ("0", "127.0.0.1"),                 # the default host
    ("[::1]:0", "[::1]"),
    ("0.0.0.0:0", "0.0.0.0"),
    ("[::]:0", "[::]"),
], ids=["ipv4", "default", "ipv6", "any-ipv4", "any-ipv6"])
def test_binds_exactly_the_address_it_prints(listen, at, shown):
    srv = listen(at=at, first=ANY_LISTENING)
    assert srv.first == "wsc: listening on %s:%d" % (shown, srv.port)
    # the page is at an address a browser here reaches: every interface's
    # is shown as the loopback one of its family
    page = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(shown, shown)
    assert srv.err.next_line().decode() == \
        "wsc: the chat page: http://%s:%d/" % (page, srv.port)
    assert bound(srv.port) == ["%s:%d" % (shown, srv.port)]
    v4 = shown in ("127.0.0.1", "0.0.0.0")
    # the family it names answers, the other one is not listened on
    if v4:
        assert http_get(socket.AF_INET, "127.0.0.1", srv.port) == \
            b"HTTP/1.1 200 OK"
        refused_connect(socket.AF_INET6, "::1", srv.port)
    else:
        assert http_get(socket.AF_INET6, "::1", srv.port) == \
            b"HTTP/1.1 200 OK"
        refused_connect(socket.AF_INET, "127.0.0.1", srv.port)


def test_the_page_line_names_where_the_page_is_served(listen):
    """The line after the listening one is the chat page's URL, and that
    URL serves it; the how-to-talk line is for a terminal only, so a piped
    room says no more until a client comes."""
    srv = listen()      # Listener has read the page line
    head = http_get(socket.AF_INET, "127.0.0.1", srv.port)
    assert head == b"HTTP/1.1 200 OK"
    c, _ = raw_connect(srv.port)
    assert re.fullmatch(JOINED, srv.err.next_line().decode())
    c.close()


def test_quiet_room_prints_only_the_listening_line(listen):
    srv = listen("-q")
    c, _ = raw_connect(srv.port)
    send_text(c, b"hi")
    assert srv.out.next_line() == b"guest-1: hi"
    c.close()
    assert srv.stop() == 0
    srv.err.wait_eof()
    assert srv.err.text() == []


def resolved(name):
    """name's addresses as wsc prints them, in getaddrinfo order."""
    seen = []
    for fam, _, _, _, sa in socket.getaddrinfo(name, None,
                                               type=socket.SOCK_STREAM):
        a = "[%s]" % sa[0] if fam == socket.AF_INET6 else sa[0]
        if fam in (socket.AF_INET, socket.AF_INET6) and a not in seen:
            seen.append(a)
    return seen


@pytest.mark.parametrize("name", ["localhost", "0"])
def test_host_name_is_resolved_and_each_address_bound(listen, name):
    want = resolved(name)               # localhost: 127.0.0.1 and/or ::1
    srv = listen(at=name + ":0", first=ANY_LISTENING)
    lines = [srv.first] + [srv.err.next_line().decode()
                           for _ in want[1:]]
    assert lines == ["wsc: listening on %s:%d" % (a, srv.port)
                     for a in want]
    assert bound(srv.port) == sorted("%s:%d" % (a, srv.port) for a in want)
    # and it is a working room on every one of them
    for a in want:
        fam = socket.AF_INET6 if a.startswith("[") else socket.AF_INET
        host = "127.0.0.1" if a == "0.0.0.0" else a.strip("[]")
        assert http_get(fam, host, srv.port) == b"HTTP/1.1 200 OK"


def with_hosts(tmp_path, hosts, argv):
    """argv in a mount namespace of its own whose /etc/hosts is hosts
    (unshare(1) as root); skips where that is not possible."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or not unshare:
        pytest.skip("needs root and unshare(1) for a private /etc/hosts")
    f = tmp_path / "hosts"
    f.write_text(hosts)
    probe = subprocess.run([unshare, "-m", "sh", "-c",
                            'mount --bind "$0" /etc/hosts', str(f)],
                           capture_output=True, timeout=20)
    if probe.returncode:
        pytest.skip("no private mount namespace: %r" % probe.stderr)
    import harness
    return subprocess.Popen(
        harness.in_private_etc([harness.WSC] + argv, {"/etc/hosts": f}),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)


def test_localhost_with_both_addresses_binds_both_on_one_port(tmp_path):
    p = with_hosts(tmp_path, "::1 localhost\n127.0.0.1 localhost\n",
                   ["-l", "localhost:0"])
    try:
        first = read_line(p.stderr, 10, "wsc -l localhost:0")
        m = re.fullmatch(r"wsc: listening on \[::1\]:(\d+)", first)
        assert m, first
        port = int(m.group(1))
        assert read_line(p.stderr, 10, "wsc -l") == \
            "wsc: listening on 127.0.0.1:%d" % port
        assert bound(port) == ["127.0.0.1:%d" % port, "[::1]:%d" % port]
        assert http_get(socket.AF_INET6, "::1", port) == b"HTTP/1.1 200 OK"
        assert http_get(socket.AF_INET, "127.0.0.1", port) == \
            b"HTTP/1.1 200 OK"
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
    finally:
        finish(p, sig=signal.SIGKILL)


def test_localhost_port_in_use_on_one_of_its_addresses_fails(tmp_path):
    s = socket.socket(socket.AF_INET6)
    s.bind(("::1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        p = with_hosts(tmp_path, "127.0.0.1 localhost\n::1 localhost\n",
                       ["-l", "localhost:%d" % port])
        rc, out, err = finish(p, 20, sig=None)
        assert (rc, out, err.decode()) == (
            1, b"", "wsc: cannot listen on localhost:%d: Address already in "
            "use\n" % port)
    finally:
        s.close()


def cannot_listen(at, **kw):
    rc, out, err = finish(spawn(["-l", at], stdin=subprocess.DEVNULL, **kw),
                          20, sig=None)
    return rc, out, err.decode()


def test_port_in_use_is_one_line_and_exit_1():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        for at, shown in [("127.0.0.1:%d" % port, "127.0.0.1"),
                          ("%d" % port, "127.0.0.1"),
                          ("localhost:%d" % port, "localhost")]:
            rc, out, err = cannot_listen(at)
            assert (rc, out, err) == (1, b"", "wsc: cannot listen on %s:%d: "
                                      "Address already in use\n" %
                                      (shown, port)), at
    finally:
        s.close()


def test_ipv6_port_in_use_is_one_line_and_exit_1():
    s = socket.socket(socket.AF_INET6)
    s.bind(("::1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        rc, out, err = cannot_listen("[::1]:%d" % port)
        assert (rc, err) == (1, "wsc: cannot listen on [::1]:%d: "
                             "Address already in use\n" % port)
    finally:
        s.close()


def test_unresolvable_or_foreign_address_is_one_line_and_exit_1():
    rc, out, err = cannot_listen("nosuch.invalid:8081")
    assert rc == 1 and out == b""
    assert re.fullmatch(r"wsc: cannot listen on nosuch\.invalid:8081: "
                        r"[^\n]+\n", err), err
    # an address of no interface here (TEST-NET-1)
    rc, out, err = cannot_listen("192.0.2.1:8081")
    assert (rc, err) == (1, "wsc: cannot listen on 192.0.2.1:8081: "
                         "Cannot assign requested address\n")


@pytest.mark.parametrize("at", ["::1", "::1:0", "fe80::1:8081", "[::1]"])
def test_ipv6_without_brackets_is_a_usage_error(at):
    # '::1' is no host ':' with port 1, '::1:0' no [::1]:0: only a bracketed
    # IPv6 address is a host
    rc, out, err = cannot_listen(at)
    assert (rc, out, err) == (2, b"", "wsc: --listen: expected [HOST:]PORT "
                              "(an IPv6 address in brackets): '%s'\n" % at)


@pytest.mark.parametrize("at", ["abc", "65536", "-1", "", ":8081",
                                "localhost:", "[]:8081", "[::1]:",
                                "h" * 128 + ":8081"])
def test_malformed_listen_address_is_a_usage_error(at):
    rc, out, err = cannot_listen(at)
    assert (rc, out, err) == (2, b"", "wsc: --listen: expected [HOST:]PORT "
                              "(an IPv6 address in brackets): '%s'\n" % at)


def test_malformed_listen_address_is_refused_as_it_is_read():
    # like any option's bad value: before the rules between options, here
    # that a client option has no place with --listen
    rc, out, err = finish(spawn(["-l", "abc", "-H", "X-A: b"],
                                stdin=subprocess.DEVNULL), 20, sig=None)
    assert (rc, out, err.decode()) == (
        2, b"", "wsc: --listen: expected [HOST:]PORT (an IPv6 address in "
        "brackets): 'abc'\n")


def test_privileged_port_without_permission_is_one_line_and_exit_1():
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0:
        if not setpriv:
            pytest.skip("root without setpriv(1)")
        # as nobody, who may not bind ports below 1024
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        argv = []
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        if int(f.read()) <= 81:
            pytest.skip("ports below 1024 are not privileged here")
    import harness
    p = subprocess.Popen(argv + [harness.WSC, "-l", "127.0.0.1:81"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    rc, out, err = finish(p, 20, sig=None)
    assert (rc, out, err.decode()) == (
        1, b"", "wsc: cannot listen on 127.0.0.1:81: Permission denied\n")


# --- refused handshakes are reported -----------------------------------------

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def raw_request(port, head):
    """Send a request head as is; return the status line (b"" if the
    connection was closed without an answer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(head.encode())
    got = b""
    try:
        while b"\r\n" not in got:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    s.close()
    return got.split(b"\r\n")[0]


def refusal(srv):
    """The next stderr line, which must be a refusal; returns its reason."""
    line = srv.err.next_line(what="a refusal").decode()
    m = re.fullmatch(r"wsc: refused a client from 127\.0\.0\.1: (.+)", line)
    assert m, line
    return m.group(1)


def test_refused_subprotocol_is_reported_with_address_and_reason(listen):
    srv = listen("-s", "chat", "-s", "superchat", "--require-subprotocol")
    c, _ = raw_connect(srv.port, protocols="other")
    assert status_of(c) == 400
    c.close()
    assert refusal(srv) == ("it offered subprotocol other, none of "
                            "chat,superchat (HTTP 400)")
    c, _ = raw_connect(srv.port)
    assert status_of(c) == 400
    c.close()
    assert refusal(srv) == ("it offered no subprotocol "
                            "(--require-subprotocol chat,superchat) "
                            "(HTTP 400)")
    # python3-websockets, refused the same way
    import websockets

    async def main():
        with pytest.raises(Exception):
            await asyncio.wait_for(websockets.connect(
                srv.url, subprotocols=["nope"]), 10)
    asyncio.run(main())
    assert refusal(srv) == ("it offered subprotocol nope, none of "
                            "chat,superchat (HTTP 400)")
    # the accepted one joins: no refusal line for it
    c, _ = raw_connect(srv.port, protocols="superchat")
    assert status_of(c) == 101
    assert re.match(JOINED, srv.err.next_line().decode())
    c.close()


BASE = ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\n")


@pytest.mark.parametrize("head, status, why", [
    (BASE + "Sec-WebSocket-Version: 13\r\n\r\n", b"400",
     "no Sec-WebSocket-Key (HTTP 400)"),
    (BASE + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
     b"400", "Sec-WebSocket-Key is not 16 bytes in base64 (HTTP 400)"),
    (BASE + "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 8\r\n\r\n" % KEY,
     b"426", "unsupported Sec-WebSocket-Version: 8 (13 needed) (HTTP 426)"),
    (BASE + "Sec-WebSocket-Key: %s\r\n\r\n" % KEY,
     b"426", "no Sec-WebSocket-Version (13 needed) (HTTP 426)"),
    ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close"
     "\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % KEY,
     b"400", "the Connection header does not name Upgrade (HTTP 400)"),
    ("POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: "
     "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
     % KEY, b"405", "the method is not GET (HTTP 405)"),
    ("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % KEY,
     b"400", "no Host header (HTTP 400)"),
    # refused by libwebsockets itself, before wsc sees the request
    ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: Upgrade\r\n"
     "\r\n", b"403", "unsupported Upgrade: foo (HTTP 403)"),
    ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", b"403", "malformed HTTP request"),
    ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % ("a" * 5000), None,
     re.compile(r"request too large \((\d+) bytes\)")),
], ids=["no-key", "short-key", "version-8", "no-version", "no-connection",
        "post", "no-host", "upgrade-foo", "bad-method", "too-large"])
def test_bad_handshake_is_refused_and_reported(listen, head, status, why):
    srv = listen()
    line = raw_request(srv.port, head)
    if status is None:
        assert line in (b"", b"HTTP/1.1 431 Request Header Fields Too "
                        b"Large") or b" 4" in line, line
    else:
        assert line.split(b" ")[1] == status, line
    if isinstance(why, str):
        assert refusal(srv) == why
    else:   # as much as lws read of it before it gave up
        m = why.fullmatch(refusal(srv))
        assert m and 4096 <= int(m.group(1)) <= len(head), m
    # it never joined; the next good client is #1
    c, _ = raw_connect(srv.port)
    assert status_of(c) == 101
    assert srv.joined() == 1
    c.close()


def test_incomplete_request_is_the_one_refusal_among_good_connections(
        listen):
    srv = listen()
    # a connection that sends nothing, the page, a 404 and a client that
    # joins are no refusals
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.close()
    assert http_get(socket.AF_INET, "127.0.0.1", srv.port) == \
        b"HTTP/1.1 200 OK"
    assert raw_request(srv.port, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n") \
        == b"HTTP/1.1 404 Not Found"
    c, _ = raw_connect(srv.port)
    send_text(c, "after them")
    assert srv.out.next_line() == b"guest-1: after them"
    send_close(c)
    recv_until_close(c)
    wait_eof(c)
    c.close()
    # a request that ends before its head does is reported when it goes
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    s.close()
    srv.err.search(r"refused")
    assert srv.stop() == 0
    srv.err.wait_eof()
    assert srv.err.text() == [
        "wsc: guest-1 joined (client #1 from 127.0.0.1)",
        "wsc: guest-1 left (client #1 from 127.0.0.1)",
        "wsc: refused a client from 127.0.0.1: incomplete request (closed "
        "or timed out after 25 bytes)",
    ]


def page_of(srv):
    """The chat page the room serves, as text (its Content-Length
    checked)."""
    import http.client
    h = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    h.request("GET", "/")
    r = h.getresponse()
    body = r.read().decode()
    h.close()
    assert int(r.getheader("Content-Length")) == len(body.encode())
    return body


def test_chat_page_offers_the_room_subprotocols(listen):
    body = page_of(listen("-s", "chat", "-s", "a&b"))
    assert '<meta name="wsc-subprotocols" content="chat,a&amp;b">' in body
    body = page_of(listen())
    assert '<meta name="wsc-subprotocols" content="">' in body


# --- wsc's own codec ---------------------------------------------------------
#
# Requests are read by wsc's own head parser and client frames by its frame
# decoder (server role), so every check a WebSocket server makes on them is
# wsc's own, checked byte for byte here.

def test_handshake_split_in_two_offering_an_unknown_subprotocol(listen):
    """The request in two TCP segments, the offer in the second: answered
    with a 101 without a subprotocol (a filter that looked only at a read
    beginning with GET would leave it unanswered)."""
    srv = listen("-s", "chat")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    first = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    second = ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Protocol: other\r\n\r\n" % key)
    s.sendall(first.encode())
    # not synchronisation: a pause makes the server read the halves apart
    # (the case that failed); the answer is awaited below either way
    time.sleep(0.3)
    s.sendall(second.encode())
    c = Conn(s)
    c.read_request()
    assert status_of(c) == 101, c.request_line
    assert c.header("Sec-WebSocket-Accept") == accept_for(key)
    assert c.header("Sec-WebSocket-Protocol") is None
    assert srv.joined() == 1
    send_text(c, "split")
    assert srv.out.next_line() == b"guest-1: split"
    send_close(c)
    assert recv_until_close(c) == ([b"* you are guest-1; send /nick NAME "
                                    b"to change your name"],
                                   struct.pack("!H", 1000))
    c.close()


def test_unmasked_client_frame_is_closed_with_1002(listen):
    srv = listen("--plain")
    c, _ = raw_connect(srv.port)
    srv.joined()
    c.send_frame(OP_TEXT, b"not masked")    # a client must mask (5.1)
    msgs, close = recv_until_close(c)
    assert msgs == []
    assert struct.unpack("!H", close[:2])[0] == 1002
    wait_eof(c)
    c.close()
    srv.err.search(r"wsc: client #1 \(127\.0\.0\.1\) broke the protocol "
                   r"\(.*\): closing it with 1002$")
    srv.err.search(r"wsc: client #1 \(127\.0\.0\.1\) left")
    # nothing of it was printed, and the room goes on
    c, _ = raw_connect(srv.port)
    send_text(c, "next")
    assert srv.out.next_line() == b"next"
    c.close()


def test_invalid_utf8_from_a_client_is_closed_with_1007(listen):
    srv = listen("--plain")
    other = Reader(srv.url)
    srv.joined()
    c, _ = raw_connect(srv.port)
    srv.joined()
    # valid first fragment, an invalid byte in the second
    c.send_frame(OP_TEXT, "caf\u00e9 ".encode(), fin=False,
                 mask=os.urandom(4))
    c.send_frame(0, b"\xc3\x28", mask=os.urandom(4))
    msgs, close = recv_until_close(c)
    assert msgs == []
    assert struct.unpack("!H", close[:2])[0] == 1007
    wait_eof(c)
    c.close()
    srv.err.search(r"closing it with 1007$")
    # neither printed nor relayed
    srv.send("after")
    other.wait(1)
    assert other.msgs == ["after"]
    other.close()
    assert srv.stop() == 0
    assert srv.out.text() == []


def test_client_ping_gets_a_pong_with_its_payload(listen):
    srv = listen("--plain")
    c, _ = raw_connect(srv.port)
    srv.joined()
    payload = bytes(range(125))         # the largest control payload
    c.send_frame(0x9, payload, mask=os.urandom(4))
    fin, op, data = c.recv_frame()
    assert (fin, op, data) == (True, 0xa, payload)
    # a burst in one write, between the fragments of a message: each is
    # answered, in order, with its own payload
    c.send_raw(frame(OP_TEXT, b"frag", fin=False, mask=os.urandom(4)) +
               b"".join(frame(0x9, b"p%d" % i, mask=os.urandom(4))
                        for i in range(5)) +
               frame(0, b"ment", mask=os.urandom(4)))
    assert [c.recv_frame() for _ in range(5)] == \
        [(True, 0xa, b"p%d" % i) for i in range(5)]
    assert srv.out.next_line() == b"fragment"
    # an empty one too, and the connection carries on
    c.send_frame(0x9, b"", mask=os.urandom(4))
    assert c.recv_frame() == (True, 0xa, b"")
    srv.send("still open")
    assert c.recv_message() == (OP_TEXT, b"still open")
    send_close(c)
    assert recv_until_close(c) == ([], struct.pack("!H", 1000))
    c.close()


def test_16_mib_message_is_relayed_intact(listen):
    srv = listen("--plain")
    a, _ = raw_connect(srv.port, timeout=60)
    srv.joined()
    b, _ = raw_connect(srv.port, timeout=60)
    srv.joined()
    big = (b"0123456789abcdef" * (1 << 20))    # 16 MiB, the default limit
    threading.Thread(target=a.send_raw, args=(masked_text(big),),
                     daemon=True).start()
    op, data = b.recv_message()
    assert op == OP_TEXT and len(data) == len(big) and data == big
    assert srv.out.next_line(timeout=60) == big
    for c in (a, b):
        send_close(c)
        assert recv_until_close(c) == ([], struct.pack("!H", 1000))
        c.close()
    assert not any("too slow" in l or "larger" in l for l in srv.err.text())
    # one byte more is refused from the frame header, before any payload
    c, _ = raw_connect(srv.port)
    c.send_raw(struct.pack("!BBQ", 0x82, 0x80 | 127, len(big) + 1) +
               os.urandom(4))
    msgs, close = recv_until_close(c)
    assert msgs == [] and struct.unpack("!H", close[:2])[0] == 1009
    c.close()
    srv.err.search(r"client #3 sent a message larger than 16777216 bytes: "
                   r"closing it with 1009$")


# --- options the room has no use for ------------------------------------------

# Each client option with an argument it accepts; with --listen it is refused
# (exit 2, one line) instead of being silently ignored.
CLIENT_ONLY = {
    "header": ["X: y"], "origin": ["http://o"], "auth": ["u:p"],
    "location": [], "max-redirects": ["3"], "proxy": ["http://127.0.0.1:9"],
    "unix-socket": ["/tmp/none"], "connect-timeout": ["3"], "http2": [],
    "reconnect": None, "insecure": [], "ca": ["/etc/hostname"],
    "cert": ["/etc/hostname"], "key": ["/etc/hostname"], "execute": ["hi"],
    "send-file": ["/etc/hostname"], "expect": ["x"], "expect-timeout": ["5"],
    "expect-json": ["a=1"], "rpc": [], "stats": [],
    "record": ["/dev/null"], "replay": ["/etc/hostname"],
    "replay-pace": ["none"], "replay-check": [],
    "wait": ["1"], "count": ["1"], "ping-interval": ["1"],
    "ping-timeout": ["1"], "show-ping-pong": [], "dump-handshake": [],
    "show-state": [], "verbose": [],
}
# What the room does use (or what is no connection option at all).
ROOM = {"subprotocol", "deflate", "binary", "null", "max-size", "jsonl",
        "close-timeout", "timestamps", "quiet", "color", "no-color",
        "no-history", "pretty", "listen", "plain", "echo",
        "require-subprotocol",
        "max-clients", "allow-origin", "idle-timeout", "check", "help",
        "version"}


def test_every_option_is_sorted_into_client_or_room():
    out = subprocess.run([os.environ["WSC"], "--help"], capture_output=True,
                         text=True, timeout=10).stdout
    longs = set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", out, re.M))
    assert len(longs) > 30, out
    assert longs == set(CLIENT_ONLY) | ROOM, longs ^ (set(CLIENT_ONLY) | ROOM)


@pytest.mark.parametrize("name", sorted(CLIENT_ONLY))
def test_client_option_with_listen_is_refused(name):
    args = CLIENT_ONLY[name]
    opt = ["--reconnect=2"] if args is None else ["--" + name] + args
    r = subprocess.run([os.environ["WSC"], "--listen", "127.0.0.1:0"] + opt,
                       input=b"", capture_output=True, timeout=10)
    assert r.returncode == 2, r.stderr
    assert r.stderr.decode() == (
        "wsc: --%s is a client option: --listen does not use it\n" % name)
    assert r.stdout == b""
