"""wsc's Close reaches the server even when wsc fails the connection while
the server is still sending.

A socket closed with unread bytes in its receive buffer makes the kernel
answer with a TCP reset instead of an orderly end. A server still writing
meets the reset as a failed write, and servers then give up on the
connection without reading what is in their buffer, wsc's Close included
(and a Close still waiting in wsc's send queue, on a slow network, is
discarded with the reset).
So after its Close wsc shuts down its sending side and reads, discarding,
until the server closes, as RFC 6455 7.1.1 asks of a client.

Each case is a server that, in one write right after the handshake, sends
one frame that makes wsc fail the connection, then keeps writing FLOOD
bytes of frames behind it, so that wsc's receive buffer holds unread bytes
when it closes; then it reads until wsc's Close and records its code. A
write that meets a reset ends the run as a lost Close, as it does in real
servers. Every one of RUNS runs per case must deliver the right code
(without the drain nearly every run lost it). Over TLS the same holds, wsc
sending its close_notify before it shuts down its sending side.
"""
import concurrent.futures
import os
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from harness import WSC, finish
from wsproto import (Conn, RawServer, frame, OP_CONT, OP_TEXT, OP_BINARY,
                     OP_CLOSE)

# Runs per case; every one must deliver the Close. Under valgrind (CI runs
# the suite once through tools/valgrind-wsc) a few runs suffice: there the
# point is memory errors on the closing path, the count is the sanitizer
# run's.
RUNS = 5 if os.path.basename(WSC) == "valgrind-wsc" else 50
WORKERS = 3             # runs at once (a 2-core machine)
FLOOD = 4 << 20         # bytes the server writes behind the violation
CHUNK = 64 << 10        # one binary frame of the flood
# Silence limits, not totals: generous, so valgrind on a busy machine fits.
SILENCE = 30            # the server's socket, per operation
WSC_HANG = 60           # no exit that long after the run started: a hang

FILLER = frame(OP_BINARY, b"f" * (CHUNK - 10))

CASES = {
    "over_max_size": (
        ["--max-size", "1000"], 1009,
        b"".join(frame(OP_TEXT if i == 0 else OP_CONT, b"m" * 100,
                       fin=i == 19) for i in range(20))),
    "invalid_utf8": ([], 1007, frame(OP_TEXT, b"ok \xff\xfe bad")),
    "masked_frame": ([], 1002, frame(OP_TEXT, b"masked",
                                     mask=b"\x01\x02\x03\x04")),
    "reserved_opcode": ([], 1002, frame(3, b"reserved")),
    "rsv_bits": ([], 1002, frame(OP_TEXT, b"rsv", rsv=2)),
}


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 \
        else 1005


def serve_one(lsock, violation, box, tls):
    """Accept wsc (over TLS with the ssl context tls), send the handshake,
    the violation and the flood behind it, then read until wsc's Close;
    record in box what came back: ("close", code) or ("lost", why)."""
    s, _ = lsock.accept()
    s.settimeout(SILENCE)
    try:
        if tls:
            s = tls.wrap_socket(s, server_side=True)
        conn = Conn(s)
        conn.read_request()
        s.sendall(conn.accept_bytes() + violation)
        try:
            for _ in range(FLOOD // len(FILLER)):
                s.sendall(FILLER)
        except OSError as e:
            # a reset met while writing: like most servers, give up on
            # the connection (what wsc sent is never read)
            box.append(("lost", "%s while sending" % e))
            return
        while True:
            _fin, op, data = conn.recv_frame()
            if op == OP_CLOSE:
                box.append(("close", close_code(data)))
                break
    except EOFError:
        box.append(("lost", "connection ended without a Close"))
    except OSError as e:
        box.append(("lost", "%s before the Close" % e))
    finally:
        s.close()       # the server closes first (RFC 6455 7.1.1)


def one_run(args, violation, tls=None):
    """One wsc against one server; returns (what the server got, exit
    status, stderr)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(SILENCE)
    box = []
    srv = threading.Thread(target=serve_one,
                           args=(lsock, violation, box, tls), daemon=True)
    srv.start()
    url = "%s://127.0.0.1:%d/" % ("wss" if tls else "ws",
                                  lsock.getsockname()[1])
    if tls:
        args = ["-k"] + args
    # stdin: a pipe nobody writes to, so wsc never closes on its own
    rfd, wfd = os.pipe()
    try:
        p = subprocess.Popen([WSC, "-q"] + args + [url], stdin=rfd,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        rc, _out, err = finish(p, WSC_HANG, sig=None)
        assert rc is not None, "wsc hung: %r" % err
    finally:
        os.close(rfd)
        os.close(wfd)
        srv.join(SILENCE)
        lsock.close()
    return (box[0] if box else ("lost", "server saw nothing")), \
        p.returncode, err.decode("utf-8", "replace")


def all_deliver(args, want, violation, tls=None):
    """RUNS runs, WORKERS at a time: each server got Close want, each wsc
    exited 1 with one line naming the code."""
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda _: one_run(args, violation, tls),
                                range(RUNS)))
    lost = [r for r in results if r[0] != ("close", want)]
    assert not lost, "%d of %d runs did not deliver Close %d, e.g. %r" % (
        len(lost), RUNS, want, lost[:3])
    for got, rc, err in results:
        assert rc == 1, (rc, err)
        assert err.startswith("wsc: ") and err.count("\n") == 1, err
        assert "AddressSanitizer" not in err and "runtime error" not in err
        assert str(want) in err, err


@pytest.mark.parametrize("case", sorted(CASES))
def test_close_reaches_server_under_load(case):
    all_deliver(*CASES[case])


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-keyout", "k.pem", "-out", "c.pem", "-subj", "/CN=localhost"],
        cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "c.pem", d / "k.pem")
    return ctx


@pytest.mark.parametrize("case", ["invalid_utf8", "over_max_size"])
def test_close_reaches_server_over_tls(case, server_tls):
    all_deliver(*CASES[case], tls=server_tls)


# --- after the closing handshake: the server closes TCP first -------------

def close_then_hold(saw_eof, release):
    """Send Close 1000, read wsc's answer, see wsc shut down its sending
    side (EOF), then keep the connection open until released."""
    def handler(conn):
        conn.sock.settimeout(SILENCE)
        conn.read_request().accept()
        conn.send_close(1000)
        while conn.recv_frame()[1] != OP_CLOSE:
            pass
        while conn.sock.recv(65536):
            pass
        saw_eof.set()
        release.wait(WSC_HANG)
    return handler


def test_wsc_waits_for_the_server_to_close_bounded_by_close_timeout():
    """The server never closes: wsc waits --close-timeout of silence after
    the handshake, then closes itself; the close was clean (exit 0)."""
    saw_eof, release = threading.Event(), threading.Event()
    with RawServer(close_then_hold(saw_eof, release)) as srv:
        rfd, wfd = os.pipe()
        try:
            t0 = time.monotonic()
            p = subprocess.run([WSC, "--close-timeout", "0.5", srv.url],
                               stdin=rfd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=WSC_HANG)
            elapsed = time.monotonic() - t0
        finally:
            os.close(rfd)
            os.close(wfd)
            release.set()
    assert saw_eof.is_set(), "wsc did not shut down its sending side"
    assert p.returncode == 0 and p.stderr == b"", p
    assert elapsed >= 0.5, "wsc closed %.3f s after the handshake" % elapsed


def test_signal_while_waiting_for_the_server_to_close_exits_at_once():
    """SIGINT during that wait ends it at once, with the status of the
    clean close and nothing on stderr."""
    saw_eof, release = threading.Event(), threading.Event()
    with RawServer(close_then_hold(saw_eof, release)) as srv:
        rfd, wfd = os.pipe()
        try:
            p = subprocess.Popen([WSC, "--close-timeout", "300", srv.url],
                                 stdin=rfd, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            assert saw_eof.wait(WSC_HANG), "wsc never shut down its side"
            p.send_signal(signal.SIGINT)
            rc, out, err = finish(p, WSC_HANG, sig=None)
            assert rc is not None, "SIGINT did not end the wait"
        finally:
            os.close(rfd)
            os.close(wfd)
            release.set()
    assert p.returncode == 0 and err == b"", (p.returncode, err)


def test_server_that_never_stops_sending_is_left_after_16_mib():
    """After a violation the server floods on and never reads: the silence
    bound never passes, so wsc stops discarding after 16 MiB and closes
    (no hang); the exit and the line are those of the violation."""
    def handler(conn):
        conn.sock.settimeout(SILENCE)
        conn.read_request()
        conn.send_raw(conn.accept_bytes() + frame(OP_TEXT, b"\xff"))
        while True:
            conn.send_raw(FILLER)   # ends when wsc's reset comes

    with RawServer(handler) as srv:
        rfd, wfd = os.pipe()
        try:
            p = subprocess.run([WSC, srv.url], stdin=rfd,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=WSC_HANG)
        finally:
            os.close(rfd)
            os.close(wfd)
    err = p.stderr.decode()
    assert p.returncode == 1 and err.count("\n") == 1 and "1007" in err, p
