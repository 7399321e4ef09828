"""wsc --check URL: the conformance report. Against a strict echo server
written here (servers/strict_echo.py: every case passes) and its
deliberately broken variants (exactly the expected cases fail), against
independent servers (python3-websockets, aiohttp, tornado, node ws,
websocketd with cat, wsc --listen --echo), and the report's own contract:
-j objects, exit status, escaping, a server that dies mid-report."""
import contextlib
import json
import os
import socket
import subprocess

import pytest

from harness import WSC, run, python_server, node_server, free_port, \
    server_on_free_port, wait_listening, finish, TerminalOutput
from wsproto import RawServer
from test_redirect_proxy_unix import ConnectProxy
from test_tls import pki  # noqa: F401 - the fixture

INFO = {"6.23", "6.24", "6.25", "8.1", "8.2"}
DEFLATE_ALL = {"7.%d" % i for i in range(1, 9)}


def check(url, *args, timeout=100):
    """Run wsc -j --check; returns (exit status, {case: object}, summary,
    stderr)."""
    r = run(["-j", "--check"] + list(args) + [url], timeout=timeout)
    lines = r.stdout.decode().splitlines()
    objs = [json.loads(l) for l in lines]
    assert objs and "summary" in objs[-1], r.stdout[-500:]
    cases = {o["case"]: o for o in objs[:-1]}
    assert len(cases) == len(objs) - 1, "case ids repeat"
    for o in cases.values():
        assert set(o) >= {"case", "group", "sent", "result", "expected",
                          "observed"}, o
        assert o["result"] in ("pass", "non-strict", "fail", "info"), o
    assert b"Sanitizer" not in r.stderr and b"runtime error" not in \
        r.stderr, r.stderr
    return r.returncode, cases, objs[-1], r.stderr


def results(cases, verdict):
    return {c for c, o in cases.items() if o["result"] == verdict}


@pytest.fixture
def strict(request):
    def start(*flags):
        s = python_server("strict_echo.py", *flags)
        request.addfinalizer(s.close)
        return "ws://127.0.0.1:%d/" % s.port
    return start


# --- the strict server and its broken variants -------------------------------

def test_strict_server_passes_every_case(strict):
    rc, cases, summary, _ = check(strict())
    assert results(cases, "fail") == set()
    assert results(cases, "non-strict") == set()
    assert results(cases, "info") == INFO
    assert rc == 0
    s = summary["summary"]
    assert s["cases"] == len(cases) == s["pass"] + s["info"]
    # the groups and the required cases are all there
    assert {o["group"] for o in cases.values()} == {
        "handshake", "echo", "control", "protocol", "utf8", "close", "info"}
    assert len([c for c in cases if c.startswith("2.")]) == 15
    assert len([c for c in cases if c.startswith("4.")]) == 16
    assert "median" in cases["8.1"]["observed"]
    assert "MiB/s" in cases["8.2"]["observed"]


@pytest.mark.parametrize("flag, failing", [
    ("accept-bad-utf8", {"5.1", "5.2"}),
    ("bogus-protocol", {"1.3", "1.4"}),
    ("no-pong", {"3.1", "3.2", "3.3"}),
    # 6.5 sends Close 1002 itself, so 1002 is its echo
    ("wrong-close", {"6.%d" % i for i in range(1, 14)} - {"6.5"}),
])
def test_broken_server_fails_exactly_its_cases(strict, flag, failing):
    rc, cases, summary, _ = check(strict(flag))
    assert results(cases, "fail") == failing, \
        {c: cases[c]["observed"] for c in results(cases, "fail") ^ failing
         if c in cases}
    assert rc == 1
    assert summary["summary"]["fail"] == len(failing)
    if flag == "no-pong":
        assert cases["3.1"]["observed"] == "nothing for 5 s (no Pong)"
        # a case that times out does not stop the next ones
        assert cases["3.4"]["result"] == "pass"


def test_compressed_text_not_utf8_once_inflated(strict):
    """7.8: compressed text whose inflated bytes are not UTF-8 must be
    failed with 1007 (the strict server does); a server that echoes it
    compressed is refused: wsc judges the inflated text it receives."""
    rc, cases, _, _ = check(strict("deflate"), "--deflate")
    assert cases["7.8"]["result"] == "pass", cases["7.8"]
    assert cases["7.8"]["observed"] == "Close 1007", cases["7.8"]
    rc, cases, _, _ = check(strict("deflate", "accept-bad-utf8"), "--deflate")
    assert cases["7.8"]["result"] == "fail", cases["7.8"]
    assert cases["7.8"]["observed"] == "an invalid frame from the server " \
        "(compressed text message that is not valid UTF-8)", cases["7.8"]
    assert rc == 1


def test_text_report_and_summary(strict):
    url = strict("bogus-protocol")
    r = run(["--check", url], timeout=100)
    assert r.returncode == 1
    out = r.stdout.decode().splitlines()
    assert out[0] == "wsc --check '%s': 75 cases, each on its own " \
        "connection" % url
    assert out[1] == "handshake"
    assert out[-1].startswith("summary: 68 pass, 0 non-strict, 2 fail, "
                              "5 info (75 cases in ")
    line = [l for l in out if l.startswith("  1.3 ")][0]
    assert "fail" in line and "Sec-WebSocket-Protocol 'bogus', never " \
        "offered" in line, line


GREEN, RED, RESET = "\033[32m", "\033[1;31m", "\033[0m"


def terminal_text(url, *args, env=None):
    """wsc --check with standard output a terminal; its lines."""
    e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    e.update({"TERM": "xterm-256color"}, **(env or {}))
    term = TerminalOutput()
    try:
        p = subprocess.Popen([WSC] + list(args) + ["--check", url], env=e,
                             stdin=subprocess.DEVNULL, stdout=term.slave,
                             stderr=subprocess.PIPE)
    finally:
        term.close_slave()
    out = term.done()
    assert p.wait(timeout=30) == 1, (p.returncode, p.stderr.read())
    p.stderr.close()
    return out.decode().replace("\r\n", "\n").split("\n")


@pytest.mark.parametrize("args, env, coloured", [
    ([], {}, True),
    ([], {"NO_COLOR": "1"}, False),
    (["--color=always"], {"NO_COLOR": "1"}, True),
    (["--color=never"], {}, False),
    (["--no-color"], {}, False),
    (["-j", "--color=always"], {}, False),
], ids=["auto", "NO_COLOR", "always-beats-NO_COLOR", "never", "no-color",
        "json"])
def test_verdicts_coloured_on_a_terminal(strict, args, env, coloured):
    """On a terminal the verdict words are coloured (pass green, fail red,
    info plain) as the rest of wsc colours: --color, NO_COLOR; never in
    -j objects. The columns after the verdict still line up."""
    lines = terminal_text(strict("bogus-protocol"), *args, env=env)
    text = "\n".join(lines)
    if not coloured:
        assert "\033" not in text, text[:2000]
        if "-j" in args:
            assert json.loads(lines[-2])["summary"]["fail"] == 2
        return
    fail = [l for l in lines if l.startswith("  1.3 ")][0]
    assert fail.startswith("  1.3    %sfail%s       subprotocols " % (RED, RESET)), \
        repr(fail)
    ok = [l for l in lines if l.startswith("  1.1 ")][0]
    assert ok.startswith("  1.1    %spass%s       " % (GREEN, RESET)), repr(ok)
    info = [l for l in lines if l.startswith("  8.1 ")][0]
    assert info.startswith("  8.1    info       "), repr(info)
    # the rest of each line is plain
    assert text.count("\033") == 2 * (68 + 2), text[:2000]


def test_verdicts_not_coloured_when_piped(strict):
    r = run(["--check", "--color=always", strict("bogus-protocol")],
            timeout=100)
    assert r.returncode == 1
    assert b"\033" not in r.stdout
    assert b"  1.3    fail       subprotocols " in r.stdout, r.stdout[:2000]


def test_server_that_dies_is_reported_not_fatal(strict):
    """The server exits after 5 connections: those cases run, the next one
    cannot connect, the rest are not run; the report still completes."""
    rc, cases, summary, _ = check(strict("exit-after=5"))
    assert rc == 1
    assert summary["summary"]["cases"] == 75
    assert all(cases["1.%d" % i]["result"] == "pass" for i in range(1, 6))
    assert cases["1.6"]["observed"].startswith("the connection ended") or \
        cases["1.6"]["observed"].startswith("no connection")
    assert cases["8.2"]["observed"].startswith("not run: the server "
                                               "stopped accepting")


def test_server_that_hangs_is_reported_not_fatal():
    """A server that accepts and never answers: two cases time out (5 s of
    silence each), the rest are not run; the report still completes."""
    def handler(conn):
        while conn.sock.recv(65536):
            pass
    with RawServer(handler) as srv:
        rc, cases, summary, _ = check(srv.url)
    assert rc == 1 and summary["summary"]["fail"] == 75
    assert cases["1.1"]["observed"] == "nothing for 5 s (no response)"
    assert cases["1.2"]["observed"] == "nothing for 5 s (no response)"
    assert cases["1.3"]["observed"].startswith("not run: the server "
                                               "stopped answering")


def test_unix_socket(strict, tmp_path):
    path = str(tmp_path / "s")
    strict("unix=" + path)
    rc, cases, _, _ = check("ws://localhost/", "--unix-socket", path)
    assert rc == 0 and results(cases, "fail") == set()


def test_through_connect_proxy(strict):
    url = strict()
    with ConnectProxy() as proxy:
        rc, cases, _, _ = check(url, "--proxy", proxy.url)
        assert rc == 0 and results(cases, "fail") == set()
        assert len(proxy.requests) == 75
        assert proxy.requests[0][0] == "CONNECT 127.0.0.1:%s HTTP/1.1" % \
            url.split(":")[2].rstrip("/")


def test_proxy_that_refuses_says_so_as_the_client_does(strict):
    with ConnectProxy(refuse="403 Forbidden") as proxy:
        line = one_line_instead_of_cases(strict(), "--proxy", proxy.url)
        assert len(proxy.requests) == 3     # the client's, then --check's
    assert line.startswith("wsc: proxy 127.0.0.1:%d refused to connect to "
                           % proxy.srv.port), line
    assert line.endswith(": HTTP 403 Forbidden"), line


def test_over_tls(pki):  # noqa: F811
    s = python_server("websockets_echo.py", "--tls", pki / "server.pem",
                      pki / "server.key")
    try:
        rc, cases, _, _ = check("wss://localhost:%d/" % s.port, "--ca",
                                str(pki / "ca.pem"))
        assert results(cases, "fail") == set() and rc == 0
        # an untrusted certificate: the client's one line, no cases
        url = "wss://localhost:%d/" % s.port
        line = one_line_instead_of_cases(url)
        assert "self-signed" in line or "unable to get local issuer" in \
            line, line
    finally:
        s.close()


def test_server_bytes_are_escaped():
    """A reason phrase and a Close reason with terminal escapes: the text
    report shows them escaped, never raw."""
    def handler(conn):
        conn.read_request()
        if conn.header("Sec-WebSocket-Key") and \
                conn.header("Sec-WebSocket-Version") == "13":
            conn.accept()
            conn.recv_frame()
            conn.send_close(1000, b"\x1b]0;owned\x07\x1b[2J")
        else:
            conn.send_raw(b"HTTP/1.1 400 \x1b[31mred\x9b\r\n"
                          b"Content-Length: 0\r\n\r\n")
    with RawServer(handler) as srv:
        r = run(["--check", srv.url], timeout=100)
    assert r.returncode == 1
    assert b"\x1b" not in r.stdout and b"\x07" not in r.stdout
    assert b"\x9b" not in r.stdout
    assert b"\\e]0;owned\\x07\\e[2J" in r.stdout, r.stdout


def test_connection_options_reach_every_request():
    """-s, -H, -o and --auth are in each case's request, and the Host is
    the client's: the URL's host and port."""
    seen = []

    def handler(conn):
        conn.read_request()
        seen.append(dict((k.lower(), v) for k, v in conn.headers))
        if len(seen) == 1:
            conn.accept()       # the first is accepted: the battery runs
        else:
            conn.send_raw(b"HTTP/1.1 403 Forbidden\r\n"
                          b"Content-Length: 0\r\n\r\n")
    with RawServer(handler) as srv:
        r = run(["--check", "-s", "chat", "-H", "X-Check: 1", "-o",
                 "http://o.example", "--auth", "u:p", srv.url], timeout=100)
    assert r.returncode == 1
    assert len(seen) == 75
    for h in seen:
        assert h["host"] == "127.0.0.1:%d" % srv.port
        assert h["x-check"] == "1" and h["origin"] == "http://o.example"
        assert h["authorization"] == "Basic dTpw"
    # -s is offered except where the case offers none (1.4)
    assert sum("sec-websocket-protocol" in h for h in seen) == 74
    assert b"offered; expected" in r.stdout and b"  1.3    fail       " \
        b"subprotocols chat offered" in r.stdout


def test_connect_timeout_counts_silence_before_tls():
    """A wss server that accepts TCP and never answers the TLS handshake:
    --connect-timeout 1 ends the first attempt, and no case is run."""
    def handler(conn):
        while conn.sock.recv(65536):
            pass
    with RawServer(handler) as srv:
        line = one_line_instead_of_cases(
            "wss://127.0.0.1:%d/" % srv.port, "--connect-timeout", "1", "-k")
    assert "timed out after 1 s connecting (--connect-timeout)" in line


# --- a server that cannot be reached: one line, as the client says it ------

def one_line_instead_of_cases(url, *args):
    """The plain client's line for url, then --check (text and -j): that
    same line alone on stderr, nothing on stdout, exit 1."""
    r = run(list(args) + [url], timeout=30)
    assert r.returncode == 1, r.stderr
    want = r.stderr.decode().splitlines()[-1]
    assert want.startswith("wsc: "), want
    for fmt in ([], ["-j"]):
        r = run(fmt + ["--check"] + list(args) + [url], timeout=30)
        assert (r.returncode, r.stdout) == (1, b""), r.stdout[:300]
        assert r.stderr.decode() == want + "\n", r.stderr
    return want


def test_closed_port_says_connection_refused():
    line = one_line_instead_of_cases("ws://127.0.0.1:%d/" % free_port())
    assert "connect failed: Connection refused" in line, line


def test_unresolvable_name_says_cannot_resolve():
    line = one_line_instead_of_cases("ws://wsc-check.invalid/")
    assert ": cannot resolve 'wsc-check.invalid': " in line, line


def test_handshake_refused_says_the_status():
    """A server answering 403 to every request: --check makes one
    connection (its first case's) and says what the client says."""
    def handler(conn):
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    with RawServer(handler) as srv:
        line = one_line_instead_of_cases(srv.url)
        assert len(srv.conns) == 3      # the client's, then one per --check
    assert line == "wsc: handshake rejected: HTTP 403 Forbidden"


def test_unauthorized_names_the_challenge_as_the_client_does():
    def handler(conn):
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: "
                      b"Basic realm=\"r\"\r\nContent-Length: 0\r\n\r\n")
    with RawServer(handler) as srv:
        line = one_line_instead_of_cases(srv.url)
    assert line == "wsc: handshake rejected: HTTP 401 Unauthorized " \
        "(WWW-Authenticate: Basic realm=\"r\"; try --auth)", line


def test_usage_errors():
    r = run(["--check", "-l", "0"])
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and "--check" in \
        r.stderr.decode()
    r = run(["--check"])
    assert r.returncode == 2


# --- independent servers -----------------------------------------------------

# name -> (how its echo server starts, permessage-deflate allowed; the
# cases it fails; its non-strict cases, None where not pinned down; the
# exit status of wsc --check)
LIBRARIES = {
    # non-strict 1.5: 400, not 426
    "python-websockets": ((python_server, "websockets_echo.py"), set(),
                          {"1.5"}, 0),
    # aiohttp takes an unmasked client frame
    "aiohttp": ((python_server, "aiohttp_echo.py", "--deflate"), {"4.16"},
                None, 1),
    # unmasked frames taken, invalid close codes echoed, and
    # server_no_context_takeover accepted without saying so
    "tornado": ((python_server, "tornado_echo.py", "--deflate"),
                {"4.16", "7.2"} | {"6.%d" % i for i in range(14, 23)}, None,
                1),
    "node-ws": ((node_server, "node_echo.js", "--deflate"), set(), None, 0),
}

# permessage-deflate cases a library answers non-strictly: tornado drops
# the connection without a Close on inflated text that is not UTF-8
DEFLATE_NON_STRICT = {"tornado": {"7.8"}}


@pytest.mark.parametrize("library", LIBRARIES)
def test_echo_server_of_library(library):
    (start, *argv), fails, non_strict, status = LIBRARIES[library]
    with start(*argv) as s:
        rc, cases, _, _ = check("ws://127.0.0.1:%d/" % s.port, "--deflate")
    assert results(cases, "fail") == fails
    if non_strict is not None:
        assert results(cases, "non-strict") == non_strict
    # permessage-deflate was agreed: its cases ran, and pass but for those
    # known to fail or to be answered non-strictly
    lax = DEFLATE_NON_STRICT.get(library, set())
    assert lax <= results(cases, "non-strict")
    assert DEFLATE_ALL - fails - lax <= results(cases, "pass")
    assert rc == status


def test_websocketd_cat(request, tmp_path):
    port = server_on_free_port(request, "websocketd", lambda p: [
        "websocketd", "--port=%d" % p, "--address=127.0.0.1",
        "--loglevel=error", "cat"], cwd=tmp_path)
    rc, cases, _, _ = check("ws://127.0.0.1:%d/" % port)
    # cat is line-based text: binary messages fail, invalid UTF-8 passes
    assert results(cases, "fail") == {"2.7", "2.8", "2.9", "2.10", "2.11",
                                      "2.12", "2.14", "5.1", "5.2", "8.2"}
    assert rc == 1


# the cases that need a server that echoes every message
ECHO_CASES = {"2.%d" % i for i in range(1, 16)} | {"3.3", "3.4", "8.1", "8.2"}
DEFLATE_ECHO_CASES = {"7.4", "7.5", "7.6", "7.7"}


def assert_echo_noticed_missing(rc, cases, stderr, deflate):
    """The first echo case waits out its silence; the other cases that need
    an echo are not run, said in one line; the rest run as usual."""
    echo = ECHO_CASES | (DEFLATE_ECHO_CASES if deflate else set())
    lines = stderr.decode().splitlines()
    assert lines == ["wsc: the server does not echo: no message came back "
                     "in case 2.1 in 5 s; the %d other cases that need an "
                     "echo are not run" % (len(echo) - 1)], stderr
    assert cases["2.1"]["observed"] == "nothing for 5 s (0 of 1 echoes)"
    not_run = {c for c, o in cases.items()
               if o["observed"] == "not run: the server does not echo"}
    assert not_run == echo - {"2.1"}
    assert echo <= results(cases, "fail")
    # only that one case waited for silence; the others ran
    assert [c for c, o in cases.items()
            if o["observed"].startswith("nothing for")] == ["2.1"]
    assert {"1.1", "3.1", "3.2", "4.1", "6.1"} <= results(cases, "pass")
    assert rc == 1


@contextlib.contextmanager
def wsc_listen(*flags):
    """wsc --listen on a free port, with these flags; yields the port."""
    port = free_port()
    proc = subprocess.Popen([os.environ.get("WSC", "wsc"), "-l",
                             "127.0.0.1:%d" % port] + list(flags),
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_listening(proc, port, what="wsc -l")
        yield port
    finally:
        finish(proc)


@pytest.mark.parametrize("deflate", [False, True])
def test_room_that_does_not_echo_is_noticed(deflate):
    """wsc --listen --plain without --echo is a room: a message goes to the
    other clients, none back to its sender."""
    flags = ["--deflate"] if deflate else []
    with wsc_listen("--plain", *flags) as port:
        rc, cases, _, stderr = check("ws://127.0.0.1:%d/" % port, *flags)
    assert_echo_noticed_missing(rc, cases, stderr, deflate)
    assert results(cases, "fail") == ECHO_CASES | \
        (DEFLATE_ECHO_CASES if deflate else set())


def test_script_that_never_answers_is_noticed(request, tmp_path):
    """websocketd with a script that reads every message and writes none."""
    port = server_on_free_port(request, "websocketd", lambda p: [
        "websocketd", "--port=%d" % p, "--address=127.0.0.1",
        "--loglevel=error", "sh", "-c", "cat >/dev/null"], cwd=tmp_path)
    rc, cases, _, stderr = check("ws://127.0.0.1:%d/" % port)
    assert_echo_noticed_missing(rc, cases, stderr, False)


@pytest.mark.parametrize("deflate", [False, True])
def test_wsc_listen_echo(tmp_path, deflate):
    """wsc's own server, on the codec: every case passes."""
    flags = ["--deflate"] if deflate else []
    with wsc_listen("--echo", *flags) as port:
        rc, cases, summary, _ = check("ws://127.0.0.1:%d/" % port, *flags)
    assert summary["summary"]["cases"] == (83 if deflate else 75)
    assert results(cases, "fail") == set()
    assert results(cases, "non-strict") == set()
    assert rc == 0
