"""Getting to the server another way: 3xx redirects (-L), an HTTP CONNECT
proxy (tinyproxy, and a tiny proxy written here), a Unix socket, and an
IPv6 literal."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from harness import run, free_port, wait_for, finish
from wsproto import RawServer, echo_handler, echo_until_close


def recording_echo(seen):
    """Echo handler that appends (request line, headers) to seen."""
    def handler(conn):
        conn.read_request()
        seen.append((conn.request_line, conn.headers))
        conn.accept()
        echo_until_close(conn)
    return handler


def redirector(seen, target, status="302 Found"):
    """Answer every request with a redirect to target(n) (n: requests so
    far, this one included)."""
    def handler(conn):
        conn.read_request()
        seen.append(conn.request_line)
        conn.reject(status, extra=["Location: " + target(len(seen))])
    return handler


def one_error_line(r, status=1):
    """Exactly one diagnostic line, the last one, names the cause. wsc shows
    a rejected response (status, headers, start of the body) before it, as
    lines starting with '<'; nothing else is allowed."""
    assert r.returncode == status, (r.returncode, r.stderr)
    assert r.stdout == b""
    lines = r.stderr.splitlines()
    assert lines and lines[-1].startswith(b"wsc: "), r.stderr
    assert all(l.startswith(b"<") for l in lines[:-1]), r.stderr
    return lines[-1].decode()


def last_error_line(r, status=1):
    """Like one_error_line, after 'wsc: redirect N' progress lines."""
    assert r.returncode == status, (r.returncode, r.stderr)
    assert r.stdout == b""
    lines = r.stderr.splitlines()
    assert lines and lines[-1].startswith(b"wsc: "), r.stderr
    assert all(l.startswith(b"<") or l.startswith(b"wsc: redirect ")
               for l in lines[:-1]), r.stderr
    return lines[-1].decode()


# --- redirects ---

def test_redirect_not_followed_without_L():
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: echo.url + "chat")) as r302:
        r = run([r302.url], input="hi\n")
    line = one_error_line(r)
    assert echo.url + "chat" in line
    assert "302" in line
    assert re.search(r"(^|[^\w-])-L\b", line), line
    assert seen == [] and len(hops) == 1


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found",
                                    "303 See Other", "307 Temporary Redirect",
                                    "308 Permanent Redirect"])
def test_redirect_followed_with_L(status):
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: echo.url + "chat",
                                 status)) as rs:
        r = run(["-L", rs.url], input="hi\nthere\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\nthere\n"
    assert len(hops) == 1
    assert [s[0] for s in seen] == ["GET /chat HTTP/1.1"]


def test_redirect_host_header_has_port():
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: echo.url + "chat")) as rs:
        r = run(["-L", rs.url], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert [v for k, v in seen[0][1] if k.lower() == "host"] == \
        ["127.0.0.1:%d" % echo.port]


def test_redirect_to_root_path():
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: echo.url)) as rs:
        r = run(["-L", rs.url + "old"], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert [s[0] for s in seen] == ["GET / HTTP/1.1"]


def relative_redirect(location, start):
    """One server: the first request is redirected to location, the next
    is accepted and echoed. Returns (result, request lines)."""
    lines = []

    def handler(conn):
        conn.read_request()
        lines.append(conn.request_line)
        if len(lines) == 1:
            conn.reject("302 Found", extra=["Location: " + location])
            return
        conn.accept()
        echo_until_close(conn)

    with RawServer(handler) as s:
        r = run(["-L", s.url.rstrip("/") + start], input="hi\n")
    return r, lines


def test_redirect_relative_location_absolute_path():
    r, lines = relative_redirect("/moved/here?x=1", "/dir/start")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert lines == ["GET /dir/start HTTP/1.1", "GET /moved/here?x=1 HTTP/1.1"]


def test_redirect_relative_location_relative_path():
    r, lines = relative_redirect("next", "/dir/start")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert lines == ["GET /dir/start HTTP/1.1", "GET /dir/next HTTP/1.1"]


def test_redirect_loop_too_many_redirects():
    hops = []
    with RawServer(redirector(hops, lambda n: loop.url + "loop%d" % n)) \
            as loop:
        r = run(["-L", "--max-redirects", "3", loop.url], input="hi\n")
    line = last_error_line(r)
    assert "too many redirects" in line.lower()
    # the first request and the 3 redirects followed; the 4th is refused
    assert hops == ["GET / HTTP/1.1", "GET /loop1 HTTP/1.1",
                    "GET /loop2 HTTP/1.1", "GET /loop3 HTTP/1.1"]


def test_max_redirects_zero_follows_none():
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: echo.url)) as rs:
        r = run(["-L", "--max-redirects", "0", rs.url], input="hi\n")
    line = one_error_line(r)
    assert "too many redirects" in line.lower()
    assert seen == []


def chain(hops_wanted, args):
    """hops_wanted redirects in a row, then the echo server."""
    seen, hops = [], []
    with RawServer(recording_echo(seen)) as echo, \
            RawServer(redirector(hops, lambda n: rs.url + "hop%d" % n
                                 if n < hops_wanted else echo.url + "end")) \
            as rs:
        r = run(args + [rs.url], input="hi\n")
    return r, hops, seen


def test_redirect_chain_within_max_redirects():
    r, hops, seen = chain(3, ["-L", "--max-redirects", "3"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert len(hops) == 3 and [s[0] for s in seen] == ["GET /end HTTP/1.1"]


def test_redirect_chain_of_five_with_default_max():
    r, hops, seen = chain(5, ["-L"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert len(hops) == 5 and len(seen) == 1


# --- HTTP CONNECT proxy ---

class ConnectProxy:
    """A tiny HTTP CONNECT proxy: records each request head, answers 200
    (or `refuse`, a status line) and then relays bytes both ways."""

    def __init__(self, refuse=None):
        self.requests = []
        self.refuse = refuse
        self.srv = RawServer(self.handler)
        self.url = "http://127.0.0.1:%d" % self.srv.port

    def handler(self, conn):
        conn.read_request()
        self.requests.append((conn.request_line, conn.headers))
        if self.refuse:
            conn.reject(self.refuse)
            return
        method, target, _ = conn.request_line.split(" ", 2)
        host, port = target.rsplit(":", 1)
        up = socket.create_connection((host.strip("[]"), int(port)))
        try:
            conn.send_raw(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if conn.buf:
                up.sendall(conn.buf)
            t = threading.Thread(target=pump, args=(up, conn.sock),
                                 daemon=True)
            t.start()
            pump(conn.sock, up)
            t.join(10)
        finally:
            up.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.srv.__exit__(*a)


def pump(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def test_python_connect_proxy_request_line():
    seen = []
    with RawServer(recording_echo(seen)) as echo, ConnectProxy() as proxy:
        r = run(["--proxy", proxy.url, echo.url + "via"], input="hi\nho\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\nho\n"
    assert [q[0] for q in proxy.requests] == \
        ["CONNECT 127.0.0.1:%d HTTP/1.1" % echo.port]
    # the WebSocket request inside the tunnel is the ordinary one
    assert seen[0][0] == "GET /via HTTP/1.1"
    assert ("Host", "127.0.0.1:%d" % echo.port) in seen[0][1]


def test_python_connect_proxy_keeps_host_name():
    """The proxy, not wsc, resolves the name: CONNECT names the host."""
    seen = []
    with RawServer(recording_echo(seen)) as echo, ConnectProxy() as proxy:
        r = run(["--proxy", proxy.url, "ws://localhost:%d/" % echo.port],
                input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    assert [q[0] for q in proxy.requests] == \
        ["CONNECT localhost:%d HTTP/1.1" % echo.port]


def test_proxy_refusing_connect_fails():
    seen = []
    with RawServer(recording_echo(seen)) as echo, \
            ConnectProxy(refuse="403 Forbidden") as proxy:
        r = run(["--proxy", proxy.url, echo.url], input="hi\n")
    one_error_line(r)
    assert len(proxy.requests) == 1 and seen == []


def test_proxy_target_rejects_shows_target_status():
    def reject(conn):
        conn.read_request()
        conn.reject("404 Not Found", body=b"no such room\n")

    with RawServer(reject) as target, ConnectProxy() as proxy:
        r = run(["--proxy", proxy.url, target.url], input="hi\n")
    line = one_error_line(r)
    assert "404" in line
    assert len(proxy.requests) == 1


def test_proxy_target_hangs_up_during_handshake():
    def hang_up(conn):
        conn.read_request()

    with RawServer(hang_up) as target, ConnectProxy() as proxy:
        r = run(["--proxy", proxy.url, target.url], input="hi\n")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: "), r.stderr
    assert b"200" not in lines[0]
    assert b"closed" in lines[0]


def test_proxy_not_listening_fails():
    with RawServer(echo_handler) as echo:
        dead = free_port()
        r = run(["--proxy", "http://127.0.0.1:%d" % dead, echo.url],
                input="hi\n")
    one_error_line(r)


class Tinyproxy:
    """tinyproxy in the foreground (-d) with a generated config; its log
    goes to stdout and is collected line by line."""

    def __init__(self, tmp_path, connect_port):
        self.lines = []
        for _ in range(5):
            self.port = free_port()
            conf = tmp_path / "tinyproxy.conf"
            conf.write_text("Port %d\nListen 127.0.0.1\nAllow 127.0.0.1\n"
                            "ConnectPort %d\nLogLevel Connect\nMaxClients 8\n"
                            "Timeout 30\n" % (self.port, connect_port))
            self.proc = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)],
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
            threading.Thread(target=self._read, args=(self.proc,),
                             daemon=True).start()
            if self._ready():
                self.url = "http://127.0.0.1:%d" % self.port
                return
        raise AssertionError("tinyproxy would not start: %r" % self.lines)

    def _read(self, proc):
        for line in proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def _ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False   # the port was taken: try another
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         timeout=1).close()
                return True
            except OSError:
                try:
                    self.proc.wait(0.02)
                except subprocess.TimeoutExpired:
                    pass
        self.close()
        raise AssertionError("tinyproxy: not listening within %d s" % timeout)

    def close(self):
        finish(self.proc)


@pytest.fixture
def echo_server(request):
    seen = []
    s = RawServer(recording_echo(seen))
    s.seen = seen
    request.addfinalizer(s.close)
    return s


@pytest.fixture
def tinyproxy(request, tmp_path, echo_server):
    """tinyproxy allowing CONNECT to the echo server's port only."""
    if not shutil.which("tinyproxy"):
        pytest.fail("tinyproxy is not installed")
    tp = Tinyproxy(tmp_path, echo_server.port)
    request.addfinalizer(tp.close)
    return tp


def test_tinyproxy_connect(tinyproxy, echo_server):
    r = run(["--proxy", tinyproxy.url, echo_server.url + "tp"],
            input="one\ntwo\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\ntwo\n"
    want = "CONNECT 127.0.0.1:%d HTTP/1.1" % echo_server.port
    wait_for(lambda: any(want in l for l in tinyproxy.lines), 10,
             "tinyproxy to log the CONNECT")
    assert echo_server.seen[0][0] == "GET /tp HTTP/1.1"


def test_tinyproxy_refuses_other_port(tinyproxy, echo_server):
    """ConnectPort allows only the echo server's port: tinyproxy refuses,
    and wsc fails with one line."""
    with RawServer(echo_handler) as other:
        r = run(["--proxy", tinyproxy.url, other.url], input="hi\n")
        assert other.conns == []
    one_error_line(r)
    want = "CONNECT 127.0.0.1:%d HTTP/1.1" % other.port
    wait_for(lambda: any(want in l for l in tinyproxy.lines), 10,
             "tinyproxy to log the CONNECT")


# --- Unix socket ---

@pytest.fixture
def short_dir():
    """A short directory for sockets (sun_path holds 108 bytes)."""
    d = tempfile.mkdtemp(prefix="wsc-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("url,lines,request_line,host", [
    ("ws://example.invalid/chat", "over unix\nsecond\n",
     "GET /chat HTTP/1.1", "example.invalid"),
    ("ws://example.invalid:8080/a?b=c", "x\n",
     "GET /a?b=c HTTP/1.1", "example.invalid:8080"),
], ids=["host-and-path", "host-keeps-port-and-query"])
def test_unix_socket(short_dir, url, lines, request_line, host):
    path = os.path.join(short_dir, "ws.sock")
    seen = []
    with RawServer(recording_echo(seen), unix_path=path):
        r = run(["--unix-socket", path, url], input=lines)
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines.encode()
    assert len(seen) == 1
    line, headers = seen[0]
    assert line == request_line
    assert [v for k, v in headers if k.lower() == "host"] == [host]


def test_unix_socket_nobody_listening_fails(short_dir):
    path = os.path.join(short_dir, "dead.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)   # the file exists, but nobody listens
    try:
        r = run(["--unix-socket", path, "ws://example.invalid/"],
                input="x\n")
    finally:
        s.close()
    one_error_line(r)


# --- IPv6 ---

def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_ipv6_literal():
    if not ipv6_loopback():
        pytest.skip("cannot bind ::1 (no IPv6 loopback here)")
    seen = []
    with RawServer(recording_echo(seen), host="::1") as s:
        r = run([s.url + "six"], input="v6\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"v6\n"
    line, headers = seen[0]
    assert line == "GET /six HTTP/1.1"
    assert [v for k, v in headers if k.lower() == "host"] == \
        ["[::1]:%d" % s.port]
