"""permessage-deflate (RFC 7692) in `wsc --listen --deflate`: the room
accepts a client's offer (answering server_no_context_takeover), inflates
its compressed messages (UTF-8 and --max-size judged on the inflated
bytes) and compresses what it sends to it; without --deflate, or for a
client that does not offer it, nothing changes. The room is a byte hub
here (--plain), so what a client gets is exactly what was sent; the chat
room's named messages, compressed, are test_room_names.py's."""

import asyncio
import os
import struct
import subprocess
import zlib

import pytest
import websockets

from harness import HERE, NODE_PATH, read_line
from test_listen import (NODE, listen, procs, raw_connect,  # noqa: F401
                         recv_until_close, send_close, status_of, wait_eof)
from wsproto import OP_CLOSE, OP_TEXT

OFFER = "permessage-deflate; client_max_window_bits"
AGREED = "permessage-deflate; server_no_context_takeover"
TAIL = b"\x00\x00\xff\xff"


def compress(data, z=None):
    """One message's payload (RFC 7692 7.2.1); z keeps the context."""
    z = z or zlib.compressobj(wbits=-15)
    out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TAIL)
    return out[:-4]


def inflate(payload):
    """A message the room compressed: no context taken over."""
    return zlib.decompressobj(wbits=-15).decompress(payload + TAIL)


def recv_raw(c):
    """One frame with its RSV1 bit: (fin, rsv1, opcode, payload)."""
    fin, rsv1, op, data, masked = c.recv_frame_rsv()
    assert not masked, "a masked frame from the server"
    return fin, rsv1, op, data


def ext(c):
    """The response's Sec-WebSocket-Extensions values."""
    return [v for k, v in c.headers if k.lower() == "sec-websocket-extensions"]


def send_z(c, payload, op=OP_TEXT):
    c.send_frame(op, payload, rsv=4, mask=os.urandom(4))


def close_code(c):
    msgs, close = recv_until_close(c)
    assert msgs == []
    return struct.unpack("!H", close[:2])[0]


def test_offer_accepted_only_with_deflate(listen):
    srv = listen("--plain")
    c, _ = raw_connect(srv.port, extensions=OFFER)
    assert status_of(c) == 101
    assert ext(c) == []
    srv.err.search(r"client #1 joined from 127\.0\.0\.1$")
    c.close()
    srv = listen("--plain", "--deflate")
    c, _ = raw_connect(srv.port, extensions=OFFER)
    assert status_of(c) == 101
    assert ext(c) == [AGREED]
    srv.err.search(r"client #1 joined from 127\.0\.0\.1, permessage-deflate$")
    # a client that offers nothing gets nothing
    plain, _ = raw_connect(srv.port)
    assert ext(plain) == []
    srv.err.search(r"client #2 joined from 127\.0\.0\.1$")
    c.close()
    plain.close()


def test_compressed_messages_in_and_out_with_context_takeover(listen):
    srv = listen("--plain", "--deflate")
    a, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    b, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    plain, _ = raw_connect(srv.port)
    srv.joined()
    z = zlib.compressobj(wbits=-15)     # a's context, kept across messages
    first = ("caf\u00e9 " + os.urandom(300).hex()).encode()
    p1 = compress(first, z)
    p2 = compress(first, z)             # refers back into the first message
    assert len(p2) < 20 < len(p1)
    send_z(a, p1)
    # fragmented: RSV1 on the first frame only
    a.send_frame(OP_TEXT, p2[:5], fin=False, rsv=4, mask=os.urandom(4))
    a.send_frame(0, p2[5:], mask=os.urandom(4))
    assert srv.out.next_line() == first
    assert srv.out.next_line() == first
    for _ in range(2):
        fin, rsv1, op, data = recv_raw(b)
        assert (fin, rsv1, op) == (True, True, OP_TEXT)
        assert inflate(data) == first and len(data) < len(first)
        assert plain.recv_message() == (OP_TEXT, first)
    # the server's input, compressed for the one that agreed
    srv.send("from the server " * 20)
    fin, rsv1, op, data = recv_raw(a)
    assert rsv1 and inflate(data) == b"from the server " * 20
    assert plain.recv_message() == (OP_TEXT, b"from the server " * 20)
    for c in (a, b, plain):
        send_close(c)
        c.close()


def test_client_without_context_takeover(listen):
    """Each message on a fresh context: the inflater is remade each time."""
    srv = listen("--plain", "--deflate")
    c, _ = raw_connect(srv.port, extensions="permessage-deflate; "
                       "client_no_context_takeover; client_max_window_bits=9")
    assert ext(c) == [AGREED + "; client_no_context_takeover; "
                      "client_max_window_bits=9"]
    srv.joined()
    for i in range(3):
        z = zlib.compressobj(wbits=-9)
        send_z(c, compress(b"again and again %d " % i * 50, z))
        assert srv.out.next_line() == b"again and again %d " % i * 50
    send_close(c)
    assert recv_until_close(c) == ([], struct.pack("!H", 1000))
    c.close()


def test_python_websockets_with_and_without_compression(listen):
    srv = listen("--plain", "--deflate")
    text = "\u00e9t\u00e9 " * 500

    async def run():
        a = await websockets.connect(srv.url)     # compression by default
        b = await websockets.connect(srv.url, compression=None)
        assert a.response_headers["Sec-WebSocket-Extensions"] == AGREED
        assert "Sec-WebSocket-Extensions" not in b.response_headers
        for i in range(3):
            await a.send(text + str(i))
            assert await b.recv() == text + str(i)
            await b.send(str(i) + text)
            assert await a.recv() == str(i) + text
        await a.send(b"\x00\xff" * 1000)
        assert await b.recv() == b"\x00\xff" * 1000
        await a.close()
        await b.close()

    asyncio.run(asyncio.wait_for(run(), 30))
    srv.err.search(r"client #1 joined from 127\.0\.0\.1, permessage-deflate$")
    for i in range(3):
        assert srv.out.next_line() == (text + str(i)).encode()
        assert srv.out.next_line() == (str(i) + text).encode()
    assert srv.stop() == 0


def test_node_ws_with_per_message_deflate(listen, procs):
    if not NODE:
        pytest.skip("node is not installed")
    srv = listen("--plain", "--deflate")
    script = os.path.join(HERE, "servers", "node_client.js")
    n = subprocess.Popen([NODE, script, "--deflate", srv.url], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, NODE_PATH=NODE_PATH))
    procs.append(n)
    assert read_line(n.stderr, 10, "node client") == "open permessage-deflate"
    srv.err.search(r"client #1 joined from 127\.0\.0\.1, permessage-deflate$")
    c, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    line = "node " * 100
    n.stdin.write(line.encode() + b"\n")
    n.stdin.flush()
    assert srv.out.next_line() == line.encode()
    fin, rsv1, op, data = recv_raw(c)
    assert rsv1 and inflate(data) == line.encode()
    send_z(c, compress(b"raw." * 100))
    assert read_line(n.stdout, 10, "node client") == "raw." * 100
    n.stdin.close()
    assert n.wait(10) == 0
    assert read_line(n.stderr, 10, "node client") == "close 1000"
    c.close()


def test_corrupt_compressed_data_is_closed_with_1007(listen):
    srv = listen("--plain", "--deflate")
    c, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    send_z(c, b"\xff\xff\xff\xff\xff")      # BTYPE 11: invalid
    assert close_code(c) == 1007
    wait_eof(c)
    c.close()
    srv.err.search(r"client #1 \(127\.0\.0\.1\) broke the protocol \(.*\): "
                   r"closing it with 1007$")
    # inflated text that is not UTF-8
    c, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    send_z(c, compress(b"caf\xc3\x28"))
    assert close_code(c) == 1007
    c.close()
    srv.err.search(r"client #2 \(127\.0\.0\.1\) broke the protocol "
                   r"\(compressed text message that is not valid UTF-8\): "
                   r"closing it with 1007$")
    assert srv.stop() == 0
    assert srv.out.text() == []


def test_rsv1_without_negotiation_is_closed_with_1002(listen):
    srv = listen("--plain", "--deflate")
    c, _ = raw_connect(srv.port)            # no offer
    srv.joined()
    send_z(c, compress(b"hello"))
    assert close_code(c) == 1002
    c.close()
    srv.err.search(r"closing it with 1002$")


def test_decompression_bomb_over_max_size_is_closed_with_1009(listen):
    srv = listen("--plain", "--deflate", "--max-size", "100000")
    c, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    ok = compress(b"a" * 100000)            # exactly the limit: printed
    send_z(c, ok)
    assert srv.out.next_line() == b"a" * 100000
    bomb = compress(b"\0" * (64 << 20))     # 64 MiB in about 64 KiB
    assert len(bomb) < 100000
    send_z(c, bomb, op=0x2)
    assert close_code(c) == 1009
    c.close()
    srv.err.search(r"client #1 sent a message larger than 100000 bytes "
                   r"\(inflated\): closing it with 1009$")
    # an uncompressed one over the limit still is refused
    c, _ = raw_connect(srv.port, extensions=OFFER)
    srv.joined()
    c.send_frame(OP_TEXT, b"b" * 100001, mask=os.urandom(4))
    assert close_code(c) == 1009
    c.close()
    srv.err.search(r"client #2 sent a message larger than 100000 bytes: "
                   r"closing it with 1009$")
    assert srv.stop() == 0
    assert srv.out.text() == ["a" * 100000]
