"""Scripting options: -j events, -P and keep-alive pings, --ping-timeout,
--reconnect, --deflate."""
import base64
import json

from harness import run, python_server, spawn, finish, read_line, free_port
from wsproto import (RawServer, echo_handler, OP_TEXT, OP_BINARY, OP_CLOSE,
                     OP_PING, OP_PONG)


def events(stdout):
    out = []
    for line in stdout.decode("utf-8").split("\n")[:-1]:
        out.append(json.loads(line))
    return out


def test_jsonl_message_events_text_and_binary():
    def handler(conn):
        conn.read_request().accept(protocol="chat")
        conn.send_frame(OP_TEXT, 'quote " backslash \\ tab \t nl \n é'.encode())
        conn.send_frame(OP_BINARY, bytes(range(256)))
        # a text message in fragments, a ping between them
        conn.send_frame(OP_TEXT, b"frag", fin=False)
        conn.send_frame(1 and 0, b"mented", fin=True)
        conn.send_close(1000, "bye")
        conn.recv_message()

    with RawServer(handler) as srv:
        r = run(["-j", "-S", "-s", "chat", "-w", "inf", srv.url], input="")
    assert r.returncode == 0, r.stderr
    ev = events(r.stdout)
    kinds = [e["event"] for e in ev]
    assert kinds == ["state", "state", "open", "message", "message",
                     "message", "state", "close", "state"], kinds
    assert all(isinstance(e["ts"], float) for e in ev)
    assert [e["state"] for e in ev if e["event"] == "state"] == [0, 1, 2, 3]
    assert ev[2]["protocol"] == "chat" and ev[2]["extensions"] is None
    assert ev[3] == dict(ev[3], type="text",
                         data='quote " backslash \\ tab \t nl \n é')
    assert ev[4]["type"] == "binary"
    assert base64.b64decode(ev[4]["data"]) == bytes(range(256))
    assert ev[5]["data"] == "fragmented"
    assert ev[7] == dict(ev[7], code=1000, reason="bye", who="server",
                         clean=True)


def test_jsonl_error_event_and_exit_status():
    r = run(["-j", "ws://127.0.0.1:1/"], input="")
    assert r.returncode == 1
    ev = events(r.stdout)
    assert [e["event"] for e in ev] == ["error"]
    assert "Connection refused" in ev[0]["message"]
    assert r.stderr.decode().startswith("wsc: ")


def test_jsonl_handshake_event_with_D():
    with RawServer(echo_handler) as srv:
        r = run(["-j", "-D", "-x", "hi", srv.url])
    assert r.returncode == 0, r.stderr
    ev = events(r.stdout)
    hs = [e for e in ev if e["event"] == "handshake"]
    assert len(hs) == 1
    assert hs[0]["request"].startswith("GET / HTTP/1.1\r\n")
    assert "Sec-WebSocket-Key: " in hs[0]["request"]
    assert hs[0]["response"].startswith("HTTP/1.1 101 Switching Protocols\r\n")
    assert [e["data"] for e in ev if e["event"] == "message"] == ["hi"]


def test_ping_interval_and_show_pong_rtt():
    pings = []

    def handler(conn):
        conn.read_request().accept()
        while True:
            fin, op, data = conn.recv_frame()
            if op == OP_PING:
                pings.append(data)
                conn.send_frame(OP_PONG, data)
                if len(pings) == 3:
                    conn.send_close(1000)
            elif op == OP_CLOSE:
                return

    with RawServer(handler) as srv:
        r = run(["-P", "-j", "--ping-interval", "0.05", "-w", "inf", srv.url],
                input="", timeout=10)
    assert r.returncode == 0, r.stderr
    assert len(pings) == 3
    pongs = [e for e in events(r.stdout) if e["event"] == "pong"]
    assert len(pongs) == 3
    assert all(e["rtt_ms"] is not None and e["rtt_ms"] >= 0 for e in pongs)
    assert r.stderr.decode().count("round trip") == 3


def test_ping_timeout_fails_the_connection():
    def handler(conn):
        conn.read_request().accept()
        while True:
            fin, op, data = conn.recv_frame()   # never answers pings
            if op == OP_CLOSE:
                return

    with RawServer(handler) as srv:
        r = run(["--ping-interval", "0.1", "--ping-timeout", "0.2", "-w",
                 "inf", srv.url], input="", timeout=10)
    assert r.returncode == 1
    assert "no Pong within 0.2 s (--ping-timeout)" in r.stderr.decode()


def test_ping_timeout_needs_interval():
    r = run(["--ping-timeout", "1", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert r.stderr == b"wsc: --ping-timeout needs --ping-interval\n"


def test_reconnect_resends_execute_messages():
    conns = []

    def handler(conn):
        conns.append(conn)
        conn.read_request().accept()
        op, data = conn.recv_message()
        if len(conns) == 1:
            conn.sock.close()   # drop without a Close
            return
        conn.send_frame(op, b"second got " + data)
        conn.send_close(1000)
        conn.recv_message()

    with RawServer(handler) as srv:
        r = run(["--reconnect=3", "-w", "inf", "-x", "hello", srv.url],
                timeout=15)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"second got hello\n"
    assert "reconnecting in" in r.stderr.decode()
    assert len(conns) == 2


def test_reconnect_gives_up_after_n():
    r = run(["--reconnect=2", "-x", "x", "ws://127.0.0.1:1/"], timeout=15)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.count("Connection refused") == 3
    assert err.count("reconnecting in") == 2


def test_reconnect_unbounded_numbers_its_attempts():
    # nothing listens: every attempt fails, so they count up without a bound
    p = spawn(["--reconnect", "-x", "x", "ws://127.0.0.1:%d/" % free_port()])
    try:
        attempts = []
        while len(attempts) < 2:
            line = read_line(p.stderr, 15, "wsc --reconnect")
            if "reconnecting in" in line:
                attempts.append(line.split("(", 1)[1])
    finally:
        finish(p)
    assert attempts == ["attempt 1)", "attempt 2)"]


def test_deflate_negotiated_with_python_websockets():
    big = "compress me " * 1000
    with python_server("websockets_echo.py") as s:
        r = run(["--deflate", "-D", "-x", big, "-w", "5", "-n", "1",
                 "ws://127.0.0.1:%d/" % s.port])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == big + "\n"
    err = r.stderr.decode()
    assert "> Sec-WebSocket-Extensions: permessage-deflate" in err
    assert "< Sec-WebSocket-Extensions: permessage-deflate" in err


def test_reconnect_drops_the_rest_of_a_cut_message():
    """A connection lost in the middle of a long line: the new connection
    does not start with the line's remaining fragments (a continuation
    without a start is a protocol error); the rest of the line is dropped,
    said on stderr, and the next line goes out whole."""
    seen = []

    def handler(conn):
        seen.append([])
        conn.read_request().accept()
        if len(seen) == 1:
            seen[-1].append(conn.recv_frame()[:2])   # the line's start
            conn.sock.close()                        # then the drop
            return
        while True:
            fin, op, data = conn.recv_frame()
            if op == OP_PING:
                conn.send_frame(OP_PONG, data)
                continue
            seen[-1].append((fin, op, data if len(data) < 100 else None))
            if op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, data[:2])
                return

    line = b"A" * (4 * 1024 * 1024) + b"\n"
    with RawServer(handler) as srv:
        r = run(["--reconnect=3", srv.url], input=line + b"after\n",
                timeout=120)    # a hang guard; valgrind is slow
        assert srv.errors == [], srv.errors
    assert len(seen) == 2, seen
    assert seen[0] == [(False, OP_TEXT)], seen[0]
    assert seen[1] == [(True, OP_TEXT, b"after"),
                       (True, OP_CLOSE, b"\x03\xe8")], seen[1]
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "reconnecting in" in err
    assert "not sent" in err, err
