"""--record writes the session's events, both directions, as JSON lines in
the -j schema; --replay sends a recording's client messages again at the
pace asked for, and --replay-check compares the server's messages with the
recorded ones (a difference or a missing one: exit 4)."""
import base64
import json
import os

import pytest

import threading

from harness import (PYTHON, SERVE_HANDLER, ServerProcess, finish,
                     python_server, run, spawn)
from wsproto import (RawServer, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING,
                     OP_PONG, frame, echo_until_close)

# text that must come back byte for byte: quotes, backslashes, control
# characters, newlines (the input is NUL-delimited), UTF-8 of every length
TEXTS = ['plain', 'quote " backslash \\ slash /', 'tab\tcr\rnl\nbell\x07',
         'é ü 漢字 🎉 \u2028\u2029', '{"json": [1, "two"]}', '\x7f\x1b[0m']
BLOB = b"\x00\x01\x00\xff\xfe" + bytes(range(256)) + b"\x00"


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def data_of(ev):
    return base64.b64decode(ev["data"]) if ev["type"] == "binary" \
        else ev["data"].encode()


def echo():
    return python_server("websockets_echo.py")


def url(srv):
    return "ws://127.0.0.1:%d/" % srv.port


def record_echo(tmp_path, name="r.jsonl"):
    """A recording of TEXTS (stdin, -0) against a python3-websockets echo."""
    rec = tmp_path / name
    with echo() as srv:
        r = run(["-0", "-w", "inf", "-n", str(len(TEXTS)), "--record",
                 str(rec), url(srv)],
                input="\0".join(TEXTS) + "\0")
    assert r.returncode == 0, r.stderr
    return rec


def test_record_has_both_directions_in_order_with_offsets(tmp_path):
    rec = record_echo(tmp_path)
    ev = lines(rec)
    kinds = [e["event"] for e in ev]
    assert kinds[0] == "open" and kinds[-1] == "close", kinds
    sent = [e for e in ev if e["event"] == "sent"]
    got = [e for e in ev if e["event"] == "message"]
    assert [e["data"] for e in sent] == TEXTS
    assert [e["data"] for e in got] == TEXTS
    assert all(e["type"] == "text" for e in sent + got)
    # each echo is recorded after the message it answers
    for i, e in enumerate(got):
        assert ev.index(e) > ev.index(sent[i])
    ts = [e["t"] for e in ev]
    assert ts == sorted(ts) and ts[-1] > 0, ts
    assert all(isinstance(e["ts"], float) for e in ev)


def test_record_binary_with_nul_bytes(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(BLOB)
    rec = tmp_path / "r.jsonl"
    with echo() as srv:
        r = run(["-b", "--send-file", str(blob), "-w", "inf", "-n", "1",
                 "--record", str(rec), url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == BLOB + b"\n"
    ev = [e for e in lines(rec) if e["event"] in ("sent", "message")]
    assert [(e["event"], e["type"]) for e in ev] == \
        [("sent", "binary"), ("message", "binary")]
    assert [data_of(e) for e in ev] == [BLOB, BLOB]


def test_record_takes_what_x_sent_and_what_stdin_sent(tmp_path):
    with echo() as srv:
        rx, rs = tmp_path / "x.jsonl", tmp_path / "s.jsonl"
        r = run(["-x", "from -x", "-x", "again", "-w", "inf", "-n", "2",
                 "--record", str(rx), url(srv)])
        assert r.returncode == 0, r.stderr
        r = run(["-w", "inf", "-n", "1", "--record", str(rs), url(srv)],
                input="from stdin\n")
        assert r.returncode == 0, r.stderr
    assert [e["data"] for e in lines(rx) if e["event"] == "sent"] == \
        ["from -x", "again"]
    assert [e["data"] for e in lines(rs) if e["event"] == "sent"] == \
        ["from stdin"]


def test_record_and_jsonl_write_the_same_lines(tmp_path):
    rec = tmp_path / "r.jsonl"
    with echo() as srv:
        r = run(["-j", "-x", "same", "-w", "inf", "-n", "1", "--record",
                 str(rec), url(srv)])
    assert r.returncode == 0, r.stderr
    shown = [json.loads(l) for l in r.stdout.decode().splitlines()]
    recorded = [e for e in lines(rec) if e["event"] != "sent"]
    assert shown == recorded


def test_messages_both_ways_at_once_are_each_one_whole_line(tmp_path):
    # the server's message is under way (its first fragment came) while
    # wsc sends two of its own; then the rest of it comes
    rec = tmp_path / "r.jsonl"
    first_part = threading.Event()
    got = []

    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"first half, ", fin=False)
        # wsc answers a Ping once it has read what came before it: the
        # first half is in, and its record begun
        conn.send_frame(OP_PING, b"after the first half")
        while conn.recv_frame()[1] != OP_PONG:
            pass
        first_part.set()
        got.append(conn.recv_message())
        got.append(conn.recv_message())
        conn.send_frame(0, "second half é".encode(), fin=True)
        conn.recv_message()     # wsc's Close
        conn.send_close(1000)

    with RawServer(handler) as srv:
        p = spawn(["-n", "1", "-w", "inf", "--record", str(rec), srv.url])
        assert first_part.wait(10)
        p.stdin.write("a\nb\n".encode())
        p.stdin.flush()
        status, out, err = finish(p, timeout=20, sig=None)
    assert status == 0, err
    assert out == "first half, second half é\n".encode()
    assert got == [(OP_TEXT, b"a"), (OP_TEXT, b"b")]
    ev = lines(rec)
    assert [(e["event"], e.get("data")) for e in ev
            if e["event"] in ("sent", "message")] == [
        ("message", "first half, second half é"), ("sent", "a"),
        ("sent", "b")]
    msg, sent_a = [e for e in ev if e["event"] in ("sent", "message")][:2]
    assert msg["t"] <= sent_a["t"]


def test_record_write_failure_is_one_line_and_status_1():
    with echo() as srv:
        r = run(["-x", "still delivered", "-w", "inf", "-n", "1",
                 "--record", "/dev/full", url(srv)])
    assert r.returncode == 1
    assert r.stdout == b"still delivered\n"
    err = r.stderr.decode().splitlines()
    assert err == ["wsc: --record: /dev/full: No space left on device"], err


def test_record_file_that_cannot_be_made_is_status_2(tmp_path):
    r = run(["--record", str(tmp_path / "no" / "such"), "-x", "a",
             "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1
    assert "--record: " in r.stderr.decode()


@pytest.mark.parametrize("pace", ["recorded", "none", "replies"])
def test_replay_each_pace_against_a_fresh_echo_passes_its_check(
        tmp_path, pace):
    rec = record_echo(tmp_path)
    again = tmp_path / "again.jsonl"
    with echo() as srv:
        r = run(["-0", "--replay", str(rec), "--replay-pace", pace,
                 "--replay-check", "--record", str(again), url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("\0".join(TEXTS) + "\0").encode()
    assert [e["data"] for e in lines(again) if e["event"] == "sent"] == TEXTS


def test_replay_sends_binary_as_binary(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(BLOB)
    rec = tmp_path / "r.jsonl"
    with echo() as srv:
        assert run(["-b", "--send-file", str(blob), "-x", "two", "-w", "inf",
                    "-n", "2", "--record", str(rec), url(srv)]).returncode == 0
    seen = []

    def handler(conn):
        conn.read_request().accept()
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, data[:2])
                return
            seen.append((op, data))
            conn.send_frame(op, data)

    with RawServer(handler) as srv:
        r = run(["--replay", str(rec), "--replay-check", srv.url])
    assert r.returncode == 0, r.stderr
    assert seen == [(OP_BINARY, BLOB), (OP_BINARY, b"two")]


# a recording of one message sent and its echo
ONE_ECHO = [
    {"t": 0.0, "event": "open"},
    {"t": 0.1, "event": "sent", "type": "text", "data": "one"},
    {"t": 0.1, "event": "message", "type": "text", "data": "one"},
]


def recording(tmp_path, events):
    path = tmp_path / "hand.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_recorded_pace_keeps_the_recorded_offsets(tmp_path):
    # sent 0.4 s and 0.8 s after the open, as a recording says
    rec = recording(tmp_path, [
        {"ts": 1.0, "t": 0.1, "event": "open", "url": "ws://x/",
         "protocol": None, "extensions": None},
        {"ts": 1.1, "t": 0.5, "event": "sent", "type": "text", "data": "a"},
        {"ts": 1.2, "t": 0.9, "event": "sent", "type": "text", "data": "b"},
    ])
    again = tmp_path / "again.jsonl"
    with echo() as srv:
        r = run(["--replay", str(rec), "-w", "inf", "-n", "2", "--record",
                 str(again), url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    ev = lines(again)
    t_open = next(e["t"] for e in ev if e["event"] == "open")
    sent = [(e["data"], e["t"] - t_open) for e in ev if e["event"] == "sent"]
    assert [d for d, _ in sent] == ["a", "b"]
    # each at its offset from the open: never early (a little slack for
    # the clock's rounding), late as the machine is busy (so a late "a"
    # can leave less than 0.4 s before "b")
    assert sent[0][1] >= 0.4 - 0.01, sent
    assert sent[1][1] >= 0.8 - 0.01, sent


# A python3-websockets server that pushes "welcome" on its own, then
# answers each message with "re:" and the message, or "early:" and the
# message when it came before the welcome went out. argv[1] says when the
# welcome goes: "timer", 0.5 s after the open; "late", only after the
# first message has been answered.
PUSH_SERVER = r'''
import asyncio, sys, websockets

async def handler(ws, path=None):
    pushed = False

    async def push():
        nonlocal pushed
        await asyncio.sleep(0.5)
        await ws.send("welcome")
        pushed = True

    if sys.argv[1] == "timer":
        asyncio.ensure_future(push())
    try:
        async for m in ws:
            await ws.send(("re:" if pushed else "early:") + m)
            if not pushed:
                await ws.send("welcome")
                pushed = True
    except websockets.ConnectionClosed:
        pass

''' + SERVE_HANDLER


def push_server(when):
    return ServerProcess([PYTHON, "-c", PUSH_SERVER, when])


def test_replies_pace_waits_for_the_servers_push(tmp_path):
    # recorded: the push came, then wsc sent "hi", then the answer
    rec = recording(tmp_path, [
        {"t": 0.0, "event": "open"},
        {"t": 0.5, "event": "message", "type": "text", "data": "welcome"},
        {"t": 0.5, "event": "sent", "type": "text", "data": "hi"},
        {"t": 0.5, "event": "message", "type": "text", "data": "re:hi"},
    ])
    with push_server("timer") as srv:
        r = run(["--replay", str(rec), "--replay-pace", "replies",
                 "--replay-check", url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"welcome\nre:hi\n"
    # a server that pushes only once spoken to: wsc waits for the push
    # until --expect-timeout; without waiting, the check sees the answer
    # come first
    with push_server("late") as srv:
        r = run(["--replay", str(rec), "--replay-pace", "replies",
                 "--replay-check", "--expect-timeout", "0.5", url(srv)])
        assert r.returncode == 4, r.stderr
        assert "message 1 of 2 not received" in r.stderr.decode()
        r = run(["--replay", str(rec), "--replay-pace", "none",
                 "--replay-check", url(srv)])
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert "expected text \"welcome\"" in err and "early:hi" in err, err


def test_check_shows_both_messages_and_closes_1000(tmp_path):
    rec = record_echo(tmp_path)
    closes = []

    def shouting(conn):
        conn.read_request().accept()
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                closes.append(data)
                conn.send_frame(OP_CLOSE, data[:2])
                return
            conn.send_frame(op, data.upper())

    with RawServer(shouting) as srv:
        r = run(["--replay", str(rec), "--replay-pace", "replies",
                 "--replay-check", srv.url])
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode().splitlines()
    assert err == ['wsc: --replay-check: server message 1 differs: expected '
                   'text "plain" (5 bytes), received text "PLAIN" (5 bytes)'
                   ], err
    assert closes and closes[0][:2] == b"\x03\xe8"


def test_check_long_messages_are_cut_in_the_line(tmp_path):
    rec = recording(tmp_path, [
        {"t": 0.0, "event": "open"},
        {"t": 0.1, "event": "sent", "type": "text", "data": "x" * 5000},
        {"t": 0.1, "event": "message", "type": "text", "data": "y" * 5000},
    ])
    with echo() as srv:
        r = run(["--replay", str(rec), "--replay-check", url(srv)])
    assert r.returncode == 4
    line = r.stderr.decode()
    assert line.count("\n") == 1 and len(line) < 400, line
    assert '"yyyy' in line and '"xxxx' in line and "5000 bytes" in line


def test_check_a_message_not_recorded_is_status_4(tmp_path):
    rec = recording(tmp_path, ONE_ECHO)

    def chatty(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        conn.send_raw(frame(op, data) + frame(OP_TEXT, b"surprise"))
        echo_until_close(conn)

    with RawServer(chatty) as srv:
        r = run(["--replay", str(rec), "--replay-check", srv.url])
    assert r.returncode == 4, r.stderr
    assert r.stderr.decode().splitlines() == [
        'wsc: --replay-check: server message 2 was not recorded (the '
        'recording has 1): received text "surprise" (8 bytes)']


def test_check_a_missing_message_is_status_4(tmp_path):
    rec = recording(tmp_path, [
        {"t": 0.0, "event": "open"},
        {"t": 0.1, "event": "sent", "type": "text", "data": "one"},
        {"t": 0.1, "event": "message", "type": "text", "data": "one"},
        {"t": 0.2, "event": "message", "type": "text", "data": "two"},
    ])
    with echo() as srv:
        r = run(["--replay", str(rec), "--replay-check",
                 "--expect-timeout", "0.5", url(srv)])
    assert r.returncode == 4
    assert r.stdout == b"one\n"
    err = r.stderr.decode().splitlines()
    assert len(err) == 1 and "message 2 of 2 not received" in err[0] and \
        "--expect-timeout" in err[0] and '"two"' in err[0], err


def test_check_server_closing_first_is_status_4(tmp_path):
    rec = recording(tmp_path, ONE_ECHO)

    def closer(conn):
        conn.read_request().accept()
        conn.recv_message()
        conn.send_close(1000)
        conn.recv_message()

    with RawServer(closer) as srv:
        r = run(["--replay", str(rec), "--replay-check", srv.url])
    assert r.returncode == 4
    assert "the connection closed" in r.stderr.decode()


@pytest.mark.parametrize("line,why", [
    ('not json', "not a JSON object"),
    ('{"t": 1, "type": "text", "data": "a"}', 'no "event"'),
    ('{"event": "sent", "t": 1, "type": "text"}', '"data"'),
    ('{"event": "sent", "t": 1, "type": "ping", "data": "a"}', '"type"'),
    ('{"event": "sent", "type": "text", "data": "a"}', '"t"'),
    ('{"event": "sent", "t": 1, "type": "binary", "data": "a?=="}',
     "base64"),
    ('{"event": "message", "type": "text", "data": "\\ud800"}', "surrogate"),
    ('{"event": "open"}', "second open"),
])
def test_malformed_recording_is_one_line_with_its_number(tmp_path, line,
                                                         why):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"event": "open", "t": 0}\n\n' + line + "\n")
    # port 1: were it to connect, the status would be 1
    r = run(["--replay", str(path), "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.count("\n") == 1, err
    assert err.startswith("wsc: --replay: %s:3: " % path) and why in err, err


def test_unreadable_recording_is_status_2(tmp_path):
    r = run(["--replay", str(tmp_path / "none"), "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert "No such file" in r.stderr.decode()


@pytest.mark.parametrize("args,what", [
    (["--replay", "F", "-x", "a"], "-x"),
    (["--replay", "F", "-e", "a"], "-x"),
    (["--replay", "F", "--reconnect"], "--reconnect"),
    (["--replay-check"], "needs --replay"),
    (["--replay-pace", "none"], "needs --replay"),
    (["--replay", "F", "--replay-pace", "fast"], "recorded, none or replies"),
    (["--record", "F", "--listen", "0"], "client option"),
])
def test_replay_usage_errors(args, what):
    if "--listen" in args:
        r = run(args)
    else:
        r = run(args + ["ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert what in r.stderr.decode()
    assert not os.path.exists("F")
