"""--stats: at exit, the session's figures on standard error (or one -j
stats event): messages and bytes each way, -e reply times, Ping round
trips, reconnects, how the connection ended and the exit status; printed
also when no connection was made, and with -q. Timings are only held to
their order (min <= median <= ... <= max) and sign: their values are the
machine's."""
import json
import re

from harness import python_server, run
from tty import Tmux
from wsproto import OP_CLOSE, RawServer, echo_handler


def url(srv):
    return "ws://127.0.0.1:%d/" % srv.port


def block(stderr):
    """The --stats lines of stderr, "wsc: " and the indent removed, as
    {first word: rest}; the first line under "stats"."""
    lines = stderr.decode().split("\n")
    start = [i for i, l in enumerate(lines) if l.startswith("wsc: stats: ")]
    assert len(start) == 1, stderr
    out = {}
    for l in lines[start[0]:]:
        if not l:
            continue
        assert l.startswith("wsc: "), l
        text = l[5:].strip()
        key, _, rest = text.partition(" ")
        out[key.rstrip(":")] = text
    return out


def times_ms(text):
    """The times of a line, in ms, in the order they appear."""
    out = []
    for v, unit in re.findall(r"(\d+\.\d+) (ms|s)\b", text):
        out.append(float(v) * (1000 if unit == "s" else 1))
    return out


def assert_ordered(values):
    assert values, values
    assert all(v > 0 for v in values), values
    assert values == sorted(values), values


def timed_replies(r, start):
    """A clean run whose replies line starts so, with five ordered times."""
    assert r.returncode == 0, r.stderr
    line = block(r.stderr)["replies"]
    assert line.startswith(start), line
    t = times_ms(line)
    assert len(t) == 5, line
    assert_ordered(t)       # min, median, p90, p99, max


def test_counts_and_bytes_are_exact():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "-x", "hello", "-x", "wörld", "-e", "wörld",
                 url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "hello\nwörld\n"
    b = block(r.stderr)
    # payload bytes: 5 + 6 (ö is two bytes) each way
    assert b["sent"] == "sent 2 messages, 11 bytes; received 2 messages, " \
        "11 bytes", b
    m = re.fullmatch(r"frames on the wire: sent (\d+) bytes, received "
                     r"(\d+) bytes", b["frames"])
    assert m, b
    # each of our frames carries 6 bytes of header and mask at least (the
    # two messages and the Close), the server's 2 (two echoes and its Close)
    assert int(m.group(1)) >= 11 + 3 * 6 + 2
    assert int(m.group(2)) >= 11 + 3 * 2 + 2
    assert b["ended"] == 'ended: closed by wsc, 1000 (normal closure); ' \
        'the server answered 1000 ""; exit 0', b
    assert "last" not in b
    t = times_ms(b["stats"])
    assert len(t) == 2 and 0 < t[1] <= t[0], b["stats"]


def test_compressed_messages_count_as_the_application_sees_them():
    big = "a" * 20000
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "--deflate", "-x", big, "-e", "^a+$", url(srv)])
    assert r.returncode == 0, r.stderr
    b = block(r.stderr)
    assert b["sent"] == "sent 1 message, 20000 bytes (19.5 KiB); received " \
        "1 message, 20000 bytes (19.5 KiB)", b
    wire = [int(x) for x in re.findall(r"(\d+) bytes", b["frames"])]
    assert len(wire) == 2 and all(0 < w < 2000 for w in wire), b


def test_expect_replies_are_timed_once_each():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "-x", "a", "-e", "a", "-x", "b", "-e", "b",
                 "-x", "c", "-e", "c", url(srv)])
    timed_replies(r, "replies (-e): 3, min ")


def test_rpc_replies_are_timed_once_each():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "--rpc", "-q", url(srv)],
                input=b'{"method":"a"}\n{"method":"b"}\nnot a request\n')
    timed_replies(r, "replies (--rpc): 2, min ")


def test_pings_are_counted_as_the_pongs_printed():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "-P", "--ping-interval", "0.05", "-x", "hi",
                 "-w", "1", url(srv)])
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    pongs = re.findall(r"round trip (\d+\.\d+) ms", err)
    line = block(r.stderr)["pings"]
    m = re.match(r"pings: (\d+) sent, answered (\d+), round trip min ", line)
    assert m, line
    # -w: no end-of-input Ping, so each Pong printed answers a Ping counted
    assert int(m.group(2)) == len(pongs) >= 1, err
    assert int(m.group(1)) >= int(m.group(2))
    t = times_ms(line)
    assert len(t) == 3, line
    assert_ordered(t)
    assert t[0] == min(float(p) for p in pongs)
    assert t[2] == max(float(p) for p in pongs)


def test_jsonl_gives_one_stats_event_last():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "-j", "-x", "one", "-e", "one", "-x", "two",
                 "-e", "two", url(srv)])
    assert r.returncode == 0, r.stderr
    assert "stats" not in r.stderr.decode()
    events = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [e["event"] for e in events].count("stats") == 1
    s = events[-1]
    assert s["event"] == "stats" and isinstance(s["ts"], float)
    assert s["sent"]["messages"] == 2 and s["sent"]["bytes"] == 6
    assert s["received"] == dict(s["received"], messages=2, bytes=6)
    assert s["sent"]["wire_bytes"] > 6 and s["received"]["wire_bytes"] > 6
    assert 0 < s["open_seconds"] <= s["seconds"]
    x = s["expect"]
    assert x["count"] == 2
    assert_ordered([x["min_ms"], x["median_ms"], x["p90_ms"], x["p99_ms"],
                    x["max_ms"]])
    assert s["rpc"]["count"] == 0 and s["rpc"]["median_ms"] is None
    assert s["pings_sent"] == 0 and s["pings"]["count"] == 0
    assert s["reconnects"] == 0
    assert s["end"] == {"opened": True, "closed_by": "client", "code": 1000,
                        "reason": "", "sent_code": 1000, "error": None}
    assert s["exit"] == 0


def closing_server(code, reason):
    """Accepts, reads one message, closes with code and reason."""
    def handler(conn):
        conn.read_request().accept()
        conn.recv_message()
        conn.send_frame(OP_CLOSE, code.to_bytes(2, "big") + reason)
        while conn.recv_message()[0] != OP_CLOSE:
            pass
    return RawServer(handler)


def test_ended_by_the_server():
    with closing_server(1000, b"bye") as srv:
        r = run(["--stats", "-x", "hi", "-w", "inf", srv.url])
    assert r.returncode == 0, r.stderr
    b = block(r.stderr)
    assert b["ended"] == 'ended: closed by the server, 1000 (normal ' \
        'closure) "bye"; exit 0', b
    assert b["sent"] == "sent 1 message, 2 bytes; received 0 messages, " \
        "0 bytes", b


def test_ended_by_the_server_with_an_error_code():
    with closing_server(4000, b"go away") as srv:
        r = run(["--stats", "-j", "-x", "hi", "-w", "inf", srv.url])
    assert r.returncode == 3, r.stderr
    s = json.loads(r.stdout.decode().splitlines()[-1])
    assert s["end"] == {"opened": True, "closed_by": "server", "code": 4000,
                        "reason": "go away", "sent_code": None,
                        "error": "server closed the connection: 4000: "
                                 "go away"}
    assert s["exit"] == 3


def test_ended_without_a_close():
    def handler(conn):
        conn.read_request().accept()
        conn.recv_message()
        # returning closes the socket: no Close frame
    with RawServer(handler) as srv:
        r = run(["--stats", "-j", "-x", "hi", "-w", "inf", srv.url])
    assert r.returncode == 1, r.stderr
    s = json.loads(r.stdout.decode().splitlines()[-1])
    assert s["end"] == {"opened": True, "closed_by": None, "code": 1006,
                        "reason": None, "sent_code": None,
                        "error": "connection closed abnormally (1006)"}
    assert s["exit"] == 1
    assert s["sent"]["messages"] == 1 and s["received"]["messages"] == 0


def test_connection_refused_still_says_what_is_known():
    with RawServer(echo_handler) as srv:
        port = srv.port
    r = run(["--stats", "-x", "hi", "ws://127.0.0.1:%d/" % port])
    assert r.returncode == 1, r.stderr
    b = block(r.stderr)
    assert b["sent"] == "sent 0 messages, 0 bytes; received 0 messages, " \
        "0 bytes", b
    assert b["ended"] == "ended: no connection was made; exit 1", b
    assert re.fullmatch(r"last error: ws://127\.0\.0\.1:\d+/: connect "
                        r"failed: .*refused.*", b["last"]), b
    assert times_ms(b["stats"])[1] == 0     # never open


def test_refused_handshake_with_reconnects():
    def handler(conn):
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    with RawServer(handler) as srv:
        r = run(["--stats", "--reconnect=2", "-x", "hi", srv.url])
        assert len(srv.conns) == 3
    assert r.returncode == 1, r.stderr
    b = block(r.stderr)
    assert b["reconnects"] == "reconnects: 2", b
    assert b["ended"] == "ended: no connection was made; exit 1", b
    assert b["last"] == "last error: handshake rejected: HTTP 403 " \
        "Forbidden", b


def test_unmet_expectation_is_the_last_error_and_exit_4():
    with python_server("websockets_echo.py") as srv:
        r = run(["--stats", "-x", "hi", "-e", "^never$", "--expect-timeout",
                 "0.5", url(srv)])
    assert r.returncode == 4, r.stderr
    b = block(r.stderr)
    assert b["replies"] == "replies (-e): none", b
    assert b["ended"].endswith("; exit 4"), b
    assert b["last"].startswith("last error: expected a message matching "
                                "'^never$': timed out"), b


def test_quiet_still_prints_the_stats():
    with python_server("websockets_echo.py") as srv:
        quiet = run(["-q", "-x", "hi", url(srv)])
        r = run(["--stats", "-q", "-x", "hi", url(srv)])
    assert quiet.returncode == 0 and quiet.stderr == b""
    assert r.returncode == 0, r.stderr
    b = block(r.stderr)
    assert b["sent"] == "sent 1 message, 2 bytes; received 1 message, " \
        "2 bytes", b


def test_stats_is_a_client_option():
    r = run(["--stats", "--listen", "0"])
    assert r.returncode == 2
    assert r.stderr.decode() == "wsc: --stats is a client option: --listen " \
        "does not use it\n"
    r = run(["--stats", "--check", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert r.stderr.decode() == "wsc: --stats describes a session: --check " \
        "prints its own report\n"


def test_an_error_before_the_session_is_its_one_line_alone(tmp_path):
    r = run(["--stats", "--send-file", str(tmp_path / "missing"),
             "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("wsc: --send-file: "), err


def test_at_the_prompt_typed_pings_count_and_the_block_follows_the_prompt():
    with python_server("websockets_echo.py") as srv, \
            Tmux(["--stats", "--no-history", url(srv)], width=200) as t:
        t.wait_prompt()
        t.type("/ping hi")
        t.keys("Enter")
        t.wait_text("wsc: pong (2 bytes), round trip")
        t.type("hello")
        t.keys("Enter")
        t.wait_text("< hello")
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    lines = [re.sub(r"^wsc: +", "wsc: ", l.strip())
             for l in screen.splitlines()]
    assert "wsc: sent 1 message, 5 bytes; received 1 message, 5 bytes" \
        in lines, screen
    assert any(re.fullmatch(r"wsc: pings: 1 sent, answered 1, round trip "
                            r"min [0-9.]+ ms, median [0-9.]+ ms, max "
                            r"[0-9.]+ ms", l) for l in lines), screen
    assert "wsc: ended: closed by wsc, 1000 (normal closure); the server " \
        'answered 1000 ""; exit 0' in lines, screen
