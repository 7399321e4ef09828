"""Who the room (`wsc -l`) lets in, and how many: the Origin rule against
cross-site WebSocket hijacking (--allow-origin), --max-clients and the
open file limit (HTTP 503, never a busy loop), --idle-timeout for clients
that handshake and then say nothing, and a console that churn cannot
flood.

Raw sockets send exact request bytes; python3-websockets clients are the
real ones (they answer Pings by themselves). The server is started as in
test_listen.py; under an open file limit of 64 with preexec_fn.
"""
import asyncio
import os
import re
import resource
import socket
import time

import pytest
import websockets

from harness import run
from test_listen import listen, wait_eof  # noqa: F401
from wsproto import OP_CLOSE, OP_PING, OP_PONG, Conn

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def request(port, *extra, host=None):
    """The bytes of an Upgrade request with the extra header lines."""
    lines = ["GET / HTTP/1.1", "Host: %s" % (host or "127.0.0.1:%d" % port),
             "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13"]
    return ("\r\n".join(lines + list(extra)) + "\r\n\r\n").encode()


def upgrade(port, *extra, host=None, timeout=10):
    """Send a request; return the Conn with the response head read (its
    status line in .request_line) and the body, if any, in .buf."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    c = Conn(s)
    c.send_raw(request(port, *extra, host=host))
    c.read_request()
    return c


def status(c):
    return int(c.request_line.split()[1])


def body(c):
    n = int(c.header("Content-Length"))
    return c.read_exact(n).decode()


def refusals(srv, pattern):
    return [l for l in srv.err.text() if re.search(pattern, l)]


# --- Origin -------------------------------------------------------------------

def test_another_sites_origin_is_refused_with_403(listen):
    srv = listen()
    c = upgrade(srv.port, "Origin: http://evil.example")
    assert status(c) == 403
    assert body(c) == "Origin http://evil.example is not the room's own page\n"
    wait_eof(c)
    line = srv.err.search(r"refused a client from 127\.0\.0\.1: Origin "
                          r"http://evil\.example is not the room's own page "
                          r"\(HTTP 403\)$")
    assert line
    assert len(refusals(srv, "evil")) == 1
    assert not refusals(srv, "joined")


@pytest.mark.parametrize("host,origin", [
    ("127.0.0.1:{p}", "http://127.0.0.1:{p}"),
    ("localhost:{p}", "http://localhost:{p}"),
    ("LOCALHOST:{p}", "http://localhost:{p}"),
])
def test_the_rooms_own_page_origin_is_accepted(listen, host, origin):
    srv = listen()
    p = srv.port
    c = upgrade(p, "Origin: " + origin.format(p=p), host=host.format(p=p))
    assert status(c) == 101
    srv.joined()


@pytest.mark.parametrize("host,origin,why", [
    # the page of another port of this machine
    ("127.0.0.1:{p}", "http://127.0.0.1:1", "another port"),
    ("127.0.0.1:{p}", "http://localhost:{p}", "another host than Host"),
    ("127.0.0.1:{p}", "https://127.0.0.1:{p}", "https: the room is http"),
    ("127.0.0.1:{p}", "null", "a sandboxed or file: page"),
    # DNS rebinding: a name of the attacker's resolving to the room
    ("rebind.example:{p}", "http://rebind.example:{p}", "a foreign name"),
])
def test_other_origins_are_refused(listen, host, origin, why):
    srv = listen()
    p = srv.port
    c = upgrade(p, "Origin: " + origin.format(p=p), host=host.format(p=p))
    assert status(c) == 403, why


def test_a_client_without_origin_is_accepted(listen):
    srv = listen()

    async def go():
        async with websockets.connect(srv.url) as ws:
            srv.joined()
            srv.send("hello")
            return [await asyncio.wait_for(ws.recv(), 10) for _ in range(2)]
    assert asyncio.run(go()) == [
        "* you are guest-1; send /nick NAME to change your name",
        "host: hello"]


def test_the_page_names_the_room_by_the_name_it_listens_on(listen):
    srv = listen(at="localhost:0",
                 first=re.compile(r"wsc: listening on .*:(\d+)"))
    p = srv.port
    c = upgrade(p, "Origin: http://localhost:%d" % p, host="localhost:%d" % p)
    assert status(c) == 101


def test_allow_origin_lets_that_origin_in(listen):
    srv = listen("--allow-origin", "http://app.example:3000",
                 "--allow-origin", "http://other.example")
    for origin in ("http://app.example:3000", "http://other.example",
                   "http://127.0.0.1:%d" % srv.port):
        assert status(upgrade(srv.port, "Origin: " + origin)) == 101, origin
    for origin in ("http://app.example:3001", "http://evil.example"):
        assert status(upgrade(srv.port, "Origin: " + origin)) == 403, origin


def test_allow_origin_star_lets_any_page_in(listen):
    srv = listen("--allow-origin", "*")
    for origin in ("http://evil.example", "null"):
        assert status(upgrade(srv.port, "Origin: " + origin)) == 101, origin


# --- --max-clients ------------------------------------------------------------

def test_a_newcomer_to_a_full_room_gets_503_and_a_freed_slot_takes_one(
        listen):
    srv = listen("--plain", "--max-clients", "2")

    async def go():
        a = await websockets.connect(srv.url)
        b = await websockets.connect(srv.url)
        srv.joined()
        srv.joined()
        # the third: 503 at once, the connection closed
        c = upgrade(srv.port)
        assert status(c) == 503
        assert c.header("Retry-After") == "5"
        assert c.header("Connection") == "close"
        assert "full" in body(c)
        wait_eof(c)
        srv.err.search(r"wsc: the room is full \(2 connections, "
                       r"--max-clients\): newcomers get HTTP 503$")
        # still full for the next one; the two inside still chat
        assert status(upgrade(srv.port)) == 503
        srv.send("inside")
        assert await asyncio.wait_for(a.recv(), 10) == "inside"
        assert await asyncio.wait_for(b.recv(), 10) == "inside"
        await a.close()
        srv.err.search(r"wsc: the room has space again \(2 newcomers were "
                       r"turned away while it was full\)$")
        c = upgrade(srv.port)
        assert status(c) == 101
        srv.joined()
        await b.close()
    asyncio.run(go())


def test_max_clients_beyond_the_hard_open_file_limit_is_refused():
    r = run(["-l", "127.0.0.1:0", "--max-clients", "100"],
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                  (64, 64)))
    assert r.returncode == 1
    err = r.stderr.decode()
    # valgrind keeps a few descriptors of the hard limit for itself
    m = re.fullmatch(r"wsc: --max-clients 100 needs (\d+) open files; the "
                     r"hard limit \(ulimit -Hn\) is (\d+)\n", err)
    assert m, err
    assert int(m.group(1)) > 100 and int(m.group(2)) <= 64, err


@pytest.mark.parametrize("opt,arg", [("--max-clients", "3"),
                                     ("--allow-origin", "*"),
                                     ("--idle-timeout", "5")])
def test_room_options_need_listen(opt, arg):
    r = run([opt, arg, "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert r.stderr.decode() == "wsc: %s needs --listen\n" % opt


@pytest.mark.parametrize("arg", ["0", "-1", "x", "1000001"])
def test_max_clients_out_of_range_is_a_usage_error(arg):
    r = run(["-l", "127.0.0.1:0", "--max-clients", arg])
    assert r.returncode == 2
    assert r.stderr.decode().startswith("wsc: --max-clients: ")


# --- the open file limit ------------------------------------------------------

def cpu_seconds(pid):
    """User plus system CPU time of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_at_the_open_file_limit_newcomers_get_503_and_the_room_idles(listen):
    """Under an open file limit of 64 the room takes what the limit allows
    (the default --max-clients), answers every newcomer beyond it with 503
    instead of failing to accept (EMFILE) in a busy loop, and uses no CPU
    while nothing happens."""
    srv = listen(preexec_fn=lambda: resource.setrlimit(
        resource.RLIMIT_NOFILE, (64, 64)))
    inside = []
    while True:
        c = upgrade(srv.port)
        if status(c) != 101:
            break
        inside.append(c)
        assert len(inside) < 64, "more clients than open files"
    assert status(c) == 503
    assert len(inside) >= 20, "the limit leaves room for more"
    wait_eof(c)
    # a burst of newcomers at once: each is answered, none is left hanging
    burst = [socket.create_connection(("127.0.0.1", srv.port), timeout=10)
             for _ in range(30)]
    for s in burst:
        s.sendall(request(srv.port))
    for s in burst:
        head = Conn(s).read_request()
        assert status(head) == 503
        s.close()
    # idle: the time the room spends on the CPU over a quiet second
    before = cpu_seconds(srv.proc.pid)
    t0 = time.monotonic()
    time.sleep(1.0)     # the property is idleness itself: a short interval
    spent = cpu_seconds(srv.proc.pid) - before
    elapsed = time.monotonic() - t0
    assert spent <= 0.1 * elapsed, "%.2f s of CPU in %.2f s idle" % (
        spent, elapsed)
    # one leaves: a newcomer takes its place (asked until its slot is free)
    inside.pop().sock.close()
    deadline = time.monotonic() + 10
    while True:
        c = upgrade(srv.port)
        if status(c) == 101:
            break
        assert time.monotonic() < deadline, "the freed slot was not reused"
    assert srv.proc.poll() is None
    for c in inside:
        c.sock.close()


# --- idle clients -------------------------------------------------------------

def test_clients_that_say_nothing_are_pinged_then_closed(listen):
    """Two sockets handshake and then never send a byte; with
    --idle-timeout 1 the room pings them and closes them with 1001, so they
    cannot keep a full room full. A real client, which answers the Ping,
    stays."""
    srv = listen("--plain", "--max-clients", "3", "--idle-timeout", "1")

    def mute_ones():
        mute = [upgrade(srv.port), upgrade(srv.port)]
        for c in mute:
            assert status(c) == 101
        assert status(upgrade(srv.port)) == 503     # full
        t0 = time.monotonic()
        for c in mute:
            c.sock.settimeout(10)
            _, op, _ = c.recv_frame()
            assert op == OP_PING
            _, op, data = c.recv_frame()
            assert op == OP_CLOSE
            assert data == b"\x03\xe9idle"      # 1001
            wait_eof(c)
        assert time.monotonic() - t0 >= 0.9

    async def go():
        ws = await websockets.connect(srv.url)
        # blocking sockets in a thread: the real client answers meanwhile
        await asyncio.to_thread(mute_ones)
        srv.err.search(r"client #\d \(127\.0\.0\.1\) sent nothing, not even "
                       r"a Pong, for 1 s \(--idle-timeout\): closing it with "
                       r"1001$")
        # the real client answered: it is still in, and room has come back
        srv.send("still here")
        assert await asyncio.wait_for(ws.recv(), 10) == "still here"
        c = upgrade(srv.port)
        assert status(c) == 101
        await ws.close()
    asyncio.run(go())


def test_a_pong_counts_as_a_sign_of_life(listen):
    srv = listen("--plain", "--idle-timeout", "1")
    c = upgrade(srv.port)
    assert status(c) == 101
    c.sock.settimeout(10)
    for _ in range(3):
        _, op, data = c.recv_frame()
        assert op == OP_PING
        c.send_frame(OP_PONG, data, mask=os.urandom(4))
    srv.send("alive")
    while True:
        _, op, data = c.recv_frame()
        if op != OP_PING:
            break
        c.send_frame(OP_PONG, data, mask=os.urandom(4))
    assert data == b"alive"


# --- the console --------------------------------------------------------------

def test_help_states_the_rooms_max_size():
    r = run(["--help"])
    text = " ".join(r.stdout.decode().split())
    assert "Default: no limit (with --listen: 16 MiB)" in text


def test_churn_does_not_flood_the_console(listen):
    """300 clients join and leave as fast as they can: a burst of join and
    leave lines, then about 10 a second; the rest are counted in a summary
    line, so every join and leave is accounted for. In a chat room each
    is told to the room too, to no one here."""
    srv = listen()
    n = 300
    t0 = time.monotonic()
    for _ in range(n):
        c = upgrade(srv.port)
        assert status(c) == 101
        c.sock.close()
    elapsed = time.monotonic() - t0

    def shown(word):
        return len(refusals(srv, r"^wsc: guest-\d+ %s \(client #" % word))

    def hidden(i):
        total = 0
        for l in refusals(srv, r"^wsc: not shown "):
            m = re.search(r": (\d+) joins?, (\d+) leaves?, \d+ refusals?$", l)
            total += int(m.group(i))
        return total
    def accounted():
        if shown("joined") + hidden(1) >= n and shown("left") + hidden(2) >= n:
            return True
        return None
    # every join and leave is printed or counted (the count a second on)
    srv.err._wait(accounted, 20, "every join and leave printed or counted")
    assert shown("joined") + hidden(1) == n
    assert shown("left") + hidden(2) == n
    lines = shown("joined") + shown("left")
    assert lines <= 20 + 10 * (time.monotonic() - t0 + 1), (lines, elapsed)
    assert hidden(1) > 0
