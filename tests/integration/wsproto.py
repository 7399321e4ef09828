"""A tiny RFC 6455 server for tests that need exact bytes on the wire.
Each connection runs a handler in its own thread; nothing here is clever
on purpose: the tests control every byte."""
import socket
import struct
import threading

from harness import accept_for

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.request_line = ""
        self.headers = []
        self.head = b""         # the raw request head, less its CRLFCRLF

    def _fill(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("peer closed")
            self.buf += d

    def read_exact(self, n):
        self._fill(n)
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("peer closed during handshake")
            self.buf += d
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = self.head.decode("latin-1").split("\r\n")
        self.request_line = lines[0]
        self.headers = [tuple(x.strip() for x in l.split(":", 1))
                        for l in lines[1:]]
        return self

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def send_raw(self, data):
        self.sock.sendall(data)

    def accept_bytes(self, protocol=None, extra=(), accept=None):
        """The bytes of a 101 response to the request read, so that a test
        can send them in one write with the frames that follow."""
        key = self.header("Sec-WebSocket-Key") or ""
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
                 "Connection: Upgrade",
                 "Sec-WebSocket-Accept: " +
                 (accept if accept is not None else accept_for(key))]
        if protocol:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
        lines += list(extra)
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def accept(self, protocol=None, extra=(), accept=None):
        self.send_raw(self.accept_bytes(protocol, extra, accept))

    def reject(self, status, extra=(), body=b""):
        lines = ["HTTP/1.1 " + status, "Content-Length: %d" % len(body),
                 "Connection: close"] + list(extra)
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def recv_frame_rsv(self):
        """One frame, unmasked: (fin, rsv1, opcode, payload, masked)."""
        b0, b1 = self.read_exact(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
        mask = self.read_exact(4) if b1 & 0x80 else None
        data = self.read_exact(n)
        if mask:
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(data)) \
                if n < 4096 else _unmask(data, mask)
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0f, data, bool(mask)

    def recv_frame(self):
        fin, _, op, data, _ = self.recv_frame_rsv()
        return fin, op, data

    def recv_message(self):
        """Next data message (opcode, payload); control frames are returned
        as they come: ('close', payload), ('ping', payload)."""
        parts, op = [], None
        while True:
            fin, opcode, data = self.recv_frame()
            if opcode == OP_CLOSE:
                return OP_CLOSE, data
            if opcode == OP_PING:
                self.send_frame(OP_PONG, data)
                continue
            if opcode == OP_PONG:
                continue
            if opcode != OP_CONT:
                op = opcode
            parts.append(data)
            if fin:
                return op, b"".join(parts)

    def send_frame(self, opcode, data=b"", fin=True, rsv=0, mask=None):
        self.send_raw(frame(opcode, data, fin, rsv, mask))

    def send_close(self, code=1000, reason=b""):
        if isinstance(reason, str):
            reason = reason.encode()
        self.send_frame(OP_CLOSE, (struct.pack("!H", code) + reason)
                        if code is not None else b"")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def frame(opcode, data=b"", fin=True, rsv=0, mask=None):
    """The bytes of one frame; rsv is the 3-bit RSV1-3 field."""
    if isinstance(data, str):
        data = data.encode()
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(data)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        data = _unmask(data, mask)
        head += mask
    return head + data


def _unmask(data, mask):
    n = len(data)
    m = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")).to_bytes(
        n, "big")


class RawServer:
    """Listen on 127.0.0.1:0 (or a Unix socket path); run handler(conn) per
    connection in a thread. Handler exceptions are kept for the test.
    conn is the class of the connections (h2raw's for HTTP/2)."""

    def __init__(self, handler, unix_path=None, host="127.0.0.1", conn=None):
        self.handler = handler
        self.conn_class = conn or Conn
        self.host = host
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.port = None
        elif ":" in host:
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            self.sock.bind((host, 0))
            self.port = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, 0))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.errors = []
        self.conns = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "ws://%s:%d/" % (host, self.port)

    def _loop(self):
        while True:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            c = self.conn_class(s)
            self.conns.append(c)
            threading.Thread(target=self._run, args=(c,), daemon=True).start()

    def _run(self, c):
        try:
            self.handler(c)
        except (EOFError, ConnectionError):
            pass
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.errors.append(e)
        finally:
            c.close()
            self.done.set()

    def close(self):
        # shutdown() first: close() alone leaves a socket that a thread is
        # blocked in accept() on listening, and it takes one more connection
        # (a later test's, once its port comes round again)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)
        for c in self.conns:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        if self.errors:
            raise self.errors[0]


def echo_until_close(conn, seen=None):
    """Echo every data message in order (Pings answered); answer the peer's
    Close after the echoes, with the same code, as RFC 6455 asks, and
    return its payload. seen, a list, gets each message's payload."""
    while True:
        op, data = conn.recv_message()
        if op == OP_CLOSE:
            conn.send_frame(OP_CLOSE, data[:2])
            return data
        if seen is not None:
            seen.append(data)
        conn.send_frame(op, data)


def echo_handler(conn):
    """A RawServer handler: accept the handshake, then echo_until_close."""
    conn.read_request().accept()
    echo_until_close(conn)
