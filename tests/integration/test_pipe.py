"""Pipe mode: lines in, messages out, nothing lost, exit codes that mean
something. Servers: the exact-bytes echo server and python3-websockets."""
import threading

import pytest

from harness import run, spawn, finish, python_server
from wsproto import (RawServer, echo_handler, echo_until_close, OP_TEXT,
                     OP_CLOSE)


@pytest.mark.parametrize("lines,echoed", [
    ("hello\nworld\n", b"hello\nworld\n"),
    ("a\n\nlast", b"a\n\nlast\n"),
], ids=["lines-echoed-in-order", "final-line-without-newline"])
def test_each_input_line_is_a_message(lines, echoed):
    with RawServer(echo_handler) as srv:
        r = run([srv.url], input=lines)
    assert r.returncode == 0, r.stderr
    assert r.stdout == echoed
    assert r.stderr == b""


def test_100000_lines_in_all_received_in_order():
    got = []

    def handler(conn):
        conn.read_request().accept()
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                conn.send_close(1000)
                return
            got.append(data)

    lines = [b"line %d" % i for i in range(100000)]
    with RawServer(handler) as srv:
        r = run([srv.url], input=b"\n".join(lines) + b"\n", timeout=60)
    assert r.returncode == 0, r.stderr
    assert got == lines


def test_100000_messages_out_none_lost():
    def handler(conn):
        conn.read_request().accept()
        for i in range(100000):
            conn.send_frame(OP_TEXT, b"msg %d" % i)
        conn.send_close(1000)
        conn.recv_message()

    with RawServer(handler) as srv:
        r = run(["-w", "inf", srv.url], input="", timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split(b"\n")[:-1] == [b"msg %d" % i for i in range(100000)]


def test_utf8_cjk_emoji_roundtrip():
    text = "日本語のテキスト 🎉🚀 Ünïcödé\n"
    with RawServer(echo_handler) as srv:
        r = run([srv.url], input=text)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == text


def test_16mib_message_both_ways():
    big = (b"0123456789abcdef" * (1024 * 1024))  # 16 MiB
    with RawServer(echo_handler) as srv:
        r = run([srv.url], input=big + b"\n", timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == len(big) + 1
    assert r.stdout == big + b"\n"


def test_replies_after_end_of_input_are_printed():
    """The server answers late: after our Close it still sends data, then
    its Close. Everything must be printed."""
    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        assert data == b"question"
        op, close = conn.recv_message()
        assert op == OP_CLOSE and close[:2] == b"\x03\xe8"
        for i in range(3):
            conn.send_frame(OP_TEXT, b"late %d" % i)
        conn.send_close(1000)

    with RawServer(handler) as srv:
        r = run([srv.url], input="question\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"late 0\nlate 1\nlate 2\n"


def test_lines_before_open_are_queued():
    """Input that is all there, and ended, before the handshake completes is
    sent once the connection opens, then the Close."""
    go = threading.Event()

    def handler(conn):
        conn.read_request()
        go.wait(10)         # answer only once stdin has been closed
        conn.accept()
        echo_until_close(conn)

    lines = "".join("q%d\n" % i for i in range(1000)).encode()
    with RawServer(handler) as srv:
        p = spawn([srv.url])
        p.stdin.write(lines)
        p.stdin.close()
        go.set()
        out = p.stdout.read()
        p.wait(10)
    assert p.returncode == 0, p.stderr.read()
    assert out == lines


def test_server_closes_first_exit_without_waiting_for_stdin():
    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"bye")
        conn.send_close(1000)
        conn.recv_message()

    with RawServer(handler) as srv:
        p = spawn([srv.url])  # stdin stays open
        rc, out, err = finish(p, 10, sig=None)
    assert rc == 0, err
    assert out == b"bye\n"


def test_python_websockets_echo():
    with python_server("websockets_echo.py") as s:
        r = run(["ws://127.0.0.1:%d/" % s.port, "-w", "1"],
                input="one\ntwo\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\ntwo\n"


def test_timestamps_prefix_each_message():
    import re
    with RawServer(echo_handler) as srv:
        r = run(["-t", srv.url], input="one\ntwo\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().split("\n")[:-1]
    assert len(lines) == 2
    for l, m in zip(lines, ["one", "two"]):
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d\d\d " + m, l), l


def test_color_always_colours_diagnostics_not_piped_messages():
    with RawServer(echo_handler) as srv:
        r = run(["--color=always", srv.url], input="x\n")
        bad = run(["--color=always", "ws://127.0.0.1:1/"])
    assert r.stdout == b"x\n"           # bytes on a pipe stay unchanged
    assert bad.stderr.startswith(b"\x1b[1;31mwsc:\x1b[0m ")
