"""The message layer (src/message.c) is one fold for the client and the
room: with --deflate --max-size N both take an incompressible message of
N bytes (its compressed payload is longer than N: the limit is judged on
the inflated message, not on the frames that carry it) and both refuse
N + 1 bytes with 1009. The peers are python3-websockets with
permessage-deflate: a server that sends the message to the client, a
client that sends it to the room."""
import asyncio
import os
import subprocess

import pytest
import websockets

from harness import WSC, python_server, read_line
from test_listen import listen  # noqa: F401 - the fixture

N = 20000


@pytest.fixture
def sender(request):
    s = python_server("deflate_send.py", N)
    request.addfinalizer(s.close)
    return s


def client(port, max_size):
    r = subprocess.run([WSC, "--deflate", "--max-size", str(max_size),
                        "-n", "1", "ws://127.0.0.1:%d/" % port],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    assert b"Sanitizer" not in r.stderr and b"runtime error" not in \
        r.stderr, r.stderr
    return r


def test_client_takes_n_incompressible_bytes(sender):
    r = client(sender.port, N)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == N + 1 and r.stdout.endswith(b"\n")
    assert r.stderr == b""
    assert read_line(sender.proc.stdout, 20, what="the Close") == \
        "close 1000"


def test_client_refuses_one_byte_more_with_1009(sender):
    r = client(sender.port, N - 1)
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr == b"wsc: message larger than --max-size (%d bytes); " \
        b"closing with 1009\n" % (N - 1)
    assert read_line(sender.proc.stdout, 20, what="the Close") == \
        "close 1009"


async def echo_from_room(port, size):
    """Send size random bytes compressed; None when the room echoes them
    unchanged, else the code of the room's Close."""
    async with websockets.connect("ws://127.0.0.1:%d/" % port,
                                  compression="deflate", max_size=None,
                                  open_timeout=20, ping_interval=None) as ws:
        assert ws.extensions, "permessage-deflate not agreed"
        sent = os.urandom(size)
        await ws.send(sent)
        try:
            got = await ws.recv()
        except websockets.ConnectionClosed:
            return ws.close_code
        assert got == sent
        return None


def test_room_takes_n_incompressible_bytes(listen):
    srv = listen("--echo", "--deflate", "--max-size", str(N))
    assert asyncio.run(echo_from_room(srv.port, N)) is None
    assert srv.stop() == 0


def test_room_refuses_one_byte_more_with_1009(listen):
    srv = listen("--echo", "--deflate", "--max-size", str(N - 1))
    assert asyncio.run(echo_from_room(srv.port, N)) == 1009
    srv.err.search(r"client #1 sent a message larger than %d bytes "
                   r"\(inflated\): closing it with 1009$" % (N - 1))
    assert srv.stop() == 0
