"""Nothing is lost at end of input, against the servers people run: wsc
does not send its Close before the server has read everything and gone
quiet (python3-websockets and websocketd send nothing after a Close), and
--close-timeout counts silence, so a server still sending keeps the
connection."""
import threading
import time

import pytest

from harness import run, python_server, node_server, \
    server_on_free_port
from wsproto import (RawServer, echo_handler, OP_TEXT, OP_CLOSE, OP_PING,
                     OP_PONG)



def _py(script, *args):
    def start(request, tmp_path):
        s = python_server(script, *args)
        request.addfinalizer(s.close)
        return ["ws://127.0.0.1:%d/" % s.port]
    return start


def _node(request, tmp_path):
    s = node_server("node_echo.js")
    request.addfinalizer(s.close)
    return ["ws://127.0.0.1:%d/" % s.port]


def _websocketd(request, tmp_path):
    port = server_on_free_port(request, "websocketd", lambda p: [
        "websocketd", "--port=%d" % p, "--address=127.0.0.1",
        "--loglevel=fatal", "cat"], cwd=tmp_path)
    return ["ws://127.0.0.1:%d/" % port]


def _lws_mirror(request, tmp_path):
    port = server_on_free_port(
        request, "libwebsockets-test-server",
        lambda p: ["libwebsockets-test-server", "-p", str(p), "-i", "lo"],
        cwd=tmp_path)
    # -q: no "subprotocol" line on stderr
    return ["-q", "-s", "lws-mirror-protocol", "ws://127.0.0.1:%d/" % port]


# name -> (start, lines for the many-lines case, keeps message boundaries:
# lws's mirror relays each piece of a message as lws hands it over, so a
# message split across two reads comes back as two)
SERVERS = {
    "python-websockets": (_py("websockets_echo.py"), 10000, True),
    "python-websockets-20ms": (_py("websockets_echo.py", "--delay", 0.02),
                               50, True),
    "aiohttp": (_py("aiohttp_echo.py", "--deflate"), 10000, True),
    "tornado": (_py("tornado_echo.py"), 10000, True),
    "node-ws": (_node, 10000, True),
    "websocketd-cat": (_websocketd, 10000, True),
    # its mirror relays each fragment as a message of its own
    "lws-mirror": (_lws_mirror, 10000, False),
}


@pytest.fixture(params=sorted(SERVERS))
def server(request, tmp_path):
    start, many, big = SERVERS[request.param]
    return start(request, tmp_path), many, big


def ok(r, want):
    assert r.returncode == 0, r.stderr
    assert r.stdout == want, (len(r.stdout), r.stdout[-200:])
    assert r.stderr == b""


def test_two_lines(server):
    url, _, _ = server
    ok(run(url, input="hello\nworld\n"), b"hello\nworld\n")


def test_many_lines_in_order(server):
    url, many, whole = server
    lines = "".join("line %d\n" % i for i in range(many)).encode()
    r = run(url, input=lines, timeout=60)
    if not whole:
        # every byte, in order, wherever the server cut the messages
        assert r.stdout.replace(b"\n", b"") == lines.replace(b"\n", b"")
        r.stdout = lines
    ok(r, lines)


def test_count_waits_for_the_replies(server):
    url, _, _ = server
    ok(run(["-n", "2"] + url, input="a\nb\nc\n"), b"a\nb\n")


def test_one_mib_line(server):
    url, _, whole = server
    line = b"x" * (1024 * 1024) + b"\n"
    r = run(url, input=line, timeout=60)
    if not whole:
        # the mirror relays the pieces as messages: every byte, in order
        assert r.stdout.replace(b"\n", b"") == line[:-1], len(r.stdout)
        r.stdout = line
    ok(r, line)


def test_deflate_two_lines(server):
    # python-websockets, aiohttp and lws accept permessage-deflate, under
    # which libwebsockets 4.1 alone spins for ever on a Pong
    url, _, _ = server
    ok(run(["--deflate"] + url, input="hello\nworld\n", timeout=15),
       b"hello\nworld\n")


def test_deflate_node_ws():
    """node ws with permessage-deflate agreed: short and long lines, the
    end-of-input Ping's Pong, each once (a guard beside the exact-byte test
    below, which is the one libwebsockets 4.1 alone failed)."""
    s = node_server("node_echo.js", "--deflate")
    try:
        lines = b"hello\n" + b"y" * 4000 + b"\nworld\n"
        r = run(["--deflate", "-D", "ws://127.0.0.1:%d/" % s.port],
                input=lines, timeout=15)
    finally:
        s.close()
    assert b"permessage-deflate" in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines


def test_deflate_pong_and_uncompressed_message():
    """With permessage-deflate agreed, the end-of-input Ping's Pong and an
    uncompressed message each arrive once (RFC 7692 allows both)."""
    got = {"ping": 0}

    def handler(conn):
        conn.read_request().accept(extra=[
            "Sec-WebSocket-Extensions: permessage-deflate; "
            "server_no_context_takeover; client_no_context_takeover"])
        conn.send_frame(OP_TEXT, b"plain, not compressed")
        while True:
            fin, op, data = conn.recv_frame()
            if op == OP_PING:
                got["ping"] += 1
                conn.send_frame(OP_PONG, data)
            elif op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, data[:2])
                return

    with RawServer(handler) as srv:
        r = run(["--deflate", "-P", "-n", "1", srv.url], input=b"",
                timeout=15)
        r2 = run(["--deflate", "-P", srv.url], input=b"", timeout=15)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"plain, not compressed\n"
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == b"plain, not compressed\n"
    assert got["ping"] >= 1
    assert r2.stderr.count(b"pong") == 1, r2.stderr


# --- how the end of input is handled, against exact-byte servers ---

def test_ping_then_close_only_when_quiet():
    """After the last message: a Ping; a reply 50 ms after the Pong still
    comes before our Close."""
    got = {}

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        got["ping"] = conn.recv_frame()
        conn.send_frame(OP_PONG, got["ping"][2])
        threading.Event().wait(0.05)    # the server thinks
        conn.send_frame(OP_TEXT, b"re: " + data)
        got["close"] = conn.recv_frame()
        conn.send_close(1000)

    with RawServer(handler) as srv:
        r = run([srv.url], input="q\n")
        assert srv.done.wait(5)
    ok(r, b"re: q\n")
    assert got["ping"][1] == OP_PING
    assert got["close"][1] == OP_CLOSE


def test_wait_zero_closes_at_once():
    got = []

    def handler(conn):
        conn.read_request().accept()
        while True:
            fin, op, data = conn.recv_frame()
            got.append(op)
            if op == OP_CLOSE:
                conn.send_close(1000)
                return

    with RawServer(handler) as srv:
        r = run(["-w", "0", srv.url], input="q\n")
        assert srv.done.wait(5)
    ok(r, b"")
    assert got == [OP_TEXT, OP_CLOSE]


def test_show_ping_reports_the_end_pong():
    with RawServer(echo_handler) as srv:
        r = run(["-P", "-x", "hi", srv.url])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert b"round trip" in r.stderr


def test_server_that_never_answers_pings():
    """No Pong: wsc closes once the server has been silent for a while
    (2 s), counting from its last message, so a slow reply still comes."""
    got = {}

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        got["ping"] = conn.recv_frame()      # never answered
        threading.Event().wait(0.3)
        got["sent"] = time.monotonic()
        conn.send_frame(OP_TEXT, b"slow " + data)
        got["close"] = conn.recv_frame()
        got["closed"] = time.monotonic()
        conn.send_close(1000)

    with RawServer(handler) as srv:
        r = run([srv.url], input="q\n")
        assert srv.done.wait(10)
    ok(r, b"slow q\n")
    assert got["ping"][1] == OP_PING and got["close"][1] == OP_CLOSE
    assert 1.5 < got["closed"] - got["sent"] < 8, got


def test_keepalive_pings_do_not_hold_the_close():
    """--ping-interval goes on working, and its Pongs do not keep the
    end-of-input check from going quiet."""
    s = python_server("websockets_echo.py", "--delay", 0.02)
    try:
        t0 = time.monotonic()
        r = run(["-P", "--ping-interval", "0.03", "-x", "a", "-x", "b",
                 "ws://127.0.0.1:%d/" % s.port])
        elapsed = time.monotonic() - t0
    finally:
        s.close()
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    assert elapsed < 8, elapsed


def test_server_that_never_falls_quiet_is_closed_after_10_s():
    """A feed that pushes every 20 ms: the end-of-input check gives up
    after 10 s and closes; the pushes go on being printed until the
    server's Close."""
    stop_push = threading.Event()

    def handler(conn):
        conn.read_request().accept()

        def pusher():
            i = 0
            while not stop_push.wait(0.02):
                try:
                    conn.send_frame(OP_TEXT, b"tick %d" % i)
                except OSError:
                    return
                i += 1
        t = threading.Thread(target=pusher, daemon=True)
        t.start()
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                stop_push.set()
                t.join()
                conn.send_close(1000)
                return

    with RawServer(handler) as srv:
        t0 = time.monotonic()
        r = run([srv.url], input="", timeout=40)
        elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    ticks = r.stdout.split(b"\n")[:-1]
    assert ticks == [b"tick %d" % i for i in range(len(ticks))]
    assert 9.5 < elapsed < 30, elapsed


def test_close_timeout_counts_silence():
    """After our Close the server streams 16 MiB in 64 KiB messages with
    12 ms gaps (3 s), then closes: --close-timeout 1 does not cut it."""
    n, size = 256, 64 * 1024

    def msg(i):
        head = b"%06d " % i
        return head + b"x" * (size - len(head))

    def handler(conn):
        conn.read_request().accept()
        while conn.recv_message()[0] != OP_CLOSE:
            pass
        gap = threading.Event()
        for i in range(n):
            conn.send_frame(OP_TEXT, msg(i))
            gap.wait(0.012)
        conn.send_close(1000)

    with RawServer(handler) as srv:
        r = run(["--close-timeout", "1", "-x", "go", srv.url], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"".join(msg(i) + b"\n" for i in range(n)), \
        len(r.stdout)
