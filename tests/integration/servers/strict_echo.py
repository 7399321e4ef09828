"""A strict RFC 6455 echo server for wsc --check, on 127.0.0.1:0 (prints
its port). It checks what RFC 6455 asks a server to check and answers as
the RFC prefers (426 with Sec-WebSocket-Version, Close 1002/1007, Close
codes echoed), so `wsc --check` passes every case against it. Each flag in
argv breaks one behaviour on purpose:
  accept-bad-utf8  text is echoed without a UTF-8 check (nor Close reasons)
  bogus-protocol   every 101 carries Sec-WebSocket-Protocol: bogus
  no-pong          Pings are never answered
  wrong-close      a valid Close is answered with 1002
  deflate          permessage-deflate is accepted, each message compressed
                   on its own (no context takeover either way; window bits
                   offered are not honoured, so the negotiation cases fail)
  exit-after=N     the process exits when connection N+1 arrives
  unix=PATH        listen on a Unix socket at PATH instead (prints 0)
"""
import base64
import codecs
import hashlib
import os
import socket
import struct
import sys
import threading
import zlib

FLAGS = set(sys.argv[1:])
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Fail(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def valid_code(c):
    return 1000 <= c <= 1003 or 1007 <= c <= 1014 or 3000 <= c <= 4999


def unmask(data, key):
    n = len(data)
    m = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")).to_bytes(
        n, "big")


def frame(op, data=b"", rsv1=False):
    n = len(data)
    b0 = 0x80 | (0x40 if rsv1 else 0) | op
    if n < 126:
        head = struct.pack("!BB", b0, n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + data


def deflate(data):
    z = zlib.compressobj(wbits=-15)
    out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4] if out.endswith(b"\x00\x00\xff\xff") else out


class Conn:
    def __init__(self, s):
        self.s = s
        self.buf = bytearray()
        self.z = False

    def need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(262144)
            if not d:
                raise EOFError
            self.buf += d

    def take(self, n):
        self.need(n)
        d = bytes(self.buf[:n])
        del self.buf[:n]
        return d

    def handshake(self):
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        i = self.buf.index(b"\r\n\r\n")
        head = self.buf[:i].decode("latin-1").split("\r\n")
        del self.buf[:i + 4]
        h = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            h[k.strip().lower()] = v.strip()
        if h.get("sec-websocket-version") != "13":
            self.s.sendall(b"HTTP/1.1 426 Upgrade Required\r\n"
                           b"Sec-WebSocket-Version: 13\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        key = h.get("sec-websocket-key")
        if not key or "websocket" not in h.get("upgrade", "").lower():
            self.s.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        acc = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
        resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                b"\r\n")
        if "bogus-protocol" in FLAGS:
            resp += b"Sec-WebSocket-Protocol: bogus\r\n"
        self.z = "deflate" in FLAGS and "permessage-deflate" in h.get(
            "sec-websocket-extensions", "")
        if self.z:
            resp += (b"Sec-WebSocket-Extensions: permessage-deflate; "
                     b"server_no_context_takeover; "
                     b"client_no_context_takeover\r\n")
        self.s.sendall(resp + b"\r\n")
        return True

    def run(self):
        msg_op, parts, dec, z = None, [], None, False
        while True:
            b0, b1 = self.take(2)
            fin, rsv, op = b0 & 0x80, b0 & 0x70, b0 & 0x0f
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self.take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.take(8))[0]
            if rsv == 0x40 and self.z and op in (1, 2):
                rsv = 0                 # a compressed message
                z = True
            elif op in (1, 2):
                z = False
            if not b1 & 0x80 or rsv or op in (3, 4, 5, 6, 7, 11, 12, 13, 14,
                                              15):
                raise Fail(1002)
            if op >= 8 and (n > 125 or not fin):
                raise Fail(1002)
            key = self.take(4)
            data = unmask(self.take(n), key)
            if op == 9:
                if "no-pong" not in FLAGS:
                    self.s.sendall(frame(10, data))
                continue
            if op == 10:
                continue
            if op == 8:
                if n == 1:
                    raise Fail(1002)
                code = struct.unpack("!H", data[:2])[0] if n else None
                if code is not None and not valid_code(code):
                    raise Fail(1002)
                if "accept-bad-utf8" not in FLAGS:
                    try:
                        data[2:].decode("utf-8")
                    except UnicodeDecodeError:
                        raise Fail(1007)
                if "wrong-close" in FLAGS:
                    self.s.sendall(frame(8, struct.pack("!H", 1002)))
                else:
                    self.s.sendall(frame(8, data[:2]))
                return
            if op == 0 and msg_op is None or op != 0 and msg_op is not None:
                raise Fail(1002)
            if op != 0:
                msg_op, parts = op, []
                dec = codecs.getincrementaldecoder("utf-8")() \
                    if op == 1 and "accept-bad-utf8" not in FLAGS else None
            if dec and not z:
                try:
                    dec.decode(data, final=bool(fin))
                except UnicodeDecodeError:
                    raise Fail(1007)
            parts.append(data)
            if fin and z:
                try:
                    msg = zlib.decompressobj(wbits=-15).decompress(
                        b"".join(parts) + b"\x00\x00\xff\xff")
                except zlib.error:
                    raise Fail(1007)
                if dec:
                    try:
                        dec.decode(msg, final=True)
                    except UnicodeDecodeError:
                        raise Fail(1007)
                self.s.sendall(frame(msg_op, deflate(msg), rsv1=True))
                msg_op = None
            elif fin:
                self.s.sendall(frame(msg_op, b"".join(parts)))
                msg_op = None


def serve(s):
    c = Conn(s)
    try:
        if c.handshake():
            try:
                c.run()
            except Fail as f:
                s.sendall(frame(8, struct.pack("!H", f.code)))
    except (EOFError, OSError):
        pass
    finally:
        s.close()


def flag_value(name):
    for f in FLAGS:
        if f.startswith(name + "="):
            return f.split("=", 1)[1]
    return None


def main():
    path = flag_value("unix")
    exit_after = flag_value("exit-after")
    if path:
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(path)
    else:
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print(0 if path else ls.getsockname()[1], flush=True)
    n = 0
    while True:
        s, _ = ls.accept()
        n += 1
        if exit_after and n > int(exit_after):
            os._exit(0)
        threading.Thread(target=serve, args=(s,), daemon=True).start()


main()
