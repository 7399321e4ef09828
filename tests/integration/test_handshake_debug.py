"""Handshake debugging: -D/--dump-handshake shows the request and the
response exactly as they crossed the wire, then a verdict; -S shows the
readyState transitions; -v adds a timing line; every failed handshake ends
with exactly one `wsc: ` cause line, and a non-101 answer always shows its
status line, headers and the start of its body.

The servers are the exact-bytes RawServer (plain and wrapped in Python's
ssl), so every byte the server reads is recorded and compared with what wsc
says it sent. Certificates are made with the openssl command at test time."""
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from harness import run, spawn, finish, accept_for, free_port
from wsproto import RawServer, echo_handler, echo_until_close

STATE_RE = re.compile(
    r"^wsc: \[\+(\d+\.\d{3})s\] (CONNECTING|OPEN|CLOSING|CLOSED) \((\d)\)"
    r"(?:: (.*))?$")
STATE_NUM = {"CONNECTING": 0, "OPEN": 1, "CLOSING": 2, "CLOSED": 3}
TIMING_RE = (r"^\* timing: dns \d+\.\d+ ms, tcp \d+\.\d+ ms, "
             r"handshake \d+\.\d+ ms$")
TIMING_TLS_RE = (r"^\* timing: dns \d+\.\d+ ms, tcp \d+\.\d+ ms, "
                 r"tls \d+\.\d+ ms, handshake \d+\.\d+ ms$")
CUT = 1024


# --- helpers -----------------------------------------------------------------

def read_head(conn):
    """Read the request head; return its raw bytes (request line to the
    blank line, CRLFs included)."""
    return conn.read_request().head + b"\r\n\r\n"


def head_lines(raw):
    """Lines of a raw head without the terminating blank line."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    assert text.endswith("\r\n\r\n")
    return text[:-4].split("\r\n")


def as_dump(raw, mark):
    """How wsc must show a raw head: each line prefixed, a lone mark last."""
    return [mark + " " + l for l in head_lines(raw)] + [mark]


def blocks(lines, mark):
    """(index of first line, lines) of each '> '/'< ' block ending with a
    lone mark."""
    out, cur, start = [], None, 0
    for i, l in enumerate(lines):
        if l.startswith(mark + " "):
            if cur is None:
                cur, start = [], i
            cur.append(l)
        elif l == mark and cur is not None:
            cur.append(l)
            out.append((start, cur))
            cur = None
        else:
            cur = None
    return out


def err_lines(r):
    return r.stderr.decode("utf-8", "replace").splitlines()


def wsc_lines(r):
    return [l for l in err_lines(r) if l.startswith("wsc: ")]


def cause_only(r):
    """The failure contract: exit 1, the last stderr line is the one and
    only `wsc: ` line."""
    assert r.returncode == 1, r.stderr
    w = wsc_lines(r)
    assert len(w) == 1, r.stderr
    assert err_lines(r)[-1] == w[0], r.stderr
    return w[0]


def states(r):
    """[(seconds, name, number, detail)] of the -S lines."""
    out = []
    for l in err_lines(r):
        m = STATE_RE.match(l)
        if m:
            out.append((float(m.group(1)), m.group(2), int(m.group(3)),
                        m.group(4)))
    return out


def check_states(r, expected):
    st = states(r)
    assert [s[2] for s in st] == expected, r.stderr
    for t, name, num, _ in st:
        assert STATE_NUM[name] == num, r.stderr
    times = [s[0] for s in st]
    assert times == sorted(times), r.stderr
    nums = [s[2] for s in st]
    assert len(set(nums)) == len(nums), "repeated state: " + r.stderr.decode()
    if 3 in nums:
        assert nums[-1] == 3, "state after CLOSED: " + r.stderr.decode()
    return st


def response(*lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- TLS ---------------------------------------------------------------------

def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + [str(a) for a in args], cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert r.returncode == 0, r.stderr.decode()


CA_CNF = """[ca]
default_ca = c
[c]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[p]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """ca.pem; server (localhost, 127.0.0.1) and wrong (wrong.example)
    signed by it; expired (localhost, valid only on 1 Jan 2020) signed by
    it with `openssl ca -startdate/-enddate`; self, self-signed."""
    d = tmp_path_factory.mktemp("hspki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-keyout", "ca.key",
            "-out", "ca.pem", "-subj", "/CN=wsc handshake test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, cn, san in (
            ("server", "localhost", "DNS:localhost,IP:127.0.0.1"),
            ("wrong", "wrong.example", "DNS:wrong.example")):
        openssl("req", "-new", *ec, "-keyout", name + ".key", "-out",
                name + ".csr", "-subj", "/CN=" + cn, cwd=d)
        (d / (name + ".ext")).write_text(
            "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
            "extendedKeyUsage=serverAuth\n" % san)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", name + ".pem", "-extfile", name + ".ext", cwd=d)
    (d / "db").mkdir()
    (d / "db" / "index.txt").write_text("")
    (d / "db" / "serial").write_text("1000\n")
    (d / "ca.cnf").write_text(CA_CNF)
    openssl("req", "-new", *ec, "-keyout", "expired.key", "-out",
            "expired.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem",
            "-keyfile", "ca.key", "-in", "expired.csr", "-out", "expired.pem",
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
            "-extensions", "ext", "-notext", cwd=d)
    openssl("req", "-x509", *ec, "-days", "2", "-keyout", "self.key",
            "-out", "self.pem", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    return d


class TLSServer(RawServer):
    """RawServer whose connections are wrapped in TLS in their own thread;
    a failed TLS handshake is recorded in tls_errors, not raised."""

    def __init__(self, handler, pki, name):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(pki / (name + ".pem")),
                                 str(pki / (name + ".key")))
        self.tls_errors = []
        super().__init__(handler)

    def wss(self, host="127.0.0.1"):
        return "wss://%s:%d/" % (host, self.port)

    def _run(self, c):
        try:
            c.sock = self.ctx.wrap_socket(c.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.tls_errors.append(e)
            c.close()
            self.done.set()
            return
        super()._run(c)


# --- -D: the exchange exactly as on the wire ---------------------------------

ODD_101 = ("HTTP/1.1 101 Switching Protocols",
           "Upgrade: websocket",
           "Connection: Upgrade",
           "X-Debug-Id: abc123",
           "Set-Cookie: a=1",
           "sec-websocket-accept: {accept}",
           "Set-Cookie: b=2",
           "X-Weird-Case: v",
           "sec-websocket-PROTOCOL: a")


def test_dump_shows_request_and_response_verbatim():
    got = {}

    def handler(conn):
        got["raw"] = read_head(conn)
        key = conn.header("Sec-WebSocket-Key")
        got["key"] = key
        got["resp"] = response(*ODD_101).replace(
            b"{accept}", accept_for(key).encode())
        conn.send_raw(got["resp"])
        echo_until_close(conn)

    with RawServer(handler) as srv:
        r = run(["-D", "-o", "http://origin.example", "-s", "a", "-s", "b",
                 "-H", "X-User: one", "-H", "X-Trace-Id: t-42", srv.url],
                input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    lines = err_lines(r)

    # the request, exactly as the server read it
    req = blocks(lines, ">")
    assert [b for _, b in req] == [as_dump(got["raw"], ">")], r.stderr
    shown = req[0][1]
    assert shown[0] == "> GET / HTTP/1.1"
    assert "> Sec-WebSocket-Key: " + got["key"] in shown
    assert "> X-User: one" in shown and "> X-Trace-Id: t-42" in shown
    assert any(l.startswith("> Origin: ") and "origin.example" in l
               for l in shown), r.stderr
    protos = [l.split(":", 1)[1] for l in shown
              if l.lower().startswith("> sec-websocket-protocol:")]
    assert [p.strip() for p in ",".join(protos).split(",")] == ["a", "b"]

    # the response, in the server's order and spelling
    resp = blocks(lines, "<")
    assert [b for _, b in resp] == [as_dump(got["resp"], "<")], r.stderr
    assert req[0][0] < resp[0][0]

    # the verdict, after the response
    verdict = [l for l in lines if l.startswith("* ")]
    assert verdict == [
        "* Sec-WebSocket-Accept %s matches the key sent" %
        accept_for(got["key"]),
        "* subprotocol: offered a,b; server chose a",
        "* extensions: none"], r.stderr
    assert lines.index(verdict[0]) > resp[0][0] + len(resp[0][1]) - 1


def test_dump_shows_origin_as_given():
    got = {}

    def handler(conn):
        got["raw"] = read_head(conn)
        conn.accept()
        echo_until_close(conn)

    with RawServer(handler) as srv:
        r = run(["-D", "-o", "http://origin.example", srv.url], input="")
    assert r.returncode == 0, r.stderr
    assert "Origin: http://origin.example" in head_lines(got["raw"])
    assert "> Origin: http://origin.example" in err_lines(r)


def test_dump_over_tls_shows_request_and_response_verbatim(pki):
    got = {}

    def handler(conn):
        got["raw"] = read_head(conn)
        got["resp"] = response(
            "HTTP/1.1 101 Switching Protocols", "Server: tls-raw/1.0",
            "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Accept: " +
            accept_for(conn.header("Sec-WebSocket-Key")),
            "X-Over: tls")
        conn.send_raw(got["resp"])
        echo_until_close(conn)

    with TLSServer(handler, pki, "server") as srv:
        r = run(["-D", "-k", "-H", "X-Tls: yes", "-s", "chat",
                 srv.wss() + "secure?x=1"], input="over tls\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"over tls\n"
    assert not srv.tls_errors
    lines = err_lines(r)
    req = blocks(lines, ">")
    assert [b for _, b in req] == [as_dump(got["raw"], ">")], r.stderr
    assert req[0][1][0] == "> GET /secure?x=1 HTTP/1.1"
    assert "> X-Tls: yes" in req[0][1]
    resp = blocks(lines, "<")
    assert [b for _, b in resp] == [as_dump(got["resp"], "<")], r.stderr
    assert "< Server: tls-raw/1.0" in resp[0][1]
    assert "* subprotocol: offered chat; server chose none" in lines


# --- a 101 that is not good enough -------------------------------------------

WRONG_ACCEPT = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="


def wrong_accept_server(got):
    def handler(conn):
        got["raw"] = read_head(conn)
        got["key"] = conn.header("Sec-WebSocket-Key")
        conn.accept(accept=WRONG_ACCEPT)
    return handler


def test_wrong_accept_cause_names_got_and_expected():
    got = {}
    with RawServer(wrong_accept_server(got)) as srv:
        r = run([srv.url], input="")
    line = cause_only(r)
    assert line == ("wsc: handshake failed: Sec-WebSocket-Accept mismatch: "
                    "got '%s', expected '%s'" %
                    (WRONG_ACCEPT, accept_for(got["key"])))
    assert r.stderr.decode() == line + "\n"


def test_wrong_accept_with_dump_shows_exchange_then_cause():
    got = {}
    with RawServer(wrong_accept_server(got)) as srv:
        r = run(["-D", srv.url], input="")
    line = cause_only(r)
    expected = accept_for(got["key"])
    assert line.endswith("expected '%s'" % expected)
    lines = err_lines(r)
    assert [b for _, b in blocks(lines, ">")] == [as_dump(got["raw"], ">")]
    resp = [b for _, b in blocks(lines, "<")]
    assert len(resp) == 1, r.stderr
    assert resp[0][0] == "< HTTP/1.1 101 Switching Protocols"
    assert "< Sec-WebSocket-Accept: " + WRONG_ACCEPT in resp[0]


def test_wrong_accept_with_dump_verdict_says_does_not_match():
    got = {}
    with RawServer(wrong_accept_server(got)) as srv:
        r = run(["-D", srv.url], input="")
    cause_only(r)
    lines = err_lines(r)
    verdict = "* Sec-WebSocket-Accept does not match: expected " + \
        accept_for(got["key"])
    assert verdict in lines, r.stderr
    assert lines.index(verdict) < len(lines) - 1


BAD_101 = [
    ("no-accept",
     ["Upgrade: websocket", "Connection: Upgrade"], [],
     "wsc: handshake failed: the response has no Sec-WebSocket-Accept"),
    ("no-upgrade",
     ["Connection: Upgrade", "ACCEPT"], [],
     "wsc: handshake failed: the response lacks 'Upgrade: websocket'"),
    ("no-connection",
     ["Upgrade: websocket", "ACCEPT"], [],
     "wsc: handshake failed: the response lacks 'Connection: Upgrade'"),
    ("unoffered-subprotocol",
     ["Upgrade: websocket", "Connection: Upgrade", "ACCEPT",
      "Sec-WebSocket-Protocol: zzz"], ["-s", "a", "-s", "b"],
     "wsc: handshake failed: server chose subprotocol 'zzz', which was not "
     "offered"),
]


def bad_101_server(headers, got):
    def handler(conn):
        got["raw"] = read_head(conn)
        acc = "Sec-WebSocket-Accept: " + \
            accept_for(conn.header("Sec-WebSocket-Key"))
        got["resp"] = response("HTTP/1.1 101 Switching Protocols",
                               *[acc if h == "ACCEPT" else h for h in headers])
        conn.send_raw(got["resp"])
    return handler


@pytest.mark.parametrize("headers,args,cause", [b[1:] for b in BAD_101],
                         ids=[b[0] for b in BAD_101])
def test_bad_101_cause(headers, args, cause):
    got = {}
    with RawServer(bad_101_server(headers, got)) as srv:
        r = run(args + [srv.url], input="")
    assert cause_only(r) == cause
    assert r.stderr.decode() == cause + "\n"


@pytest.mark.parametrize("headers,args,cause", [b[1:] for b in BAD_101],
                         ids=[b[0] for b in BAD_101])
def test_bad_101_with_dump_shows_exchange_then_cause(headers, args, cause):
    got = {}
    with RawServer(bad_101_server(headers, got)) as srv:
        r = run(["-D"] + args + [srv.url], input="")
    assert cause_only(r) == cause
    lines = err_lines(r)
    req, resp = blocks(lines, ">"), blocks(lines, "<")
    assert [b for _, b in req] == [as_dump(got["raw"], ">")], r.stderr
    assert [b for _, b in resp] == [as_dump(got["resp"], "<")], r.stderr
    assert req[0][0] < resp[0][0]


# --- non-101 answers: always shown, body cut at 1 KiB ------------------------

BODY = b"".join(b"body line %04d ......................................\n"
                % i for i in range(100))      # 5400 bytes, 54 per line

NON_101 = [
    ("200 OK", ["Content-Type: text/plain", "X-Request-Id: r200"],
     "wsc: handshake rejected: HTTP 200 OK: not upgraded (is this a WebSocket "
     "endpoint?)"),
    ("301 Moved Permanently", ["Location: /moved-here", "X-Request-Id: r301"],
     "wsc: handshake rejected: HTTP 301 Moved Permanently: redirect to "
     "/moved-here (use -L to follow)"),
    ("302 Found", ["Location: ws://elsewhere.invalid:8080/x?y=1",
                   "X-Request-Id: r302"],
     "wsc: handshake rejected: HTTP 302 Found: redirect to "
     "ws://elsewhere.invalid:8080/x?y=1 (use -L to follow)"),
    ("401 Unauthorized", ['WWW-Authenticate: Basic realm="wsc test"',
                          "X-Request-Id: r401"],
     'wsc: handshake rejected: HTTP 401 Unauthorized (WWW-Authenticate: Basic '
     'realm="wsc test"; try --auth)'),
    ("403 Forbidden", ["X-Request-Id: r403"],
     "wsc: handshake rejected: HTTP 403 Forbidden"),
    ("404 Not Found", ["Content-Type: text/html", "X-Request-Id: r404"],
     "wsc: handshake rejected: HTTP 404 Not Found"),
    ("426 Upgrade Required", ["Sec-WebSocket-Version: 13",
                              "X-Request-Id: r426"],
     "wsc: handshake rejected: HTTP 426 Upgrade Required"),
    ("500 Internal Server Error", ["X-Request-Id: r500"],
     "wsc: handshake rejected: HTTP 500 Internal Server Error"),
]


def reject_server(status, extra, body, got):
    def handler(conn):
        got["raw"] = read_head(conn)
        conn.reject(status, extra=extra, body=body)
    return handler


def check_rejection_shown(r, status, extra, body):
    """Status line, headers in order, a lone '<', then the body's first
    1 KiB line by line; nothing of the body after it."""
    lines = err_lines(r)
    head = ["< HTTP/1.1 " + status, "< Content-Length: %d" % len(body),
            "< Connection: close"] + ["< " + h for h in extra] + ["<"]
    assert lines.count(head[0]) == 1, r.stderr
    i = lines.index(head[0])
    assert lines[i:i + len(head)] == head, r.stderr
    want = body[:CUT].decode().split("\n")
    if body[:CUT].endswith(b"\n"):
        want = want[:-1]
    shown = lines[i + len(head):i + len(head) + len(want)]
    assert shown == ["< " + l for l in want], r.stderr
    rest = lines[i + len(head) + len(want):-1]
    if len(body) > CUT:
        # at most a note that the body was cut, nothing more of it
        assert len(rest) <= 1 and all(l.startswith("< ") for l in rest), \
            r.stderr
        assert body[CUT:CUT + 20].decode() not in r.stderr.decode()
        assert b"body line 0019" not in r.stderr
    else:
        assert rest == [], r.stderr


@pytest.mark.parametrize("status,extra,cause", NON_101,
                         ids=[s[0].split()[0] for s in NON_101])
def test_non_101_shown_without_dump_and_one_cause(status, extra, cause):
    got = {}
    with RawServer(reject_server(status, extra, BODY, got)) as srv:
        r = run([srv.url], input="")
    assert cause_only(r) == cause
    assert r.stdout == b""
    check_rejection_shown(r, status, extra, BODY)
    assert not any(l.startswith("> ") or l.startswith("* ")
                   for l in err_lines(r)), r.stderr


def test_non_101_small_body_shown_whole():
    got = {}
    body = b"forbidden: no token\r\nsee the docs\n"
    with RawServer(reject_server("403 Forbidden", ["X-Why: token"], body,
                                 got)) as srv:
        r = run([srv.url], input="")
    assert cause_only(r) == "wsc: handshake rejected: HTTP 403 Forbidden"
    lines = err_lines(r)
    assert lines == ["< HTTP/1.1 403 Forbidden", "< Content-Length: %d"
                     % len(body), "< Connection: close", "< X-Why: token",
                     "<", "< forbidden: no token", "< see the docs",
                     "wsc: handshake rejected: HTTP 403 Forbidden"], r.stderr


def test_non_101_with_dump_shows_request_and_response_once():
    got = {}
    extra = ["X-Request-Id: r404"]
    with RawServer(reject_server("404 Not Found", extra, BODY, got)) as srv:
        r = run(["-D", srv.url + "nowhere"], input="")
    assert cause_only(r) == "wsc: handshake rejected: HTTP 404 Not Found"
    lines = err_lines(r)
    req = blocks(lines, ">")
    assert [b for _, b in req] == [as_dump(got["raw"], ">")], r.stderr
    assert req[0][1][0] == "> GET /nowhere HTTP/1.1"
    assert lines.count("< HTTP/1.1 404 Not Found") == 1, r.stderr
    assert req[0][0] < lines.index("< HTTP/1.1 404 Not Found")
    check_rejection_shown(r, "404 Not Found", extra, BODY)


def test_rejection_after_followed_redirect_shows_final_answer():
    """-L: 302 then 404. The 404 is shown and its cause ends the output."""
    def handler(conn):
        conn.read_request()
        if conn.request_line.split()[1] == "/start":
            conn.reject("302 Found", extra=["Location: /gone"], body=b"hop")
        else:
            conn.reject("404 Not Found", extra=["X-Final: 404"],
                        body=b"no such endpoint\n")

    with RawServer(handler) as srv:
        r = run(["-L", srv.url + "start"], input="")
    assert r.returncode == 1, r.stderr
    lines = err_lines(r)
    assert lines[-1] == "wsc: handshake rejected: HTTP 404 Not Found"
    i = lines.index("< HTTP/1.1 404 Not Found")
    assert lines[i:] == ["< HTTP/1.1 404 Not Found", "< Content-Length: 17",
                         "< Connection: close", "< X-Final: 404", "<",
                         "< no such endpoint",
                         "wsc: handshake rejected: HTTP 404 Not Found"], \
        r.stderr


def test_control_characters_in_response_cannot_drive_the_terminal():
    """Shown line by line, but an ESC from the server is not written raw."""
    def handler(conn):
        conn.read_request()
        conn.reject("403 Forbidden", extra=["X-Esc: a\x1b[31mred\x1b[0m"],
                    body=b"\x1b]0;pwned\x07body\n")

    with RawServer(handler) as srv:
        r = run([srv.url], input="")
    assert cause_only(r) == "wsc: handshake rejected: HTTP 403 Forbidden"
    assert b"\x1b" not in r.stderr and b"\x07" not in r.stderr, r.stderr
    lines = err_lines(r)
    esc = [l for l in lines if l.startswith("< X-Esc: a")]
    assert len(esc) == 1 and "red" in esc[0], r.stderr
    assert any(l.startswith("< ") and l.endswith("body") for l in lines), \
        r.stderr


# --- no answer at all --------------------------------------------------------

def test_server_closes_mid_handshake():
    got = {}

    def handler(conn):
        got["raw"] = read_head(conn)      # then close without a word

    with RawServer(handler) as srv:
        r = run([srv.url], input="")
        rd = run(["-D", srv.url], input="")
    # a TLS server closes so on a request in plain text: hence the advice
    cause = "wsc: %s: the server closed the connection during the " \
        "handshake (if it expects TLS on this port, try %s)" % (
            srv.url, srv.url.replace("ws:", "wss:"))
    assert cause_only(r) == cause
    assert r.stderr.decode() == cause + "\n"
    assert cause_only(rd) == cause
    assert [b for _, b in blocks(err_lines(rd), ">")] == \
        [as_dump(got["raw"], ">")], rd.stderr


# How long wsc may take to exit by itself. Generous: under valgrind on a
# busy machine, loading OpenSSL's trust store alone can take seconds; what
# is judged is the one timeout line, and that wsc ends on its own.
BOUND = 60


def run_bounded(args, limit=BOUND):
    """Run wsc, killing it after `limit` seconds; returns (rc or None,
    stderr, elapsed)."""
    t0 = time.monotonic()
    rc, _, err = finish(spawn(args, stdin=subprocess.DEVNULL), limit,
                        sig=None)
    return rc, err, time.monotonic() - t0


def test_no_answer_times_out():
    release = threading.Event()

    def handler(conn):
        conn.read_request()
        release.wait(10)

    with RawServer(handler) as srv:
        try:
            rc, err, took = run_bounded(["--connect-timeout", "0.5",
                                         srv.url])
        finally:
            release.set()
    assert rc == 1, "still running after %d s: %r" % (BOUND, err)
    lines = [l for l in err.decode().splitlines() if l.startswith("wsc: ")]
    assert len(lines) == 1, err
    assert err.decode().endswith(lines[0] + "\n"), err
    assert lines[0].startswith("wsc: %s: timed out " % srv.url), err
    assert "0.5 s" in lines[0] and "(--connect-timeout)" in lines[0], err
    assert 0.4 < took < BOUND


def test_tls_never_starting_times_out():
    """TCP is accepted (by the kernel) but nothing ever answers the TLS
    ClientHello."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    url = "wss://127.0.0.1:%d/" % s.getsockname()[1]
    try:
        rc, err, took = run_bounded(["--connect-timeout", "0.5", url])
    finally:
        s.close()
    assert rc == 1, "still running after %d s: %r" % (BOUND, err)
    lines = err.decode().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("wsc: %s: timed out " % url), err
    assert "0.5 s" in lines[0] and "(--connect-timeout)" in lines[0], err
    assert 0.4 < took < BOUND


def test_connection_refused():
    url = "ws://127.0.0.1:%d/" % free_port()
    r = run([url], input="")
    assert cause_only(r) == "wsc: %s: connect failed: Connection refused" % url
    assert r.stderr.decode() == cause_only(r) + "\n"


def test_unresolvable_host():
    r = run(["ws://nonexistent.invalid/"], input="")
    line = cause_only(r)
    assert line.startswith("wsc: ws://nonexistent.invalid/: cannot resolve "
                           "'nonexistent.invalid': "), line
    assert len(line) > len("wsc: ws://nonexistent.invalid/: cannot resolve "
                           "'nonexistent.invalid': ")
    assert r.stderr.decode() == line + "\n"


# --- TLS failures name the certificate problem -------------------------------

def never_called(conn):
    raise AssertionError("the TLS handshake should have failed")


@pytest.mark.parametrize("cert,host,use_ca,problem", [
    ("self", "localhost", False, "self-signed certificate"),
    ("wrong", "localhost", True, "hostname mismatch"),
    ("wrong", "127.0.0.1", True, "IP address mismatch"),
    ("expired", "localhost", True, "certificate has expired"),
], ids=["self-signed", "wrong-host", "wrong-ip", "expired"])
def test_tls_failure_names_problem(pki, cert, host, use_ca, problem):
    with TLSServer(never_called, pki, cert) as srv:
        args = ["--ca", str(pki / "ca.pem")] if use_ca else []
        r = run(args + [srv.wss(host)], input="")
        # the server saw the handshake fail too: wsc really verified
        srv.done.wait(5)
        assert srv.tls_errors, "server saw no TLS failure"
    line = cause_only(r)
    assert line.startswith("wsc: %s: TLS handshake failed: %s"
                           % (srv.wss(host), problem)), line
    assert r.stderr.decode() == line + "\n"


def test_tls_self_signed_cause_exact(pki):
    with TLSServer(never_called, pki, "self") as srv:
        r = run([srv.wss()], input="")
    assert cause_only(r) == (
        "wsc: %s: TLS handshake failed: self-signed certificate (use --ca "
        "FILE to trust it, or -k to skip verification)" % srv.wss())


def test_tls_good_chain_with_ca_succeeds(pki):
    """Control for the failures above: same CA, right name, fresh cert."""
    with TLSServer(echo_handler, pki, "server") as srv:
        r = run(["--ca", str(pki / "ca.pem"), srv.wss("localhost")],
                input="ok\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"ok\n"


# --- -L: every hop shown -----------------------------------------------------

def redirect_chain_server(got):
    def handler(conn):
        raw = read_head(conn)
        path = conn.request_line.split()[1]
        got.append((path, raw))
        if path == "/start":
            conn.reject("302 Found", extra=["Location: /second",
                                            "X-Hop: 1"], body=b"hop one")
        elif path == "/second":
            conn.reject("307 Temporary Redirect",
                        extra=["Location: /final", "X-Hop: 2"],
                        body=b"hop two")
        else:
            conn.accept(extra=["X-Hop: 3"])
            echo_until_close(conn)
    return handler


def test_redirect_chain_dump_shows_every_hop():
    got = []
    with RawServer(redirect_chain_server(got)) as srv:
        r = run(["-L", "-D", srv.url + "start"], input="after hops\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"after hops\n"
    assert [p for p, _ in got] == ["/start", "/second", "/final"]
    lines = err_lines(r)
    req, resp = blocks(lines, ">"), blocks(lines, "<")
    assert [b for _, b in req] == [as_dump(raw, ">") for _, raw in got], \
        r.stderr
    assert [b[0] for _, b in resp] == [
        "< HTTP/1.1 302 Found", "< HTTP/1.1 307 Temporary Redirect",
        "< HTTP/1.1 101 Switching Protocols"], r.stderr
    assert "< Location: /second" in resp[0][1]
    assert "< Location: /final" in resp[1][1]
    assert "< X-Hop: 3" in resp[2][1]
    # request 1 < response 1 < request 2 < response 2 < request 3 < response 3
    order = [i for pair in zip(req, resp) for i, _ in pair]
    assert order == sorted(order), r.stderr
    key = [v for k, v in (l.split(": ", 1) for l in head_lines(got[2][1])[1:])
           if k.lower() == "sec-websocket-key"][0]
    assert "* Sec-WebSocket-Accept %s matches the key sent" % \
        accept_for(key) in lines


# --- -S: readyState transitions ----------------------------------------------

def test_show_state_clean_session():
    with RawServer(echo_handler) as srv:
        r = run(["-S", srv.url], input="one\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\n"
    st = check_states(r, [0, 1, 2, 3])
    assert st[0][3] == srv.url
    assert st[2][3] and st[3][3], r.stderr      # CLOSING/CLOSED say why
    assert "1000" in st[3][3]


def test_show_state_server_closes():
    def handler(conn):
        conn.read_request().accept()
        conn.send_close(1001, "going away")
        conn.recv_message()

    with RawServer(handler) as srv:
        r = run(["-S", "-w", "inf", srv.url], input="")
    st = check_states(r, [0, 1, 2, 3])
    assert "1001" in st[2][3] and "1001" in st[3][3], r.stderr
    assert "going away" in st[3][3]


def test_show_state_refused():
    url = "ws://127.0.0.1:%d/" % free_port()
    r = run(["-S", url], input="")
    assert r.returncode == 1
    st = check_states(r, [0, 3])
    assert st[0][3] == url
    causes = [l for l in wsc_lines(r) if not STATE_RE.match(l)]
    assert causes == ["wsc: %s: connect failed: Connection refused" % url]


@pytest.mark.parametrize("kind", ["404", "bad-accept", "closed"])
def test_show_state_failed_handshake(kind):
    def handler(conn):
        conn.read_request()
        if kind == "404":
            conn.reject("404 Not Found")
        elif kind == "bad-accept":
            conn.accept(accept=WRONG_ACCEPT)

    with RawServer(handler) as srv:
        r = run(["-S", srv.url], input="")
    assert r.returncode == 1
    check_states(r, [0, 3])
    causes = [l for l in wsc_lines(r) if not STATE_RE.match(l)]
    assert len(causes) == 1, r.stderr


def test_show_state_redirect_chain_connecting_once():
    got = []
    with RawServer(redirect_chain_server(got)) as srv:
        r = run(["-S", "-L", srv.url + "start"], input="")
    assert r.returncode == 0, r.stderr
    st = check_states(r, [0, 1, 2, 3])
    assert st[0][3] == srv.url + "start"


# --- -v: everything plus timing ----------------------------------------------

def test_verbose_has_dump_states_and_timing():
    with RawServer(echo_handler) as srv:
        r = run(["-v", srv.url], input="v\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"v\n"
    lines = err_lines(r)
    timing = [l for l in lines if l.startswith("* timing:")]
    assert len(timing) == 1, r.stderr
    assert re.match(TIMING_RE, timing[0]), timing[0]
    assert len(blocks(lines, ">")) == 1 and len(blocks(lines, "<")) == 1
    check_states(r, [0, 1, 2, 3])
    open_line = next(l for l in lines if " OPEN (1)" in l)
    assert lines.index(timing[0]) < lines.index(open_line)


def test_verbose_wss_timing_has_tls(pki):
    with TLSServer(echo_handler, pki, "server") as srv:
        r = run(["-v", "-k", srv.wss()], input="")
    assert r.returncode == 0, r.stderr
    timing = [l for l in err_lines(r) if l.startswith("* timing:")]
    assert len(timing) == 1, r.stderr
    assert re.match(TIMING_TLS_RE, timing[0]), timing[0]
    check_states(r, [0, 1, 2, 3])


def test_no_dump_without_flag():
    """Control: a good handshake prints nothing of the exchange unasked."""
    with RawServer(echo_handler) as srv:
        r = run([srv.url], input="quiet\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
