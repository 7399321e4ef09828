"""What the opening handshake carries: -H, Host, -o, --auth and
subprotocols (-s), checked byte for byte by the exact-bytes server; and
subprotocols against a real one, libwebsockets-test-server."""
import base64
import re

import pytest

from harness import run, spawn, read_line, server_on_free_port, finish
from wsproto import RawServer, echo_until_close


class Recorder:
    """An echo server that keeps every request head exactly as received and
    answers the handshake choosing `protocol` (None: no protocol)."""

    def __init__(self, protocol=None):
        self.protocol = protocol
        self.heads = []
        self.srv = RawServer(self.handler)

    def handler(self, conn):
        self.heads.append(conn.read_request().head)
        conn.accept(protocol=self.protocol)
        echo_until_close(conn)

    @property
    def url(self):
        return self.srv.url

    def lines(self):
        """Header lines of the one request, as bytes."""
        assert len(self.heads) == 1, self.heads
        return self.heads[0].split(b"\r\n")[1:]

    def named(self, name):
        n = name.lower().encode() + b":"
        return [l for l in self.lines() if l.lower().startswith(n)]

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.srv.__exit__(*a)


def echo_ok(r, text=b"hi\n"):
    assert r.returncode == 0, r.stderr
    assert r.stdout == text


# --- -H, Host, -o, --auth ---

def test_headers_arrive_exactly_in_order():
    hs = ["X-Custom: a  b,c;d=e \"q\"", "X-Second: 2", "X-Custom: again",
          "X-Empty:"]
    args = []
    for h in hs:
        args += ["-H", h]
    with Recorder() as s:
        r = run(args + [s.url], input="hi\n")
    echo_ok(r)
    got = [l for l in s.lines() if l.lower().startswith(b"x-")]
    assert got == [h.encode() for h in hs]


def test_header_name_case_kept():
    with Recorder() as s:
        r = run(["-H", "x-MiXeD-case: Value", s.url], input="hi\n")
    echo_ok(r)
    assert b"x-MiXeD-case: Value" in s.lines()


def test_host_header_replaces_host():
    with Recorder() as s:
        r = run(["-H", "Host: x", s.url], input="hi\n")
    echo_ok(r)
    assert s.named("Host") == [b"Host: x"]


def test_default_host_is_url_authority():
    with Recorder() as s:
        r = run([s.url], input="hi\n")
    echo_ok(r)
    assert s.named("Host") == [b"Host: 127.0.0.1:%d" % s.srv.port]
    assert s.heads[0].split(b"\r\n")[0] == b"GET / HTTP/1.1"
    assert s.named("Origin") == []


def test_path_and_query_sent():
    with Recorder() as s:
        r = run([s.url + "room/1?user=a%20b&x=y"], input="hi\n")
    echo_ok(r)
    assert s.heads[0].split(b"\r\n")[0] == \
        b"GET /room/1?user=a%20b&x=y HTTP/1.1"


@pytest.mark.parametrize("args,origin", [
    (["-o", "https://origin.example"], b"https://origin.example"),
    (["-o", "http://localhost:8080"], b"http://localhost:8080"),
    (["-o", "null"], b"null"),
    (["--origin", "https://origin.example"], b"https://origin.example"),
    (["-H", "Origin: https://h.example"], b"https://h.example"),
], ids=["https", "port", "null", "long-option", "header-option"])
def test_origin_sent_once_as_given(args, origin):
    with Recorder() as s:
        r = run(args + [s.url], input="hi\n")
    echo_ok(r)
    assert s.named("Origin") == [b"Origin: " + origin]


@pytest.mark.parametrize("cred", ["user:pass", "alice:s3cr:et w/ space", "u:"])
def test_auth_basic_header(cred):
    user, pw = cred.split(":", 1)
    with Recorder() as s:
        r = run(["--auth", cred, s.url], input="hi\n")
    echo_ok(r)
    want = base64.b64encode((user + ":" + pw).encode())
    assert s.named("Authorization") == [b"Authorization: Basic " + want]
    assert cred.encode() not in r.stderr   # the password is not echoed


def test_auth_user_only_is_usage_error_without_terminal():
    """No password and no terminal to ask on (new session, so no /dev/tty)."""
    with Recorder() as s:
        r = run(["--auth", "alice", s.url], input="hi\n",
                start_new_session=True)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith(b"wsc: ")
    assert s.heads == []


# --- subprotocols ---

def test_subprotocols_offered_as_one_list():
    with Recorder() as s:
        r = run(["-s", "chat", "-s", "superchat, other", s.url], input="hi\n")
    echo_ok(r)
    assert s.named("Sec-WebSocket-Protocol") == \
        [b"Sec-WebSocket-Protocol: chat,superchat,other"]


def test_no_subprotocol_header_without_s():
    with Recorder() as s:
        r = run([s.url], input="hi\n")
    echo_ok(r)
    assert s.named("Sec-WebSocket-Protocol") == []


def test_server_choice_reported():
    with Recorder("superchat") as s:
        r = run(["-s", "chat", "-s", "superchat, other", s.url], input="hi\n")
    echo_ok(r)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: ")
    assert b"superchat" in lines[0]
    assert b"no subprotocol" not in lines[0]


def test_server_choice_in_open_state_line():
    with Recorder("chat") as s:
        r = run(["-S", "-s", "chat", s.url], input="hi\n")
    echo_ok(r)
    assert re.search(rb"OPEN \(1\).*chat", r.stderr), r.stderr


@pytest.mark.parametrize("chosen,offered", [
    ("superchat", ["-s", "chat", "-s", "superchat, other"]),
    (None, ["-s", "chat"]),
], ids=["one-chosen", "none-chosen"])
def test_quiet_says_nothing_of_the_server_choice(chosen, offered):
    with Recorder(chosen) as s:
        r = run(["-q"] + offered + [s.url], input="hi\n")
    echo_ok(r)
    assert r.stderr == b""


@pytest.mark.parametrize("chosen,offered", [
    ("evil", ["-s", "chat"]),
    # nothing offered, yet the server names one: not acceptable either
    ("chat", []),
], ids=["not-offered", "nothing-offered"])
def test_server_choosing_what_was_not_offered_fails(chosen, offered):
    with Recorder(chosen) as s:
        r = run(offered + [s.url], input="hi\n")
    assert r.returncode == 1, r.stderr
    assert r.stdout == b""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: ")
    assert chosen.encode() in lines[0]


def test_offered_none_chosen_works_and_says_so():
    with Recorder(None) as s:
        r = run(["-s", "chat", s.url], input="hi\n")
    echo_ok(r)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: ")
    assert re.search(rb"no subprotocol|subprotocol.*none", lines[0], re.I)


# --- libwebsockets-test-server ---

@pytest.fixture
def lws_server(request, tmp_path):
    """libwebsockets-test-server on the loopback interface. It binds the
    port given with -p (it cannot report one it picked), so choose a free
    one and try again if it was taken meanwhile."""
    port = server_on_free_port(
        request, "libwebsockets-test-server",
        lambda p: ["libwebsockets-test-server", "-p", str(p), "-i", "lo"],
        cwd=tmp_path)
    return "ws://127.0.0.1:%d/" % port


def test_lws_dumb_increment(lws_server):
    r = run(["-q", "-s", "dumb-increment-protocol", "-n", "3", "-w", "inf",
             lws_server], input="")
    assert r.returncode == 0, r.stderr
    nums = [int(x) for x in r.stdout.decode().split("\n")[:-1]]
    assert len(nums) == 3 and r.stdout.endswith(b"\n"), r.stdout
    assert nums[0] < nums[1] < nums[2], nums


def test_lws_mirror_echoes_a_line(lws_server):
    r = run(["-q", "-s", "lws-mirror-protocol", "-n", "1", "-w", "inf",
             lws_server], input="mirror me\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"mirror me\n"


def test_lws_mirror_broadcasts_to_other_client(lws_server):
    listener = spawn(["-S", "-s", "lws-mirror-protocol", "-n", "1",
                      "-w", "inf", lws_server])
    try:
        while True:
            line = read_line(listener.stderr, 10, "listener")
            if "OPEN (1)" in line:
                break
        r = run(["-q", "-s", "lws-mirror-protocol", "-n", "1", "-w", "inf",
                 lws_server], input="to everyone\n")
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"to everyone\n"
    finally:
        rc, out, _ = finish(listener, 10, sig=None)
    assert rc == 0
    assert out == b"to everyone\n"


def test_lws_reports_chosen_protocol(lws_server):
    r = run(["-s", "dumb-increment-protocol", "-n", "1", "-w", "inf",
             lws_server], input="")
    assert r.returncode == 0, r.stderr
    assert b"dumb-increment-protocol" in r.stderr
    assert b"no subprotocol" not in r.stderr
