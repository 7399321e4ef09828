"""How a session ends: a reader that goes away, signals, -x, -n, -w, -b,
-0 and --max-size. The server is the exact-bytes RawServer; "the
connection is open" is known from wsc printing a message the server sent
right after the handshake, never from a sleep."""
import signal
import struct
import subprocess
import threading
import time

import pytest

from harness import WSC, finish, spawn, run, read_line
from wsproto import RawServer, echo_until_close, OP_TEXT, OP_BINARY, OP_CLOSE


def code_of(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


def answer_close(conn, got):
    """Read data messages into got['messages'] until wsc's Close; record
    it in got['close'] and answer with the same code."""
    while True:
        op, data = conn.recv_message()
        if op == OP_CLOSE:
            got["close"] = data
            conn.send_frame(OP_CLOSE, data[:2])
            return
        got.setdefault("messages", []).append((op, data))


# --- the reader goes away -----------------------------------------------------

def test_head_1_ends_the_pipeline_and_wsc_closes():
    got = {}
    closed = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        for i in range(10000):
            conn.send_frame(OP_TEXT, b"message %05d %s" % (i, b"." * 40))
        answer_close(conn, got)     # then stay open until wsc closes
        closed.set()

    with RawServer(handler) as srv:
        # wsc's stdin is the pipe below, kept open: only the closed stdout
        # can end it
        p = subprocess.Popen(
            ["bash", "-c",
             '"$0" "$1" | head -1; echo "status=${PIPESTATUS[0]}"',
             WSC, srv.url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        t0 = time.monotonic()
        rc, out, err = finish(p, 30, sig=None)     # generous: valgrind
        assert rc is not None, "wsc | head -1 did not end within 30 s"
        assert time.monotonic() - t0 < 30
        assert closed.wait(30), "the server never received a Close"
    assert rc == 0, err
    assert out.split(b"\n") == [b"message 00000 " + b"." * 40,
                                b"status=0", b""], out
    assert code_of(got["close"]) in (1000, 1001), got["close"]
    assert err == b""


# --- signals --------------------------------------------------------------------

@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_signal_closes_with_1001_and_exits_0(signo):
    got = {}

    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"ready")
        answer_close(conn, got)

    with RawServer(handler) as srv:
        p = spawn([srv.url])    # stdin stays open
        assert read_line(p.stdout, 10, "wsc") == "ready"
        rc, out, err = finish(p, 10, sig=signo)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert "close" in got, "the server received no Close"
    assert code_of(got["close"]) == 1001
    assert rc == 0, err
    assert err == b""


# --- -x -----------------------------------------------------------------------

def test_execute_sends_each_then_closes_without_reading_stdin():
    got = {}

    def handler(conn):
        conn.read_request().accept()
        answer_close(conn, got)

    with RawServer(handler) as srv:
        p = spawn(["-x", "first", "-x", "second message", "-x", "", srv.url])
        # stdin has a line and stays open: wsc must neither send it nor
        # wait for its end
        p.stdin.write(b"from stdin\n")
        p.stdin.flush()
        rc, out, err = finish(p, 10, sig=None)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert rc == 0, err
    assert got.get("messages") == [(OP_TEXT, b"first"),
                                   (OP_TEXT, b"second message"),
                                   (OP_TEXT, b"")]
    assert code_of(got["close"]) == 1000


# --- -n -----------------------------------------------------------------------

def test_count_exits_after_n_messages_while_server_keeps_sending():
    got = {}
    stop = threading.Event()

    def handler(conn):
        conn.read_request().accept()

        def sender():
            i = 0
            try:
                while not stop.is_set():
                    conn.send_frame(OP_TEXT, b"m%d" % i)
                    i += 1
            except OSError:
                pass

        t = threading.Thread(target=sender, daemon=True)
        t.start()
        try:
            while True:
                op, data = conn.recv_message()
                if op == OP_CLOSE:
                    got["close"] = data
                    break
        finally:
            stop.set()
            t.join(5)
        conn.send_frame(OP_CLOSE, data[:2])

    with RawServer(handler) as srv:
        p = spawn(["-n", "2", srv.url])     # stdin stays open
        rc, out, err = finish(p, 10, sig=None)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert rc == 0, err
    assert out == b"m0\nm1\n"
    assert code_of(got["close"]) == 1000
    assert err == b""


# --- -w -----------------------------------------------------------------------

def test_wait_keeps_receiving_within_the_window():
    """-w 0.3: input ends right away; the server answers 0.1 s later and
    again at 0.2 s. wsc keeps the connection open for the window and
    prints both; its Close comes about 0.3 s after the input ended."""
    got = {}

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        t0 = time.monotonic()
        got["first"] = data
        pause = threading.Event()
        # the delays are the subject of the test, not synchronisation
        pause.wait(0.1)
        conn.send_frame(OP_TEXT, b"after 0.1 s")
        pause.wait(0.1)
        conn.send_frame(OP_TEXT, b"after 0.2 s")
        answer_close(conn, got)
        got["elapsed"] = time.monotonic() - t0

    with RawServer(handler) as srv:
        r = run(["-w", "0.3", srv.url], input="question\n", timeout=10)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert r.returncode == 0, r.stderr
    assert got["first"] == b"question"
    assert r.stdout == b"after 0.1 s\nafter 0.2 s\n"
    assert code_of(got["close"]) == 1000
    # the Close came after the window, and not much later
    assert 0.25 <= got["elapsed"] < 3, got["elapsed"]
    assert not got.get("messages")


def test_wait_inf_waits_until_the_server_closes():
    got = {}

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        got["first"] = data
        # nothing from wsc for a full second, well past any default
        conn.sock.settimeout(1.0)
        try:
            got["early"] = conn.recv_frame()
        except TimeoutError:
            pass
        conn.sock.settimeout(None)
        conn.send_frame(OP_TEXT, b"finally")
        conn.send_close(1000)
        op, data = conn.recv_message()
        got["reply"] = (op, data)

    with RawServer(handler) as srv:
        r = run(["-w", "inf", srv.url], input="question\n", timeout=10)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert "early" not in got, "wsc sent %r before the server closed" % (
        got["early"],)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"finally\n"
    assert got["reply"][0] == OP_CLOSE


# --- -b -----------------------------------------------------------------------

def test_binary_sends_opcode_2_and_writes_received_binary_raw():
    got = {}
    payload = bytes(range(256))

    def handler(conn):
        conn.read_request().accept()
        for _ in range(2):
            op, data = conn.recv_message()
            got.setdefault("messages", []).append((op, data))
        conn.send_frame(OP_BINARY, payload)
        answer_close(conn, got)

    with RawServer(handler) as srv:
        r = run(["-b", srv.url], input=b"abc\n\x00\xff\x7f\n", timeout=10)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert r.returncode == 0, r.stderr
    assert got["messages"][:2] == [(OP_BINARY, b"abc"),
                                   (OP_BINARY, b"\x00\xff\x7f")]
    assert r.stdout == payload + b"\n"


# --- -0 -----------------------------------------------------------------------

def test_null_delimits_input_and_output():
    messages = []

    def handler(conn):
        conn.read_request().accept()
        echo_until_close(conn, messages)

    with RawServer(handler) as srv:
        r = run(["-0", srv.url], input=b"one\ntwo\x00three\x00\nlast",
                timeout=10)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert r.returncode == 0, r.stderr
    assert messages == [b"one\ntwo", b"three", b"\nlast"]
    assert r.stdout == b"one\ntwo\x00three\x00\nlast\x00"


# --- --max-size ---------------------------------------------------------------

def test_max_size_closes_with_1009_and_exits_1():
    got = {}

    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"x" * 1000)
        answer_close(conn, got)

    with RawServer(handler) as srv:
        p = spawn(["--max-size", "100", srv.url])   # stdin stays open
        rc, out, err = finish(p, 10, sig=None)
        assert srv.done.wait(5), "the server's handler did not finish"
    assert "close" in got, "the server received no Close"
    assert code_of(got["close"]) == 1009
    assert rc == 1, err
    assert out == b""
    assert err.decode().startswith("wsc: ") and err.count(b"\n") == 1, err
