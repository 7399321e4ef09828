"""--http2: WebSocket over HTTP/2 (RFC 8441) against two independent
HTTP/2 implementations: Node's http2 module (servers/node_h2_echo.js, which
decodes the client's masked frames itself) over h2c and TLS, and HAProxy's
HTTP/2 front end (TLS with ALPN h2) in front of a python3-websockets echo
server spoken to over HTTP/1.1. Certificates are made at test time with
the openssl command."""
import os
import signal

import pytest

from harness import (HERE, ServerProcess, finish, free_port, python_server,
                     run, server_on_free_port, spawn)
from test_redirect_proxy_unix import ConnectProxy, short_dir  # noqa: F401
from test_flow import read_all_slowly, write_lines
from test_tls import openssl

NODE_H2 = os.path.join(HERE, "servers", "node_h2_echo.js")


def node_h2(mode, tls=None, unix=None):
    """The Node HTTP/2 server in mode; tls: (cert, key) for TLS; unix: a
    Unix socket's path to listen on instead of a port."""
    env = dict(os.environ, H2_UNIX_SOCKET=unix) if unix else None
    return ServerProcess(["node", NODE_H2, mode] + list(tls or ()), env=env)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1: (pem, key,
    both in one file for HAProxy)."""
    d = tmp_path_factory.mktemp("h2pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", "server.key", "-out", "server.pem",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    both = d / "both.pem"
    both.write_bytes((d / "server.pem").read_bytes() +
                     (d / "server.key").read_bytes())
    return str(d / "server.pem"), str(d / "server.key"), str(both)


HAPROXY_CFG = """global
    maxconn 100
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 30s
frontend h2
    bind 127.0.0.1:%(port)d ssl crt %(pem)s alpn h2,http/1.1
    bind 127.0.0.1:%(h1port)d ssl crt %(pem)s alpn http/1.1
    http-request deny deny_status 403 if { path_beg /forbidden }
    default_backend echo
backend echo
    server ws 127.0.0.1:%(backend)d
"""


@pytest.fixture(scope="module")
def haproxy(request, tmp_path_factory, cert):
    """HAProxy terminating TLS (ALPN h2 on port, http/1.1 only on h1port)
    in front of a python3-websockets echo server; (port, h1port)."""
    d = tmp_path_factory.mktemp("haproxy")
    backend = python_server("websockets_echo.py")
    request.addfinalizer(backend.close)
    h1port = free_port()

    def argv(port):
        cfg = d / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG % {"port": port, "h1port": h1port,
                                      "pem": cert[2],
                                      "backend": backend.port})
        return ["haproxy", "-db", "-f", str(cfg)]
    port = server_on_free_port(request, "haproxy", argv)
    return port, h1port


def test_h2c_echo_lines_and_close():
    """Prior knowledge over plain TCP: both lines come back, exit 0; the
    server saw the extended CONNECT and masked frames (it resets the
    stream on an unmasked one)."""
    with node_h2("echo") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/chat" % srv.port],
                input="a\nb\n")
        status, _, err = finish(srv.proc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    assert r.stderr == b""
    assert b'":protocol":"websocket"' in err
    assert b'":path":"/chat"' in err


def test_sending_to_a_server_that_answers_nothing():
    """4 MB to a server that only reads (nothing comes back but its
    WINDOW_UPDATEs): every byte arrives, and the close is clean."""
    n = 20000
    with node_h2("sink") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port],
                input=b"".join(b"%06d " % i + b"z" * 193 + b"\n"
                               for i in range(n)), timeout=60)
        _, _, err = finish(srv.proc)
    assert r.returncode == 0, r.stderr
    assert ("received %d messages, %d bytes" % (n, n * 200)).encode() in err


def test_dump_shows_settings_header_blocks_and_verdict():
    with node_h2("echo") as srv:
        r = run(["--http2", "-D", "-s", "chat", "-H", "X-Trace: t-1",
                 "ws://127.0.0.1:%d/" % srv.port], input="hi\n")
    err = r.stderr.decode()
    assert r.returncode == 0, err
    lines = err.splitlines()
    # ours first: our SETTINGS, then the CONNECT in order
    i = lines.index("> :method: CONNECT")
    assert lines[i - 1].startswith("> SETTINGS ")
    assert lines[i:i + 6] == [
        "> :method: CONNECT", "> :protocol: websocket", "> :scheme: http",
        "> :path: /", "> :authority: 127.0.0.1:%d" % srv.port,
        "> sec-websocket-version: 13"]
    assert "> sec-websocket-protocol: chat" in lines
    assert "> x-trace: t-1" in lines
    assert "< SETTINGS ENABLE_CONNECT_PROTOCOL=1" in lines
    assert "< :status: 200" in lines
    assert any(l.startswith("* HTTP/2 :status 200") for l in lines)
    assert "* subprotocol: offered chat; server chose none" in lines


def test_tls_alpn_h2_to_node(cert):
    with node_h2("echo", cert[:2]) as srv:
        r = run(["--http2", "--ca", cert[0],
                 "wss://localhost:%d/" % srv.port], input="a\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"


def test_no_extended_connect_is_one_line_exit_1():
    with node_h2("noconnect") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port], input="a\n")
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr.decode() == (
        "wsc: ws://127.0.0.1:%d/: the server's HTTP/2 SETTINGS do not "
        "enable the extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL=1, "
        "RFC 8441): it takes no WebSocket over HTTP/2; drop --http2\n"
        % srv.port)


def test_h2c_to_an_http1_server_is_one_line():
    """python3-websockets takes HTTP/1.1 only: it answers the preface in
    HTTP/1.1 and closes with our bytes unread, so the kernel may reset the
    connection before wsc reads the answer or ends its SETTINGS: then the
    reset is the line."""
    with python_server("websockets_echo.py") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port], input="a\n")
    assert r.returncode == 1
    url = "wsc: ws://127.0.0.1:%d/: " % srv.port
    assert r.stderr.decode() in (
        url + "the server answered in HTTP/1, not HTTP/2 (over ws:// "
        "--http2 needs a server that takes HTTP/2 with prior knowledge); "
        "drop --http2\n",
        url + "the server closed the connection before its HTTP/2 SETTINGS "
        "(read: Connection reset by peer); drop --http2 if it does not "
        "speak HTTP/2\n",
        url + "the server closed the connection before its HTTP/2 SETTINGS "
        "(send: Broken pipe); drop --http2 if it does not speak HTTP/2\n")


def test_refusal_shows_status_headers_body():
    with node_h2("refuse") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port], input="a\n")
    err = r.stderr.decode().splitlines()
    assert r.returncode == 1
    assert "< :status: 403" in err
    assert "< content-type: text/plain" in err
    assert "< no entry here" in err
    assert err[-1] == "wsc: handshake rejected: HTTP 403 Forbidden"


def test_reset_stream_and_goaway_are_named_exit_1():
    with node_h2("reset") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port], input="a\n")
    assert r.returncode == 1
    assert r.stderr.decode() == (
        "wsc: connection closed abnormally (1006): the server reset the "
        "HTTP/2 stream (RST_STREAM INTERNAL_ERROR)\n")
    with node_h2("goaway") as srv:
        r = run(["--http2", "ws://127.0.0.1:%d/" % srv.port], input="a\n")
    assert r.returncode == 1
    assert r.stderr.decode() == (
        "wsc: connection closed abnormally (1006): the server ended the "
        "HTTP/2 connection (GOAWAY INTERNAL_ERROR)\n")


def test_haproxy_h2_front_end(haproxy):
    port, _ = haproxy
    r = run(["--http2", "-k", "wss://127.0.0.1:%d/" % port], input="a\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    assert r.stderr == b""


def test_haproxy_refusal_same_as_http1(haproxy):
    """The same 403 over HTTP/2 and HTTP/1.1: the same line and status."""
    port, _ = haproxy
    url = "wss://127.0.0.1:%d/forbidden" % port
    h2 = run(["--http2", "-k", url], input="a\n")
    h1 = run(["-k", url], input="a\n")
    assert h2.returncode == h1.returncode == 1
    last = lambda r: r.stderr.decode().splitlines()[-1]
    assert last(h2) == last(h1) == \
        "wsc: handshake rejected: HTTP 403 Forbidden"
    assert "< :status: 403" in h2.stderr.decode()


def test_alpn_http1_is_one_line(haproxy):
    _, h1port = haproxy
    r = run(["--http2", "-k", "wss://127.0.0.1:%d/" % h1port], input="a\n")
    assert r.returncode == 1
    assert r.stderr.decode() == (
        "wsc: wss://127.0.0.1:%d/: the server did not agree to HTTP/2 "
        "(ALPN chose http/1.1); drop --http2\n" % h1port)


def test_redirect_followed_with_L():
    """A 301 over HTTP/2 is a redirect as over HTTP/1.1: -L follows it on
    a new HTTP/2 connection; without -L it is the cause."""
    with node_h2("echo") as srv:
        url = "ws://127.0.0.1:%d/old" % srv.port
        r = run(["--http2", "-L", url], input="a\n")
        bare = run(["--http2", url], input="a\n")
        _, _, err = finish(srv.proc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\n"
    assert b'":path":"/new"' in err
    assert bare.returncode == 1
    assert bare.stderr.decode().splitlines()[-1] == (
        "wsc: handshake rejected: HTTP 301 Moved Permanently: redirect to "
        "/new (use -L to follow)")


def test_through_a_connect_proxy(cert):
    """The proxy's tunnel first, then TLS with ALPN h2 inside it."""
    proxy = ConnectProxy()
    with proxy.srv, node_h2("echo", cert[:2]) as srv:
        r = run(["--http2", "--proxy", proxy.url, "--ca", cert[0],
                 "wss://localhost:%d/" % srv.port], input="a\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    assert proxy.requests[0][0].startswith("CONNECT localhost:%d " % srv.port)


def test_over_a_unix_socket(short_dir):
    path = os.path.join(short_dir, "h2.sock")
    with node_h2("echo", unix=path) as srv:
        r = run(["--http2", "--unix-socket", path, "ws://example.invalid/x"],
                input="a\nb\n")
        _, _, err = finish(srv.proc)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb\n"
    assert b'":authority":"example.invalid"' in err


def test_reconnect_after_a_reset_stream():
    """--reconnect: a reset stream is a dropped connection; the next
    attempt is a new HTTP/2 connection, where the input having ended, wsc
    closes cleanly."""
    with node_h2("reset") as srv:
        r = run(["--http2", "--reconnect=2", "ws://127.0.0.1:%d/" % srv.port],
                input="a\n")
        _, _, err = finish(srv.proc)
    assert r.returncode == 0, r.stderr
    assert err.count(b'":protocol":"websocket"') == 2, err
    lines = r.stderr.decode().splitlines()
    assert lines[0] == ("wsc: connection closed abnormally (1006): the server "
                        "reset the HTTP/2 stream (RST_STREAM INTERNAL_ERROR)")
    assert "wsc: connected again (attempt 1)" in lines


def test_slow_reader_through_haproxy_memory_flat(haproxy):
    """10^5 lines echoed through HAProxy while stdout is read slowly: the
    HTTP/2 window opens only as wsc prints, so the server is held back,
    memory stays flat, and every line comes out in order."""
    port, _ = haproxy
    n = 100000
    line = lambda i: b"%06d " % i + b"y" * 193          # 200 bytes
    p = spawn(["--http2", "-k", "wss://127.0.0.1:%d/" % port])
    try:
        write_lines(p, line, n)
        out = read_all_slowly(p, 200, n * 201, 30)
        rc = p.wait(10)
        err = p.stderr.read()
    finally:
        finish(p, sig=signal.SIGKILL)
    assert rc == 0, err
    out = out.split(b"\n")
    assert out[-1] == b""
    assert len(out) - 1 == n
    assert out[:-1] == [line(i) for i in range(n)]

