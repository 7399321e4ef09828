"""A tiny HTTP/2 server for tests that need exact frames on the wire:
plain TCP with prior knowledge (h2c), one thread per connection running a
handler. Header blocks are encoded as HPACK literals without indexing
(RFC 7541 6.2.2), never Huffman: enough for a server that is meant to
misbehave, and every byte stays in the test's hands."""
import struct

import wsproto

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ENABLE_CONNECT_PROTOCOL, INITIAL_WINDOW_SIZE = 8, 4
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, CANCEL = 0, 1, 2, 8


def hpack_int(value, prefix_bits, first=0):
    """An HPACK integer with an N-bit prefix (RFC 7541 5.1)."""
    top = (1 << prefix_bits) - 1
    if value < top:
        return bytes([first | value])
    out = [first | top]
    value -= top
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """One field as a literal without indexing, new name, no Huffman."""
    if isinstance(name, str):
        name = name.encode()
    if isinstance(value, str):
        value = value.encode()
    return (b"\x00" + hpack_int(len(name), 7) + name +
            hpack_int(len(value), 7) + value)


def header_block(fields):
    return b"".join(hpack_literal(n, v) for n, v in fields)


def frame(ftype, flags, stream, payload=b""):
    n = len(payload)
    return struct.pack("!BHBBI", n >> 16, n & 0xffff, ftype, flags,
                       stream & 0x7fffffff) + payload


def settings_frame(pairs=(), raw=None):
    payload = raw if raw is not None else b"".join(
        struct.pack("!HI", k, v) for k, v in pairs)
    return frame(SETTINGS, 0, 0, payload)


def goaway_frame(last, code, debug=b""):
    return frame(GOAWAY, 0, 0, struct.pack("!II", last, code) + debug)


def rst_frame(stream, code):
    return frame(RST_STREAM, 0, stream, struct.pack("!I", code))


def headers_frame(stream, fields, end_stream=False):
    return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0),
                 stream, header_block(fields))


def data_frames(stream, data, end_stream=False, size=16384):
    """data as DATA frames of at most size bytes (the default maximum)."""
    out = []
    for i in range(0, max(len(data), 1), size):
        last = i + size >= len(data)
        out.append(frame(DATA, END_STREAM if end_stream and last else 0,
                         stream, data[i:i + size]))
    return b"".join(out)


class Conn(wsproto.Conn):
    """A connection: the byte reading is wsproto's, the frames are here."""

    def __init__(self, sock):
        super().__init__(sock)
        self.frames = []        # every frame read: (type, flags, stream, p)

    def read_preface(self):
        got = self.read_exact(len(PREFACE))
        assert got == PREFACE, got
        return self

    def recv_frame(self):
        hd = self.read_exact(9)
        n = (hd[0] << 16) | (hd[1] << 8) | hd[2]
        ftype, flags, stream = hd[3], hd[4], \
            struct.unpack("!I", hd[5:9])[0] & 0x7fffffff
        f = (ftype, flags, stream, self.read_exact(n))
        self.frames.append(f)
        return f

    def recv_until(self, ftype, stream=None):
        """Frames until one of ftype (on stream), which is returned; a PING
        is answered on the way."""
        while True:
            f = self.recv_frame()
            if f[0] == PING and not f[1] & ACK:
                self.send(frame(PING, ACK, 0, f[3]))
            if f[0] == ftype and (stream is None or f[2] == stream):
                return f

    def recv_request(self):
        """The client's HEADERS (the extended CONNECT): its stream id."""
        return self.recv_until(HEADERS)[2]

    def handshake(self, server_settings=((ENABLE_CONNECT_PROTOCOL, 1),)):
        """Preface and the client's SETTINGS read, ours sent and theirs
        acknowledged, the request read: its stream id."""
        self.read_preface()
        self.recv_until(SETTINGS)
        self.send(settings_frame(server_settings) + frame(SETTINGS, ACK, 0))
        return self.recv_request()

    send = wsproto.Conn.send_raw

    def drain(self):
        """Read until the client closes (or resets): what it sent last,
        such as its GOAWAY, is then in self.frames."""
        try:
            while True:
                self.recv_frame()
        except (EOFError, OSError):
            pass


def H2Server(handler):
    """Listen on 127.0.0.1:0; run handler(conn) per connection in a
    thread (wsproto's server, with this module's connections)."""
    return wsproto.RawServer(handler, conn=Conn)
