"""Scripted conversations: -x, --send-file and -e run in command-line
order, each -e waits for a matching reply within --expect-timeout, and an
expectation not met ends the run with status 4 and one line saying so."""
import os
import time

from harness import (PYTHON, SERVE_HANDLER, ServerProcess, python_server,
                     read_line, run)

# A python3-websockets server; argv[1] is how it behaves:
#   talk   "sub" is answered after a delay, while it reads on (a message
#          that does not match first), "get" with the result, or "early"
#          if it came before "subscribed" went out; anything else is echoed
#   mute   reads and never replies
#   close  closes (1000) after the first message
# It prints its port, then the close code of each connection that ends.
SERVER = r'''
import asyncio, sys, websockets

MODE = sys.argv[1]

async def handler(ws, path=None):
    state = {"subscribed": False}

    async def subscribe():
        await asyncio.sleep(0.3)
        await ws.send('{"event":"working"}')
        await asyncio.sleep(0.3)
        await ws.send('{"event":"subscribed"}')
        state["subscribed"] = True

    try:
        async for m in ws:
            if MODE == "mute":
                continue
            if MODE == "close":
                await ws.close(1000, "bye")
                break
            if m == '{"op":"sub"}':
                # the reply comes later; what arrives meanwhile is read
                asyncio.ensure_future(subscribe())
            elif m == '{"op":"get"}':
                await ws.send('{"event":"result","value":42}'
                              if state["subscribed"] else '{"event":"early"}')
            else:
                await ws.send(m)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    print(ws.close_code, flush=True)

''' + SERVE_HANDLER


def server(mode):
    return ServerProcess([PYTHON, "-c", SERVER, mode])


def url(srv):
    return "ws://127.0.0.1:%d/" % srv.port


def test_met_script_exits_0_printing_every_message():
    with server("talk") as srv:
        r = run(["-x", '{"op":"sub"}', "-e", '"subscribed"',
                 "-x", '{"op":"get"}', "-e", '"result"', url(srv)])
        closed = read_line(srv.proc.stdout, 10, "server")
    assert r.returncode == 0, r.stderr
    # "get" went only after "subscribed" came; the message that did not
    # match is printed too
    assert r.stdout.decode().split("\n") == [
        '{"event":"working"}', '{"event":"subscribed"}',
        '{"event":"result","value":42}', ""]
    assert closed == "1000"


def test_without_expect_the_script_does_not_wait():
    # the server's check above can fail: -x alone sends "get" at once
    with server("talk") as srv:
        r = run(["-x", '{"op":"sub"}', "-x", '{"op":"get"}', "-n", "3",
                 url(srv)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[0] == '{"event":"early"}'


def test_unmet_expectation_times_out_with_status_4():
    with server("mute") as srv:
        t0 = time.monotonic()
        r = run(["-x", "hello", "-e", "never-[0-9]+", "--expect-timeout",
                 "1.5", url(srv)])
        elapsed = time.monotonic() - t0
        closed = read_line(srv.proc.stdout, 10, "server")
    assert r.returncode == 4, r.stderr
    assert elapsed >= 1.5
    err = r.stderr.decode()
    assert err.count("\n") == 1, err
    assert "'never-[0-9]+'" in err and "timed out" in err, err
    assert "after 1.5 s" in err and "none was received" in err, err
    assert closed == "1000"     # wsc sent Close 1000


def test_unmet_line_shows_the_last_message_received():
    with server("talk") as srv:
        long = "x" * 200
        r = run(["-x", long, "-x", "short", "-e", "^nothing$",
                 "--expect-timeout", "1", url(srv)])
    assert r.returncode == 4, r.stderr
    assert r.stdout.decode() == long + "\nshort\n"
    err = r.stderr.decode()
    assert "the last of 2 received: short" in err, err


def test_long_last_message_is_cut_in_the_line():
    with server("talk") as srv:
        long = "é" * 100
        r = run(["-x", long, "-e", "^nothing$", "--expect-timeout", "1",
                 url(srv)])
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert "the last of 1 received: " + "é" * 36 + "... (200 bytes)" in err


def test_connection_closed_before_match_is_status_4():
    with server("close") as srv:
        t0 = time.monotonic()
        r = run(["-x", "hi", "-e", "reply", url(srv)])
        elapsed = time.monotonic() - t0
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert "expected a message matching 'reply': the connection closed" \
        in err, err
    assert elapsed < 10    # the closed connection ended the wait


def test_send_file_text_and_binary(tmp_path):
    text = tmp_path / "t.json"
    text.write_text('{"op":"file"}\nsecond line')
    blob = tmp_path / "b.bin"
    blob.write_bytes(b"\x00\xff\x00binary-marker")
    with python_server("websockets_echo.py") as srv:
        r = run(["--send-file", str(text), "-e", "second line$",
                 "-x", "after", "-e", "^after$", url(srv)])
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == '{"op":"file"}\nsecond line\nafter\n'
        # a NUL in the message does not end what is matched
        r = run(["-b", "--send-file", str(blob), "-e", "binary-marker",
                 "--expect-timeout", "5", url(srv)])
        assert r.returncode == 0, r.stderr


def test_stdin_is_not_read_with_a_script():
    with python_server("websockets_echo.py") as srv:
        r = run(["-x", "one", "-e", "one", url(srv)], input="from stdin\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "one\n"


def test_bad_input_is_exit_2_before_connecting(tmp_path):
    blob = tmp_path / "b.bin"
    blob.write_bytes(b"\xff\xfe")
    # port 1: a connection attempt would fail with status 1, not 2
    cases = [
        (["-e", "(unclosed"], "wsc: --expect: bad pattern '(unclosed': "),
        (["--send-file", str(tmp_path / "missing")],
         "wsc: --send-file: %s: No such file" % (tmp_path / "missing")),
        (["--send-file", str(blob)],
         "wsc: --send-file: %s is not UTF-8 text; use -b" % blob),
        (["-e", "x", "--reconnect"], "wsc: --expect cannot be used with "
         "--reconnect"),
        (["--expect-timeout", "0", "-e", "x"], "wsc: --expect-timeout: "),
    ]
    for args, line in cases:
        r = run(args + ["ws://127.0.0.1:1/"])
        err = r.stderr.decode()
        assert r.returncode == 2, (args, err)
        assert err.startswith(line) and err.count("\n") == 1, (args, err)
    r = run(["-e", "x", "--listen", "0"])
    assert r.returncode == 2
    assert "--expect is a client option" in r.stderr.decode()
