"""--http2 against a hostile HTTP/2 server that emits exact frames (h2raw,
h2c with prior knowledge): SETTINGS that refuse or break the protocol,
responses out of order or malformed, a stream reset inside a message,
GOAWAY, a server that never speaks, header floods and flow control. Each
ends with one clear line and the documented exit status, never a hang."""
import signal
import struct
import threading
import time

from harness import finish, run, spawn
from h2raw import (ACK, CANCEL, CONTINUATION, DATA, END_HEADERS,
                   ENABLE_CONNECT_PROTOCOL, GOAWAY, HEADERS,
                   INITIAL_WINDOW_SIZE, INTERNAL_ERROR,
                   NO_ERROR, PROTOCOL_ERROR, SETTINGS, WINDOW_UPDATE,
                   H2Server, data_frames, frame, goaway_frame, header_block,
                   headers_frame, rst_frame, settings_frame)
from test_flow import read_all_slowly
from wsproto import OP_CLOSE, OP_TEXT, frame as ws_frame

OK = [(":status", "200")]
CLOSE = ws_frame(OP_CLOSE, struct.pack("!H", 1000))


def wsc(handler, *args, input=b"", timeout=30):
    """Run wsc --http2 against a server running handler: (result, the
    frames the server read)."""
    with H2Server(handler) as srv:
        r = run(["--http2"] + list(args) + [srv.url], input=input,
                timeout=timeout)
        assert srv.done.wait(10), "the server's handler did not finish"
        assert not srv.errors, srv.errors
        return r, srv.conns[0].frames


def answering(make):
    """A handler: the handshake, then the bytes make(stream) returns, then
    the client's frames read to its end."""
    def handler(c):
        c.send(make(c.handshake()))
        c.drain()
    return handler


def one_line(r, text, status=1):
    err = r.stderr.decode()
    assert r.returncode == status, err
    assert err.count("\n") == 1, err
    assert text in err, err


def sent_goaway(frames, code):
    """The client's GOAWAY (the last of them) carries code."""
    g = [f for f in frames if f[0] == GOAWAY]
    assert g, "no GOAWAY from the client"
    assert struct.unpack("!I", g[-1][3][4:8])[0] == code


def test_settings_without_extended_connect():
    def handler(c):
        c.handshake(server_settings=())
        c.drain()
    r, _ = wsc(handler)
    one_line(r, "the server's HTTP/2 SETTINGS do not enable the extended "
             "CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL=1, RFC 8441): it "
             "takes no WebSocket over HTTP/2; drop --http2")


def test_settings_length_not_a_multiple_of_6():
    def handler(c):
        c.read_preface()
        c.recv_until(SETTINGS)
        c.send(settings_frame(raw=b"\x00\x08\x00\x00\x00\x01\x00"))
        c.drain()
    r, frames = wsc(handler)
    one_line(r, ": HTTP/2: the server broke the protocol (FRAME_SIZE_ERROR)")
    sent_goaway(frames, 6)          # FRAME_SIZE_ERROR, to the server too


def test_enable_connect_protocol_2():
    def handler(c):
        c.read_preface()
        c.recv_until(SETTINGS)
        c.send(settings_frame([(ENABLE_CONNECT_PROTOCOL, 2)]))
        c.drain()
    r, frames = wsc(handler)
    one_line(r, ": HTTP/2: the server broke the protocol (PROTOCOL_ERROR: "
             "SETTINGS: invalid SETTINGS_ENABLE_CONNECT_PROTOCOL)")
    sent_goaway(frames, PROTOCOL_ERROR)


def test_a_first_frame_that_is_not_settings():
    def handler(c):
        c.read_preface()
        c.send(frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1)))
        c.drain()
    r, _ = wsc(handler)
    one_line(r, ": HTTP/2: the server broke the protocol (PROTOCOL_ERROR")


def test_sec_websocket_accept_in_a_200_is_ignored():
    """RFC 8441 5: the field is not used over HTTP/2; a server that sends
    one anyway is taken, and -D says it was ignored."""
    r, _ = wsc(answering(lambda s: headers_frame(
        s, OK + [("sec-websocket-accept", "bogus")]) + data_frames(
        s, ws_frame(OP_TEXT, b"hi") + CLOSE)), "-D")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    err = r.stderr.decode().splitlines()
    assert "< sec-websocket-accept: bogus" in err
    assert ("* HTTP/2 :status 200: the stream carries the WebSocket (RFC "
            "8441: no Sec-WebSocket-Accept; the server's is ignored)") in err


def test_data_before_the_response_headers():
    r, frames = wsc(answering(lambda s: data_frames(
        s, ws_frame(OP_TEXT, b"early"))))
    one_line(r, ": HTTP/2: the server broke the protocol (PROTOCOL_ERROR: "
             "DATA: stream not opened)")
    assert r.stdout == b""
    sent_goaway(frames, PROTOCOL_ERROR)


def test_reset_inside_a_message_is_a_drop():
    """RST_STREAM after 40 bytes of a 100-byte frame: the drop line, and
    what was shown of the message is not ended as a whole message (no
    newline), as when a TCP connection drops inside one."""
    r, _ = wsc(answering(lambda s: headers_frame(s, OK) + data_frames(
        s, ws_frame(OP_TEXT, b"x" * 100)[:40]) + rst_frame(s, CANCEL)))
    assert r.stderr == (b"wsc: connection closed abnormally (1006): the "
                        b"server reset the HTTP/2 stream (RST_STREAM "
                        b"CANCEL)\n")
    assert r.returncode == 1
    assert not r.stdout.endswith(b"\n")


def test_reset_between_fragments_is_a_drop():
    r, _ = wsc(answering(lambda s: headers_frame(s, OK) + data_frames(
        s, ws_frame(OP_TEXT, b"whole") + ws_frame(OP_TEXT, b"part1",
                                                  fin=False)) +
        rst_frame(s, CANCEL)))
    one_line(r, "wsc: connection closed abnormally (1006): the server reset "
             "the HTTP/2 stream (RST_STREAM CANCEL)")
    assert r.stdout.startswith(b"whole\n")
    assert not r.stdout.endswith(b"\n")


def test_goaway_no_error_covering_the_stream_lets_it_finish():
    """A graceful GOAWAY (NO_ERROR, last stream id = ours): the stream
    goes on, the message arrives, the Close ends it, exit 0."""
    r, _ = wsc(answering(lambda s: headers_frame(s, OK) +
        goaway_frame(s, NO_ERROR) +
        data_frames(s, ws_frame(OP_TEXT, b"after goaway") + CLOSE)))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"after goaway\n"
    assert r.stderr == b""


def test_goaway_no_error_then_close_without_a_close_frame():
    def handler(c):
        s = c.handshake()
        c.send(headers_frame(s, OK) + goaway_frame(s, NO_ERROR))
    r, _ = wsc(handler)
    assert r.stderr == (b"wsc: connection closed abnormally (1006): the "
                        b"server closed the HTTP/2 connection after its "
                        b"GOAWAY (NO_ERROR)\n")
    assert r.returncode == 1


def test_goaway_no_error_before_the_request():
    def handler(c):
        c.read_preface()
        c.recv_until(SETTINGS)
        c.send(settings_frame([(ENABLE_CONNECT_PROTOCOL, 1)]) +
               frame(SETTINGS, ACK, 0) + goaway_frame(0, NO_ERROR))
        c.drain()
    r, _ = wsc(handler)
    one_line(r, "the server ended the HTTP/2 connection (GOAWAY) before "
             "taking the request")


def test_goaway_with_an_error():
    r, _ = wsc(answering(lambda s: headers_frame(s, OK) +
        goaway_frame(s, INTERNAL_ERROR, b"going down")))
    assert r.stderr == (b"wsc: connection closed abnormally (1006): the "
                        b"server ended the HTTP/2 connection (GOAWAY "
                        b"INTERNAL_ERROR)\n")
    assert r.returncode == 1


def test_status_101_is_refused():
    r, _ = wsc(answering(lambda s: headers_frame(s, [(":status", "101")])))
    one_line(r, ": the HTTP/2 stream failed (PROTOCOL_ERROR: Invalid HTTP "
             "header field was received: frame type: 1, stream: 1, name: "
             "[:status], value: [101])")


def test_no_status_is_refused():
    r, _ = wsc(answering(lambda s: headers_frame(
        s, [("server", "nameless")])))
    one_line(r, ": the HTTP/2 stream failed (PROTOCOL_ERROR: Violation in "
             "HTTP messaging rule)")


def test_a_server_that_never_sends_settings_is_bounded_by_connect_timeout():
    def handler(c):
        c.read_preface()
        c.drain()
    t = time.monotonic()
    r, _ = wsc(handler, "--connect-timeout", "1")
    one_line(r, ": timed out after 1 s waiting for the handshake answer "
             "(--connect-timeout)")
    assert time.monotonic() - t < 15


def test_a_huge_header_block_is_refused():
    """20 MB of fields in HEADERS and CONTINUATION frames: refused after a
    few frames, not collected."""
    def handler(c):
        s = c.handshake()
        block = header_block(OK + [("x-f%d" % i, "v" * 1000)
                                   for i in range(20000)])
        c.send(frame(HEADERS, 0, s, block[:16384]))
        for i in range(16384, len(block), 16384):
            c.send(frame(CONTINUATION, END_HEADERS
                         if i + 16384 >= len(block) else 0, s,
                         block[i:i + 16384]))
        c.drain()
    r, _ = wsc(handler)
    one_line(r, ": HTTP/2: the server broke the protocol (Too many "
             "CONTINUATION frames following a HEADER frame)")


def test_a_continuation_flood_is_refused():
    def handler(c):
        s = c.handshake()
        c.send(frame(HEADERS, 0, s, header_block(OK)))
        for _ in range(100000):
            c.send(frame(CONTINUATION, 0, s))
        c.drain()
    r, _ = wsc(handler)
    one_line(r, ": HTTP/2: the server broke the protocol (Too many "
             "CONTINUATION frames following a HEADER frame)")


def test_a_window_update_beyond_the_maximum_is_a_flow_control_error():
    """The connection's window made larger than 2^31-1 (RFC 9113 6.9.1):
    a connection error, said so, and told to the server in GOAWAY."""
    r, frames = wsc(answering(lambda s: headers_frame(s, OK) +
        frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 0x7fffffff))))
    assert r.stderr == (b"wsc: connection closed abnormally (1006): HTTP/2: "
                        b"the server broke the protocol (FLOW_CONTROL_ERROR:"
                        b" Flow control error)\n")
    assert r.returncode == 1
    sent_goaway(frames, 3)      # FLOW_CONTROL_ERROR


def test_a_stream_window_overflow_is_a_flow_control_error():
    r, _ = wsc(answering(lambda s: headers_frame(s, OK) +
        frame(WINDOW_UPDATE, 0, s, struct.pack("!I", 0x7fffffff))))
    assert r.stderr == (b"wsc: connection closed abnormally (1006): the "
                        b"HTTP/2 stream failed (FLOW_CONTROL_ERROR: Flow "
                        b"control error)\n")
    assert r.returncode == 1


def test_a_server_that_ignores_the_window_is_held_back():
    """A server that sends 8 MiB without waiting for a WINDOW_UPDATE while
    stdout is read slowly: wsc takes bytes only as it prints them (TCP
    holds the server back), memory stays flat, and every line arrives in
    order before the clean close."""
    n = 40000
    line = lambda i: b"%06d " % i + b"w" * 193          # + "\n": 200 bytes

    def handler(c):
        s = c.handshake()
        c.send(headers_frame(s, OK))
        # the client's WINDOW_UPDATEs are read (and not heeded) meanwhile
        reader = threading.Thread(target=c.drain, daemon=True)
        reader.start()
        batch = 1000
        for i in range(0, n, batch):
            c.send(data_frames(s, b"".join(ws_frame(OP_TEXT, line(j))
                                           for j in range(i, i + batch))))
        c.send(data_frames(s, CLOSE))
        reader.join(60)

    with H2Server(handler) as srv:
        p = spawn(["--http2", srv.url])
        try:
            out = read_all_slowly(p, 200, n * 200, 30)
            rc = p.wait(10)
            err = p.stderr.read()
        finally:
            finish(p, sig=signal.SIGKILL)
        assert srv.done.wait(10)
        assert not srv.errors, srv.errors
    assert rc == 0, err
    out = out.split(b"\n")
    assert out[-1] == b""
    assert out[:-1] == [line(i) for i in range(n)]


def test_sending_resumes_after_the_server_stops_reading():
    """A large window, and a server that reads nothing for a second (the
    pause is the subject) while wsc has 14 MB of lines to send: the
    socket, the TLS-less transport buffer and the stream's buffer fill.
    Once the server reads again every line must arrive: bytes the stream
    had taken but not yet framed go out, and so must all that follows (a
    sender that waits for a writable() nobody will call hangs here)."""
    n, size = 200000, 64
    wire = n * (6 + size) + 6 + 2       # masked frames, then the Close
    got = {}

    def handler(c):
        big = 1 << 30
        c.read_preface()
        c.recv_until(SETTINGS)
        c.send(settings_frame([(ENABLE_CONNECT_PROTOCOL, 1),
                               (INITIAL_WINDOW_SIZE, big)]) +
               frame(SETTINGS, ACK, 0) +
               frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", big)))
        s = c.recv_request()
        c.send(headers_frame(s, OK))
        threading.Event().wait(1)
        total = 0
        while total < wire:
            f = c.recv_frame()
            if f[0] == DATA:
                total += len(f[3])
        got["bytes"] = total
        c.send(data_frames(s, CLOSE, end_stream=True))
        c.drain()
    lines = b"".join(b"%d" % i + b"x" * (size - len(b"%d" % i)) + b"\n"
                     for i in range(n))
    r, _ = wsc(handler, "-w", "0", input=lines, timeout=60)
    assert r.returncode == 0, r.stderr
    assert got == {"bytes": wire}
