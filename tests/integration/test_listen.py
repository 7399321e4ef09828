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

from harness import HERE, accept_for, read_line, spawn
from wsproto import Conn, OP_CLOSE, OP_TEXT

NODE = shutil.which("node")
NODE_PATH = "/usr/share/nodejs"
WSDUMP = shutil.which("wsdump") or "/usr/bin/wsdump"

LISTENING = re.compile(r"wsc: listening on 127\.0\.0\.1:(\d+)")
JOINED = r"wsc: client #(\d+) joined from 127\.0\.0\.1"


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
    """`wsc -l 127.0.0.1:0 ARGS` with stdin a pipe."""

    def __init__(self, *args):
        self.proc = spawn(["-l", "127.0.0.1:0"] + list(args))
        try:
            first = read_line(self.proc.stderr, 10, what="wsc -l")
            m = LISTENING.fullmatch(first)
            assert m, "first stderr line: %r" % first
        except BaseException:
            self.close()
            raise
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
        p = self.proc
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for lines in (getattr(self, "out", None), getattr(self, "err", None)):
            if lines:
                lines.thread.join(5)
        for f in (p.stdin, p.stdout, p.stderr):
            try:
                f.close()
            except OSError:
                pass


@pytest.fixture
def listen():
    """listen(*args) -> a started Listener; every one is terminated, and
    none may have reported a sanitizer error (ASan/UBSan builds)."""
    started = []

    def start(*args):
        srv = Listener(*args)
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
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass


# --- raw clients -------------------------------------------------------------

def raw_connect(port, protocols=None, path="/", rcvbuf=None, timeout=10):
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
    import websockets
    srv = listen()

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

        await b.send("hello from B")
        assert await recv(a) == "hello from B"
        assert srv.out.next_line() == b"hello from B"

        srv.send("bye")
        assert await recv(a) == "bye"
        assert await recv(b) == "bye"
        await a.close()
        await b.close()

    asyncio.run(asyncio.wait_for(main(), 30))
    srv.err.search(r"wsc: client #1 \(127\.0\.0\.1\) left")
    srv.err.search(r"wsc: client #2 \(127\.0\.0\.1\) left")
    assert srv.stop() == 0
    srv.out.wait_eof()
    # the server printed the clients' messages, not its own input
    assert srv.out.text() == ["hello from A", "hello from B"]


# --- chat: wsdump, node-ws and wsc -------------------------------------------

def test_wsdump_node_and_wsc_chat(listen, procs):
    if not os.path.exists(WSDUMP):
        pytest.skip("wsdump (python3-websocket) is not installed")
    if not NODE:
        pytest.skip("node is not installed")
    srv = listen()

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
    srv = listen()
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
    srv = listen("-j")
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
    srv.err.search(r"wsc: client #1 joined from 127\.0\.0\.1, "
                   r"subprotocol chat$")

    c, key = raw_connect(srv.port, protocols="other, chat")
    assert status_of(c) == 101
    assert c.header("Sec-WebSocket-Accept") == accept_for(key)
    assert c.header("Sec-WebSocket-Protocol") == "chat"
    c.close()


def test_client_offering_only_other_is_accepted_without_one(listen):
    srv = listen("-s", "chat")
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
    srv = listen("-s", "chat")

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
# The server holds every source (stdin and the clients) while a client is
# behind, so a burst waits instead of overflowing a reader that is merely
# slower; a client that stays behind is dropped ("too slow") after a bounded
# time, and the others carry on. A client that never reads cannot be sent a
# Close frame any more: when it reads at last it may find Close 1008 or just
# the end of the connection.

N_MSGS = 3072
MSG_SIZE = 1024                 # 3 MiB in all


def messages():
    return [("%06d " % i).ljust(MSG_SIZE, "x") for i in range(N_MSGS)]


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
    srv = listen()
    # a client that completes the handshake and never reads (small receive
    # buffer, so the kernel takes little on its behalf)
    slow, _ = raw_connect(srv.port, rcvbuf=4096)
    assert status_of(slow) == 101
    slow_id = srv.joined()
    fast = Reader(srv.url)
    srv.joined()
    msgs = messages()
    sender = burst(srv, source, msgs)
    try:
        fast.wait(N_MSGS, timeout=20)
        assert fast.msgs == msgs        # all of them, in order
        # the slow one was let go without ever reading again
        srv.err.search(too_slow(slow_id))
        srv.err.search(r"wsc: client #%d \(127\.0\.0\.1\) left" % slow_id)
        assert [l for l in srv.err.text() if "too slow" in l and
                not re.search(too_slow(slow_id), l)] == []
        # the room goes on
        srv.send("after")
        fast.wait(N_MSGS + 1)
        assert fast.msgs[-1] == "after"
    finally:
        fast.close()
        if sender:
            sender.close()
    # reading at last, the slow one finds a prefix, in order, then the end
    got = []
    try:
        while True:
            op, data = slow.recv_message()
            if op == OP_CLOSE:
                assert struct.unpack("!H", data[:2])[0] == 1008
                wait_eof(slow)
                break
            got.append(data)
    except (EOFError, ConnectionResetError):
        pass
    slow.close()
    assert len(got) < N_MSGS
    assert got == [m.encode() for m in msgs[:len(got)]]


@pytest.mark.parametrize("source", ["stdin", "client"])
def test_burst_does_not_drop_a_reading_client(listen, source):
    """3 MiB at once: a reader slower than the source is waited for."""
    srv = listen()
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
    srv = listen()
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
    srv = listen()
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

def chat_once_and_leave(srv):
    """Join, send a message (seen on the server's stdout), leave cleanly:
    once the server has closed the TCP connection the leave is done."""
    c, _ = raw_connect(srv.port)
    send_text(c, "hello")
    assert srv.out.next_line() == b"hello"
    send_close(c)
    assert recv_until_close(c) == ([], struct.pack("!H", 1000))
    wait_eof(c)
    c.close()


def test_joins_and_leaves_are_reported(listen):
    srv = listen()
    chat_once_and_leave(srv)
    srv.err.search(r"^wsc: client #1 joined from 127\.0\.0\.1$")
    srv.err.search(r"^wsc: client #1 \(127\.0\.0\.1\) left$")
    # a client still there at shutdown leaves too
    c, _ = raw_connect(srv.port)
    srv.err.search(r"^wsc: client #2 joined from 127\.0\.0\.1$")
    srv.proc.send_signal(signal.SIGTERM)
    recv_until_close(c)
    send_close(c, 1001)
    assert srv.proc.wait(10) == 0
    srv.err.wait_eof()
    c.close()
    assert srv.err.text() == [
        "wsc: client #1 joined from 127.0.0.1",
        "wsc: client #1 (127.0.0.1) left",
        "wsc: client #2 joined from 127.0.0.1",
        "wsc: client #2 (127.0.0.1) left",
    ]


def test_quiet_silences_joins_and_leaves(listen):
    srv = listen("-q")
    chat_once_and_leave(srv)
    c, _ = raw_connect(srv.port)
    send_text(c, "second")
    assert srv.out.next_line() == b"second"
    srv.proc.send_signal(signal.SIGTERM)
    recv_until_close(c)
    send_close(c, 1001)
    assert srv.proc.wait(10) == 0
    srv.err.wait_eof()
    c.close()
    assert srv.err.text() == []
