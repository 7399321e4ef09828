"""The client's permessage-deflate (RFC 7692) parameters, against an
exact-byte server that compresses and decompresses with zlib itself: the
window bits and context takeover the server's answer sets are obeyed both
ways, and an answer the client may not accept fails the connection.

The data makes each rule observable: a 1,500-byte random block sent twice
can only be compressed by reaching back 1,500 bytes (farther than a 1 KiB
window allows), and a message that repeats the previous one compresses
against it only when the context is taken over."""
import os
import zlib

import pytest

from test_hostile import Outcome, one_line, run_wsc
from wsproto import RawServer, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, frame

TAIL = b"\x00\x00\xff\xff"
BLOCK = os.urandom(750).hex()           # 1,500 characters, incompressible
TWICE = BLOCK + BLOCK                   # the repeat is 1,500 bytes back


def inflate(inflater, data):
    """Decompress 64 bytes of output at a time: then only the window holds
    what came before, and a reference farther back than the agreed window
    fails ("invalid distance too far back") instead of reading output zlib
    happens to have at hand."""
    out = b""
    while data:
        out += inflater.decompress(data, 64)
        data = inflater.unconsumed_tail
    while True:
        more = inflater.decompress(b"", 64)
        if not more:
            return out
        out += more


class Peer:
    """Accept with the given extension answer, then: decompress every
    message the client sends (with the window and takeover the answer set)
    and send back `replies` compressed as the answer allows."""

    def __init__(self, answer, client_bits=15, client_takeover=True,
                 server_bits=15, server_takeover=True, replies=()):
        self.answer = answer
        self.client_bits, self.client_takeover = client_bits, client_takeover
        self.server_bits, self.server_takeover = server_bits, server_takeover
        self.replies = replies
        self.got, self.rsv1, self.errors = [], [], []
        self.close = None

    def compress(self, comp, text):
        return comp.compress(text.encode()) + comp.flush(zlib.Z_SYNC_FLUSH)

    def __call__(self, conn):
        conn.read_request()
        self.offer = conn.header("Sec-WebSocket-Extensions")
        conn.accept(extra=["Sec-WebSocket-Extensions: " + self.answer]
                    if self.answer else [])
        comp = zlib.compressobj(9, zlib.DEFLATED, -self.server_bits)
        for text in self.replies:
            if not self.server_takeover:
                comp = zlib.compressobj(9, zlib.DEFLATED, -self.server_bits)
            body = self.compress(comp, text)
            assert body.endswith(TAIL)
            conn.send_raw(frame(OP_TEXT, body[:-4], rsv=4))
        inflater = zlib.decompressobj(-self.client_bits)
        parts = []
        while True:
            fin, rsv1, op, data, _ = conn.recv_frame_rsv()
            if op == OP_PING:
                conn.send_raw(frame(OP_PONG, data))
                continue
            if op == OP_CLOSE:
                self.close = data
                conn.send_raw(frame(OP_CLOSE, data[:2]))
                return
            if op != 0:
                self.rsv1.append(rsv1)
            parts.append(data)
            if not fin:
                continue
            body, parts = b"".join(parts), []
            if not self.rsv1[-1]:
                self.got.append(body.decode())
                continue
            if not self.client_takeover:
                inflater = zlib.decompressobj(-self.client_bits)
            try:
                self.got.append(inflate(inflater, body + TAIL).decode())
            except zlib.error as e:
                self.errors.append(str(e))
                self.got.append(None)


def session(peer, lines, deflate=True):
    with RawServer(peer) as srv:
        r = run_wsc((["--deflate"] if deflate else []) + [srv.url],
                    stdin="".join(l + "\n" for l in lines).encode())
        assert srv.errors == [], srv.errors
    return Outcome(*r, close=peer.close)


CASES = {
    # answer: what the server keeps to (see Peer)
    "defaults": ("permessage-deflate", {}),
    "client_max_window_bits=9": (
        "permessage-deflate; client_max_window_bits=9", {"client_bits": 9}),
    "server_max_window_bits=9": (
        "permessage-deflate; server_max_window_bits=9", {"server_bits": 9}),
    "client_no_context_takeover": (
        "permessage-deflate; client_no_context_takeover",
        {"client_takeover": False}),
    "server_no_context_takeover": (
        "permessage-deflate; server_no_context_takeover",
        {"server_takeover": False}),
    "all four": (
        "permessage-deflate; server_no_context_takeover; "
        "client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=10",
        {"client_bits": 10, "client_takeover": False, "server_bits": 10,
         "server_takeover": False}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameters_are_obeyed_both_ways(name):
    answer, keep = CASES[name]
    lines = [TWICE, TWICE, "hello"]
    peer = Peer(answer, replies=lines, **keep)
    r = session(peer, lines)
    assert r.rc == 0, r
    # what the server sent, compressed as agreed, came out whole
    assert r.out == "".join(l + "\n" for l in lines).encode(), r
    # what wsc sent decompresses with the agreed window and takeover
    assert peer.errors == [], peer.errors
    assert peer.got == lines
    assert peer.rsv1 == [True] * len(lines), peer.rsv1
    assert peer.close[:2] == b"\x03\xe8"


def test_offer_names_client_max_window_bits():
    peer = Peer("permessage-deflate")
    r = session(peer, ["x"])
    assert r.rc == 0, r
    assert "permessage-deflate" in peer.offer
    assert "client_max_window_bits" in peer.offer, peer.offer


@pytest.mark.parametrize("answer", [
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; server_max_window_bits=7",
    "permessage-deflate; client_max_window_bits=x",
    "permessage-deflate; no_such_parameter",
    "permessage-deflate; server_no_context_takeover; "
    "server_no_context_takeover",
    "x-webkit-deflate-frame",
])
def test_an_answer_the_client_cannot_accept_fails(answer):
    """RFC 7692 5.1 / RFC 6455 4.1: a parameter that is unknown, repeated
    or out of range, or an extension not offered, fails the connection."""
    peer = Peer(answer)
    r = session(peer, ["x"])
    assert r.rc == 1, r
    line = one_line(r)
    why = "which was not offered" if answer.startswith("x-") else \
        "Sec-WebSocket-Extensions: "
    assert line.startswith("wsc: ") and "handshake failed: " in line and \
        why in line, line
    assert peer.got == []


def test_without_deflate_an_answer_with_it_fails():
    peer = Peer("permessage-deflate")
    r = session(peer, ["x"], deflate=False)
    assert r.rc == 1, r
    line = one_line(r)
    assert "permessage-deflate" in line, line
    assert peer.offer is None
