"""`wsc --listen` against hostile clients: the room's memory stays bounded
(one budget for everything it holds, a relayed message held once for all
its recipients), well-behaved clients get every message in order, a client
that reads nothing is dropped with a Close it can still read, and every
Close the room sends after a client's violation reaches that client even
while it floods the room with data the room will never read.

Hostile clients are raw sockets emitting exact bytes (permessage-deflate
made with zlib by test_listen_deflate.compress); well-behaved ones are
python3-websockets clients. Each test reads the room's peak RSS (VmHWM)
and requires it under 64 MiB; under valgrind (WSC is tools/valgrind-wsc)
that one assertion does not apply, the rest of each test does.
"""
import asyncio
import os
import re
import socket
import struct
import threading
import time

import pytest
import websockets

from harness import WSC, wait_for
from test_listen import (listen, masked_text, raw_connect,  # noqa: F401
                         recv_until_close, wait_eof)
from test_listen_deflate import compress
from wsproto import OP_CLOSE, OP_TEXT, frame

OFFER = "permessage-deflate; client_max_window_bits"
MiB = 1024 * 1024
RSS_MAX = 64 * MiB
UNDER_VALGRIND = os.path.basename(WSC).startswith("valgrind")
SILENCE = 30            # s without progress before a wait fails


@pytest.fixture(autouse=True)
def small_asan_quarantine(monkeypatch):
    """ASan keeps freed blocks resident (256 MiB of them by default) to
    catch uses after free; that would be ASan's memory, not the room's."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") +
                       "quarantine_size_mb=1")


def peak_rss(srv):
    with open("/proc/%d/status" % srv.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for the room")


def assert_rss_bounded(srv):
    if UNDER_VALGRIND:
        return          # valgrind's own memory: the bound is not the room's
    rss = peak_rss(srv)
    assert rss < RSS_MAX, "peak RSS %.1f MiB" % (rss / MiB)


def close_of(c):
    """Read to the Close (data messages skipped): (code, reason)."""
    close = recv_until_close(c)[1]
    return struct.unpack("!H", close[:2])[0], close[2:]


async def recv_all(ws, n):
    """n messages, each within SILENCE s of the one before."""
    return [await asyncio.wait_for(ws.recv(), SILENCE) for _ in range(n)]


def run(coro):
    return asyncio.run(coro)


def dropped_as_too_slow(srv, c, cid):
    """c, client #cid, is dropped as too slow: the console says so, and
    reading at last c finds what was queued before Close 1008 "too slow".
    Returns those messages."""
    srv.err.search(r"client #%d \(127\.0\.0\.1\) is too slow: closing it "
                   r"with 1008$" % cid, timeout=SILENCE)
    got, close = recv_until_close(c)
    assert close == struct.pack("!H", 1008) + b"too slow"
    return got


# --- (a) slow compression bombs ------------------------------------------------

def test_slow_bombs_are_bounded_and_chat_goes_on(listen):
    """20 clients each send the first fragment of a compressed message
    that inflates to 15 MiB and go quiet: the room refuses what does not
    fit its budget (1009), closes the rest after 10 s of silence inside
    their message (1008), and two clients chat meanwhile."""
    srv = listen("--plain", "--deflate")
    bomb = frame(OP_TEXT, compress(b"a" * (15 * MiB)), fin=False, rsv=4,
                 mask=os.urandom(4))
    assert len(bomb) < 20000
    bombers = []
    for _ in range(20):
        c, _ = raw_connect(srv.port, extensions=OFFER, timeout=SILENCE)
        srv.joined()
        c.send_raw(bomb)
        bombers.append(c)

    async def chat():
        a = await websockets.connect(srv.url, max_size=None)
        b = await websockets.connect(srv.url, max_size=None)
        sent = ["message %d " % i + "z" * i for i in range(200)]
        for m in sent:
            await a.send(m)
        assert await recv_all(b, len(sent)) == sent
        for m in sent:
            await b.send(m[::-1])
        assert await recv_all(a, len(sent)) == [m[::-1] for m in sent]
        await a.close()
        await b.close()

    run(chat())
    codes = [close_of(c) for c in bombers]
    assert set(codes) <= {(1009, b"room memory full"),
                          (1008, b"message unfinished for too long")}, codes
    assert (1008, b"message unfinished for too long") in codes
    assert (1009, b"room memory full") in codes
    for c in bombers:
        c.close()
    srv.err.search(r"client #\d+ \(127\.0\.0\.1\) left a message unfinished "
                   r"for 10 s: closing it with 1008$")
    srv.err.search(r"client #\d+ \(127\.0\.0\.1\) sent a message larger than "
                   r"what is left of the room's memory \(\d+ of 33554432 "
                   r"bytes in use\): closing it with 1009$")
    assert_rss_bounded(srv)


# --- (b) one big message to many ----------------------------------------------

def test_16_mib_message_to_30_clients_is_held_once(listen):
    """A 16 KB compressed message that inflates to 16 MiB (the largest
    allowed) goes to 30 clients, half of them compressing: every one gets
    it and the message after it, and the room holds it once."""
    srv = listen("--plain", "--deflate")
    big = b"0123456789abcdef" * MiB
    payload = compress(big)
    assert len(payload) < 64 * 1024

    async def main():
        clients = []
        for i in range(30):
            clients.append(await websockets.connect(
                srv.url, max_size=None,
                compression="deflate" if i % 2 else None))
        sender, _ = raw_connect(srv.port, extensions=OFFER, timeout=SILENCE)
        sender.send_raw(frame(OP_TEXT, payload, rsv=4, mask=os.urandom(4)) +
                        masked_text("after"))

        async def check(ws):
            got = await recv_all(ws, 2)
            assert len(got[0]) == len(big) and got[0] == big.decode()
            assert got[1] == "after"
            await ws.close()

        await asyncio.gather(*(check(ws) for ws in clients))
        sender.close()

    run(main())
    assert srv.out.next_line(timeout=SILENCE) == big
    assert srv.out.next_line() == b"after"
    assert not any("too slow" in l for l in srv.err.text())
    assert_rss_bounded(srv)


# --- (c) a big message and a short one in one write ----------------------------

def test_big_message_then_short_one_in_one_write_drops_nobody(listen):
    srv = listen("--plain")
    big = "b" * (3 * MiB // 2)

    async def main():
        clients = [await websockets.connect(srv.url, max_size=None)
                   for _ in range(5)]
        sender, _ = raw_connect(srv.port, timeout=SILENCE)
        sender.send_raw(masked_text(big) + masked_text("short"))
        for ws in clients:
            assert await recv_all(ws, 2) == [big, "short"]
            await ws.close()
        sender.close()

    run(main())
    assert srv.out.next_line(timeout=SILENCE) == big.encode()
    assert srv.out.next_line() == b"short"
    assert not any("too slow" in l or "1008" in l for l in srv.err.text())
    assert_rss_bounded(srv)


# --- (d) a reader that never reads -------------------------------------------

def test_slow_reader_gets_close_1008_and_never_stalls_the_others(listen):
    """A client that never reads (small receive buffer) among three fast
    ones; 8 MiB goes out, more than the kernel buffers for it. The fast
    ones get everything, in order, while the slow one is still connected
    (the room did not wait for it); then it is dropped, and reading at
    last it finds a prefix of the messages and Close 1008 "too slow"."""
    srv = listen("--plain")
    slow, _ = raw_connect(srv.port, rcvbuf=4096, timeout=SILENCE)
    slow_id = srv.joined()
    msgs = [("%06d " % i).ljust(64 * 1024, "m") for i in range(128)]

    async def main():
        fast = [await websockets.connect(srv.url, max_size=None)
                for _ in range(3)]
        sender = await websockets.connect(srv.url)
        for m in msgs:
            await sender.send(m)
        for ws in fast:
            assert await recv_all(ws, len(msgs)) == msgs
        # everything arrived before the slow one was let go
        assert not any("too slow" in l for l in srv.err.text())
        for ws in fast + [sender]:
            await ws.close()

    run(main())
    got = [m.decode() for m in dropped_as_too_slow(srv, slow, slow_id)]
    assert got == msgs[:len(got)] and len(got) < len(msgs)
    slow.send_frame(OP_CLOSE, struct.pack("!H", 1000), mask=os.urandom(4))
    wait_eof(slow)
    slow.close()
    srv.err.search(r"client #%d \(127\.0\.0\.1\) left" % slow_id)
    assert_rss_bounded(srv)


def test_ping_flood_from_a_reader_that_never_reads_pauses_only_it(listen):
    """A client floods Pings and reads none of the Pongs: once its Pongs
    pass its allowance the room stops reading it (and only it), so two
    others chat at full speed meanwhile, before it is dropped (1008)."""
    srv = listen("--plain")
    flooder, _ = raw_connect(srv.port, rcvbuf=4096, timeout=SILENCE)
    flood_id = srv.joined()
    pings = b"".join(frame(0x9, b"p" * 100, mask=os.urandom(4))
                     for _ in range(1000))
    stop = threading.Event()
    sent = []

    def flood():
        try:
            while not stop.is_set():
                flooder.send_raw(pings)
                sent.append(len(pings))
        except OSError:
            pass

    threading.Thread(target=flood, daemon=True).start()
    # the room has taken in more Pings than its allowance of Pongs
    wait_for(lambda: sum(sent) >= 4 * MiB, SILENCE, "4 MiB of Pings sent")

    async def chat():
        a = await websockets.connect(srv.url)
        b = await websockets.connect(srv.url)
        for i in range(100):
            await a.send("m%d" % i)
            assert await asyncio.wait_for(b.recv(), SILENCE) == "m%d" % i
        assert not any("too slow" in l for l in srv.err.text())
        await a.close()
        await b.close()

    run(chat())
    srv.err.search(r"client #%d \(127\.0\.0\.1\) is too slow: closing it "
                   r"with 1008$" % flood_id, timeout=SILENCE)
    stop.set()
    flooder.close()
    assert_rss_bounded(srv)


# --- (e) the closing rule --------------------------------------------------------

VIOLATIONS = {
    # the frame, the Close code the client must read
    "unmasked": (frame(OP_TEXT, b"not masked"), 1002),
    "reserved opcode": (frame(0x3, b"", mask=b"abcd"), 1002),
    "bad UTF-8": (frame(OP_TEXT, b"caf\xc3\x28", mask=b"abcd"), 1007),
    "oversized": (struct.pack("!BBQ", 0x82, 0x80 | 127, 16 * MiB + 1) +
                  b"abcd", 1009),
}
CLIENTS = 50
FLOOD_SECS = 3          # longer than any fixed linger of the room's


def violate_flooding(port, violation, results):
    """Connect, break the protocol, then flood the room with data it will
    never read for FLOOD_SECS without reading anything; then read. The
    room must not reset the connection while data still comes (a reset
    can drop a Close the client has not received yet): the flood's writes
    all succeed, and the Close is there."""
    c, _ = raw_connect(port, timeout=SILENCE)
    flood = "flooded"
    try:
        c.send_raw(violation)
        chunk = os.urandom(16 * 1024)
        end = time.monotonic() + FLOOD_SECS
        while time.monotonic() < end:
            c.send_raw(chunk)
            time.sleep(0.02)    # a steady flood, not one burst
    except OSError as e:
        flood = repr(e)         # reset by the room
    try:
        results.append((flood, close_of(c)[0]))
    except (OSError, EOFError) as e:
        results.append((flood, repr(e)))
    c.close()


@pytest.mark.parametrize("kind", sorted(VIOLATIONS))
def test_close_after_violation_survives_a_flood(listen, kind):
    srv = listen()      # a chat room: every join is announced meanwhile
    violation, code = VIOLATIONS[kind]
    results = []
    threads = [threading.Thread(target=violate_flooding,
                                args=(srv.port, violation, results))
               for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(FLOOD_SECS + 2 * SILENCE)
    assert results == [("flooded", code)] * CLIENTS
    # and the room goes on
    c, _ = raw_connect(srv.port)
    c.send_raw(masked_text("still here"))
    assert re.fullmatch(rb"guest-\d+: still here",
                        srv.out.next_line(timeout=SILENCE))
    c.close()
    assert_rss_bounded(srv)


# --- (f) names: renames and refused renames in a loop ---------------------------

WELCOME = "* you are guest-%d; send /nick NAME to change your name"


async def said_by_others(ws, n):
    """n messages, each within SILENCE s, leaving out what the room says
    ("* ...": joins and leaves may come between them)."""
    got = []
    while len(got) < n:
        m = await asyncio.wait_for(ws.recv(), SILENCE)
        if not m.startswith("* "):
            got.append(m)
    return got


def test_refused_renames_in_a_loop_queue_only_for_their_sender(listen):
    """A client sends "/nick" (no name) 150 000 times and reads nothing.
    Each is answered, to it alone, with a line six times its size; once
    more than its allowance waits for it the room stops reading it and then
    drops it as too slow, as it would a client that floods Pings. Two
    others chat meanwhile and hear none of it."""
    srv = listen()
    flooder, _ = raw_connect(srv.port, rcvbuf=4096, timeout=SILENCE)
    flood_id = srv.joined()
    requests = masked_text("/nick") * 150000

    def flood():
        try:
            flooder.send_raw(requests)
        except OSError:
            pass                # dropped before it was all sent

    threading.Thread(target=flood, daemon=True).start()

    async def chat():
        a = await websockets.connect(srv.url)
        b = await websockets.connect(srv.url)
        for i in range(100):
            await a.send("m%d" % i)
        assert await said_by_others(b, 100) == [
            "guest-%d: m%d" % (flood_id + 1, i) for i in range(100)]
        await a.close()
        await b.close()

    run(chat())
    # what it reads at last: answers (and joins), then the Close
    got = dropped_as_too_slow(srv, flooder, flood_id)
    assert got[0] == (WELCOME % flood_id).encode()
    assert {m for m in got[1:] if not m.endswith(b" joined")} == {
        b"* a name is 1 to 32 bytes without spaces or control characters"}
    assert len(got) < 150000
    flooder.close()
    assert_rss_bounded(srv)


def test_renames_in_a_loop_reach_a_reader_in_order(listen):
    """A client renames itself 20 000 times in one write; a reader hears
    every rename, in order, each from the name the last one gave, and the
    renamer every confirmation; the console prints a few rename lines and
    counts the rest; memory stays bounded."""
    srv = listen()
    n = 20000
    names = ["n%031d" % i for i in range(n)]       # 32 bytes each
    renamer, _ = raw_connect(srv.port, timeout=SILENCE)
    srv.joined()
    heard = []

    def read_renamer():
        heard.extend(recv_until_close(renamer)[0])

    reading = threading.Thread(target=read_renamer, daemon=True)
    reading.start()

    async def main():
        reader = await websockets.connect(srv.url)
        assert (await recv_all(reader, 1))[0] == WELCOME % 2
        renamer.send_raw(b"".join(masked_text("/nick " + m) for m in names))
        got = await recv_all(reader, n)
        assert got == ["* %s is now %s" % (a, b) for a, b in
                       zip(["guest-1"] + names, names)]
        await reader.send("after")
        await reader.close()

    run(main())
    assert srv.out.next_line(timeout=SILENCE) == b"guest-2: after"
    # told to the renamer right after this line
    srv.err.search(r"^wsc: guest-2 left ", timeout=SILENCE)
    renamer.send_raw(b"\x88\x82\0\0\0\0" + struct.pack("!H", 1000))
    reading.join(SILENCE)
    assert not reading.is_alive()
    assert heard[:2] == [(WELCOME % 1).encode(), b"* guest-2 joined"]
    assert heard[2:] == [b"* you are now " + m.encode() for m in names] + \
        [b"guest-2: after", b"* guest-2 left"]
    renamer.close()
    srv.err.search(r"^wsc: not shown \(over 10 such lines a second\): .*, "
                   r"\d+ renames$", timeout=SILENCE)
    shown = [l for l in srv.err.text() if " is now " in l]
    assert 0 < len(shown) < n
    assert_rss_bounded(srv)
