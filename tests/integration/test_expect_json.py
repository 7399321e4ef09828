"""--expect-json PATH=VALUE: an expectation step like -e that waits for a
JSON message whose field at PATH equals VALUE (JSON compared as JSON,
anything else as a string), in command-line order with -x, within
--expect-timeout, exit 4 with one line when not met."""
import time

from harness import PYTHON, SERVE_HANDLER, ServerProcess, python_server, run

# A python3-websockets server that answers each message with the replies
# listed for it (in order), and echoes the rest.
SERVER = r'''
import asyncio, sys, websockets

REPLIES = {
    "init": ['not json at all', '{"type":"ka"}', '{"type":"connection_ack"}'],
    "big": ['{"id":12345678901234567890}', '{"id":12345678901234567891}'],
    "nested": ['{"result":{"items":[{"id":"a"},{"id":"caf\\u00e9"}]}}'],
    "num": ['{"v":1.0}'],
}

async def handler(ws, path=None):
    try:
        async for m in ws:
            for r in REPLIES.get(m, [m]):
                await ws.send(r)
    except websockets.ConnectionClosed:
        pass

''' + SERVE_HANDLER


def url(srv):
    return "ws://127.0.0.1:%d/" % srv.port


def server():
    return ServerProcess([PYTHON, "-c", SERVER])


def test_string_value_without_quotes_waits_past_other_messages():
    with server() as srv:
        r = run(["-x", "init", "--expect-json", "type=connection_ack",
                 "-x", "after", "-e", "^after$", url(srv)])
    assert r.returncode == 0, r.stderr
    # "after" went only once the ack came: it is printed after it
    assert r.stdout.decode().split("\n") == [
        "not json at all", '{"type":"ka"}', '{"type":"connection_ack"}',
        "after", ""]


def test_big_integer_matches_exactly_that_integer():
    with server() as srv:
        r = run(["-x", "big", "--expect-json", "id=12345678901234567891",
                 "-x", "done", "-e", "^done$", url(srv)])
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().split("\n")[:3] == [
            '{"id":12345678901234567890}', '{"id":12345678901234567891}',
            "done"]
        # one less is never met by ...891 nor ...890's neighbour
        r = run(["-x", "big", "--expect-json", "id=12345678901234567892",
                 "--expect-timeout", "1", url(srv)])
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert err.count("\n") == 1, err
    assert err.startswith("wsc: expected a JSON message with "
                          "'id=12345678901234567892': timed out "
                          "(--expect-timeout) after 1.0 s; the last of 2 "
                          "received: {\"id\":12345678901234567891}"), err


def test_path_into_arrays_and_escaped_strings():
    with server() as srv:
        r = run(["-x", "nested", "--expect-json",
                 "result.items.1.id=café", url(srv)])
        assert r.returncode == 0, r.stderr
        r = run(["-x", "nested", "--expect-json",
                 'result.items.0.id="a"', url(srv)])
        assert r.returncode == 0, r.stderr
        r = run(["-x", "nested", "--expect-json",
                 "result.items=[{\"id\":\"a\"},{\"id\":\"caf\u00e9\"}]",
                 url(srv)])
        assert r.returncode == 0, r.stderr


def test_numbers_compare_by_value_and_strings_are_not_numbers():
    with server() as srv:
        r = run(["-x", "num", "--expect-json", "v=1", url(srv)])
        assert r.returncode == 0, r.stderr
        # a quoted VALUE is a string: the number 1.0 is not it
        r = run(["-x", "num", "--expect-json", 'v="1"',
                 "--expect-timeout", "0.5", url(srv)])
        assert r.returncode == 4, r.stderr


def test_echoed_text_that_is_not_json_never_matches():
    with python_server("websockets_echo.py") as srv:
        t0 = time.monotonic()
        r = run(["-x", "type=x", "--expect-json", "type=x",
                 "--expect-timeout", "1", url(srv)])
    assert r.returncode == 4, r.stderr
    assert time.monotonic() - t0 >= 1
    assert "the last of 1 received: type=x" in r.stderr.decode()


def test_bad_expect_json_is_exit_2_before_connecting():
    cases = [
        (["--expect-json", "type"], "wsc: --expect-json: expected "
         "PATH=VALUE, got 'type'"),
        (["--expect-json", "a..b=1"], "wsc: --expect-json: bad path in "
         "'a..b=1': an empty member name"),
        (["--expect-json", "=1"], "wsc: --expect-json: bad path in '=1': "
         "an empty path"),
        (["--expect-json", "a=1", "--reconnect"], "wsc: --expect cannot be "
         "used with --reconnect"),
    ]
    for args, line in cases:
        r = run(args + ["ws://127.0.0.1:1/"])
        err = r.stderr.decode()
        assert r.returncode == 2, (args, err)
        assert err.startswith(line) and err.count("\n") == 1, (args, err)
