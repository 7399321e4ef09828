"""Exit status: one test per row of the exit-status table of the man page.

0  the connection opened and closed cleanly (1000, 1001, 1005)
1  runtime failure (connect, handshake, timeout, protocol, 1006)
2  usage error (bad option, URL, header)
3  the server closed with any other code; code and reason printed

Servers are the exact-bytes RawServer, so every case is exactly the bytes
named. wsc's stdin stays open (a pipe nobody writes to) wherever the server
is meant to be the one that ends the session, so wsc cannot close first.
"""
import re
import socket
import struct
import threading
import time

import pytest

from harness import run, spawn, finish, free_port
from wsproto import RawServer, OP_TEXT, OP_CLOSE


def run_stdin_open(args, timeout=10):
    """Run wsc with stdin an open, silent pipe; return (rc, out, err), rc
    None if it had not ended within timeout s."""
    return finish(spawn(args), timeout, sig=None)


def one_diagnostic(err):
    """stderr is exactly one line starting with 'wsc: '; return it."""
    text = err.decode("utf-8", "replace")
    assert text.endswith("\n") and text.count("\n") == 1, \
        "expected exactly one line on stderr, got %r" % text
    assert text.startswith("wsc: "), text
    return text.rstrip("\n")


def rejected_diagnostic(err):
    """A rejected handshake: the response as received (status, headers,
    start of the body; lines starting with '<', as README documents), then
    exactly one 'wsc: ' line naming the cause, last. Return that line."""
    lines = err.decode("utf-8", "replace").split("\n")
    assert lines[-1] == "", "stderr must end with a newline: %r" % err
    lines = lines[:-1]
    assert lines and lines[-1].startswith("wsc: "), lines
    assert [l for l in lines if l.startswith("wsc: ")] == [lines[-1]], lines
    assert all(l.startswith("<") for l in lines[:-1]), lines
    return lines[-1]


def close_peer_received(got):
    """Handler part: read until wsc's Close; record its payload."""
    def rest(conn):
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                got.append(data)
                return data
    return rest


# --- status 0: clean close by the server ------------------------------------

@pytest.mark.parametrize("code", [1000, 1001, None],
                         ids=["1000", "1001", "1005-empty-payload"])
def test_server_clean_close_exits_0_silently(code):
    answered = []

    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"hi")
        conn.send_close(code, b"" if code is None else b"bye")
        close_peer_received(answered)(conn)

    with RawServer(handler) as srv:
        rc, out, err = run_stdin_open([srv.url])
        assert srv.done.wait(5), "the server's handler did not finish"
    assert rc == 0, err
    assert err == b""
    assert out == b"hi\n"
    assert len(answered) == 1   # wsc answered the server's Close


# --- status 3: the server closed with another code --------------------------

@pytest.mark.parametrize("code", [1011, 4000])
def test_server_error_close_exits_3_with_code_and_reason(code):
    def handler(conn):
        conn.read_request().accept()
        conn.send_close(code, "custom reason")
        close_peer_received([])(conn)

    with RawServer(handler) as srv:
        rc, out, err = run_stdin_open([srv.url])
        assert srv.done.wait(5), "the server's handler did not finish"
    assert rc == 3, err
    line = one_diagnostic(err)
    assert str(code) in line
    assert "custom reason" in line
    assert out == b""


# --- status 1: runtime failures ---------------------------------------------

def test_tcp_reset_mid_frame_exits_1():
    def handler(conn):
        conn.read_request().accept()
        # header of a 100-byte text frame, then only 10 bytes of it
        conn.send_raw(struct.pack("!BB", 0x81, 100) + b"0123456789")
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        conn.sock.close()   # linger 0: RST instead of FIN

    with RawServer(handler) as srv:
        rc, out, err = run_stdin_open([srv.url])
    assert rc == 1, err
    one_diagnostic(err)


def test_tcp_closed_without_close_frame_exits_1():
    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"last words")
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.sock.close()

    with RawServer(handler) as srv:
        rc, out, err = run_stdin_open([srv.url])
    assert rc == 1, err
    one_diagnostic(err)
    assert out == b"last words\n"   # what came before the drop is kept


def test_connection_refused_exits_1():
    port = free_port()   # bound and closed again: nobody listens there
    r = run(["ws://127.0.0.1:%d/" % port], input="", timeout=10)
    assert r.returncode == 1, r.stderr
    one_diagnostic(r.stderr)


@pytest.mark.parametrize("status", ["403 Forbidden", "404 Not Found"])
def test_handshake_rejected_exits_1(status):
    def handler(conn):
        conn.read_request().reject(status, body=b"go away\n")

    with RawServer(handler) as srv:
        r = run([srv.url], input="hello\n", timeout=10)
    assert r.returncode == 1, r.stderr
    line = rejected_diagnostic(r.stderr)
    assert status.split()[0] in line
    assert r.stdout == b""


def test_http_200_without_upgrade_exits_1():
    def handler(conn):
        conn.read_request().reject(
            "200 OK", extra=["Content-Type: text/html"],
            body=b"<html>not a websocket</html>")

    with RawServer(handler) as srv:
        r = run([srv.url], input="hello\n", timeout=10)
    assert r.returncode == 1, r.stderr
    line = rejected_diagnostic(r.stderr)
    assert "200" in line


def test_wrong_sec_websocket_accept_exits_1():
    def handler(conn):
        conn.read_request().accept(
            accept="dGhlIHNhbXBsZSBub25jZQ==")  # valid base64, wrong value

    with RawServer(handler) as srv:
        r = run([srv.url], input="hello\n", timeout=10)
    assert r.returncode == 1, r.stderr
    line = one_diagnostic(r.stderr)
    assert "Sec-WebSocket-Accept" in line


def test_handshake_never_answered_connect_timeout_exits_1():
    release = threading.Event()
    requested = threading.Event()

    def handler(conn):
        conn.read_request()
        requested.set()
        release.wait(30)    # never answer while the test runs

    with RawServer(handler) as srv:
        try:
            t0 = time.monotonic()
            rc, out, err = run_stdin_open(
                ["--connect-timeout", "0.5", srv.url], timeout=5)
            elapsed = time.monotonic() - t0
        finally:
            release.set()
    assert requested.is_set()
    assert rc == 1, err
    line = one_diagnostic(err)
    assert "timed out" in line
    assert 0.4 <= elapsed < 30, elapsed


def test_close_never_answered_close_timeout_exits_1():
    release = threading.Event()
    got = []

    def handler(conn):
        conn.read_request().accept()
        close_peer_received(got)(conn)
        release.wait(30)    # hold the TCP connection, never answer Close

    with RawServer(handler) as srv:
        try:
            t0 = time.monotonic()
            r = run(["--close-timeout", "0.5", srv.url], input="hello\n",
                    timeout=30)   # generous: valgrind on a busy box
            elapsed = time.monotonic() - t0
        finally:
            release.set()
    assert got and got[0][:2] == struct.pack("!H", 1000)
    assert r.returncode == 1, r.stderr
    one_diagnostic(r.stderr)
    assert 0.4 <= elapsed < 30, elapsed


# --- status 2: usage errors ------------------------------------------------

USAGE = [
    (["ftp://h/"],
     "wsc: ftp://h/: unsupported scheme (use ws://, wss://, http:// or "
     "https://)"),
    (["ws://h:0/"], "wsc: ws://h:0/: port out of range (1-65535)"),
    (["ws://h:65536/"], "wsc: ws://h:65536/: port out of range (1-65535)"),
    (["ws:///"], "wsc: ws:///: empty host"),
    (["ws://h/a b"],
     "wsc: ws://h/a b: URL contains a space or control character"),
    (["-H", "X: a\r\nY: b", "ws://h/"],
     "wsc: --header: header contains CR or LF"),
    (["-H", "NoColon", "ws://h/"], "wsc: --header: expected 'Name: value'"),
    (["--bogus", "ws://h/"], "wsc: unknown option '--bogus' (see wsc --help)"),
    ([], "wsc: missing URL (see wsc --help)"),
    (["--max-size", "x", "ws://h/"], "wsc: --max-size: not a number: 'x'"),
    (["--connect-timeout", "-1", "ws://h/"],
     "wsc: --connect-timeout: not a number of seconds"),
    (["--reconnect", "3", "ws://h/"],
     "wsc: --reconnect takes its value as --reconnect=3 (see wsc --help)"),
    (["ws://h/", "--reconnect", "5"],
     "wsc: --reconnect takes its value as --reconnect=5 (see wsc --help)"),
]


@pytest.mark.parametrize(
    "args,line", USAGE,
    ids=["scheme", "port-0", "port-65536", "empty-host", "space",
         "header-crlf", "header-no-colon", "unknown-option", "missing-url",
         "max-size-x", "connect-timeout-negative", "reconnect-loose-value",
         "reconnect-loose-value-last"])
def test_usage_error_exits_2(args, line):
    r = run(args, input="", timeout=10)
    assert r.returncode == 2, r.stderr
    assert r.stderr.decode() == line + "\n"
    assert r.stdout == b""


def test_version_lines_have_no_dangling_separator():
    """Each library's version is printed whole; a build-suffix separator
    with nothing after it (libwebsockets' "4.1.6-") is not shown."""
    r = run(["--version"], input="", timeout=10)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    version = r"\d+(\.\d+)+"
    suffix = r"(-[0-9A-Za-z][0-9A-Za-z.+_-]*[0-9A-Za-z])?"
    assert re.fullmatch(r"wsc %s\nlibwebsockets %s%s\nreadline %s\n"
                        % (version, version, suffix, version),
                        r.stdout.decode()), r.stdout
