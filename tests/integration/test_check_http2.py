"""wsc --check --http2: the RFC 6455 cases over RFC 8441 streams, and the
http2 group (9.x, RFC 8441 itself), against HAProxy's HTTP/2 front end
(TLS, ALPN h2) in front of python3-websockets, whose RFC 6455 verdicts are
those of python3-websockets checked directly over HTTP/1.1, and against
Node's http2 module (servers/node_h2_echo.js, h2c), whose frame-by-frame
echo is no RFC 6455 endpoint: its verdicts are pinned as they are."""
import os
import re

import pytest

from harness import python_server, run
from test_check import INFO, check, results
from test_http2 import cert, haproxy, node_h2  # noqa: F401 - fixtures
from test_redirect_proxy_unix import short_dir  # noqa: F401 - the fixture

# run over HTTP/1.1 only: they judge the Upgrade, which HTTP/2 does not have
HTTP1_ONLY = {"1.1", "1.2", "1.6"}
HTTP2_CASES = {"9.%d" % i for i in range(1, 7)}


# what both servers answer in the http2 group: the malformed CONNECTs
# reset, the early one taken
BOTH = {
    "9.1": ("pass", "SETTINGS_ENABLE_CONNECT_PROTOCOL=1"),
    "9.3": ("pass", "the server reset the HTTP/2 stream (RST_STREAM "
            "PROTOCOL_ERROR)"),
    "9.4": ("pass", "the server reset the HTTP/2 stream (RST_STREAM "
            "PROTOCOL_ERROR)"),
    "9.5": ("info", "HTTP 200"),
}


def observed(cases, ids):
    return {c: (cases[c]["result"], cases[c]["observed"]) for c in ids}


def test_haproxy_verdicts_are_those_over_http1(haproxy):  # noqa: F811
    port, _ = haproxy
    rc, cases, summary, err = check("wss://127.0.0.1:%d/" % port, "-k",
                                    "--deflate", "--http2")
    with python_server("websockets_echo.py") as s:
        _, direct, _, _ = check("ws://127.0.0.1:%d/" % s.port, "--deflate")
    assert set(cases) == set(direct) - HTTP1_ONLY | HTTP2_CASES
    assert {c: o["result"] for c, o in cases.items() if c in direct} == \
        {c: o["result"] for c, o in direct.items() if c in cases}
    assert {o["group"] for c, o in cases.items() if c in HTTP2_CASES} == \
        {"http2"}
    # HAProxy passes the backend's Sec-WebSocket-Accept on, and ends the
    # stream after the Close exchange with RST_STREAM CANCEL
    got = observed(cases, HTTP2_CASES)
    accept = got.pop("9.2")
    assert accept[0] == "non-strict"
    assert re.fullmatch(r"200 with Sec-WebSocket-Accept '[A-Za-z0-9+/]{27}=' "
                        r"\(not used over HTTP/2\)", accept[1]), accept
    assert got == dict(BOTH, **{
        "9.6": ("non-strict", "Close 1000, then the server reset the HTTP/2 "
                "stream (RST_STREAM CANCEL)"),
    })
    assert results(cases, "non-strict") == {"1.5", "9.2", "9.6"}
    assert results(cases, "fail") == set()
    assert results(cases, "info") == INFO | {"9.5"}
    assert summary["summary"]["cases"] == 86
    assert rc == 0
    assert err == b""


# what the Node server's echo does not do: it echoes frame by frame (no
# reassembly, no UTF-8 check), answers a Ping of any size or fragmented,
# takes reserved bits and opcodes, and echoes any Close code
NODE_FAILS = ({"2.13", "2.14", "2.15", "3.3", "3.5", "3.6", "3.7"} |
              {"4.%d" % i for i in range(1, 16)} | {"5.1", "5.2", "5.3"} |
              {"6.%d" % i for i in range(14, 23)})


def test_node_h2c():
    with node_h2("echo") as srv:
        rc, cases, summary, err = check("ws://127.0.0.1:%d/" % srv.port,
                                        "--http2")
    assert results(cases, "fail") == NODE_FAILS
    # it resets the stream on an unmasked frame: no Close
    assert results(cases, "non-strict") == {"1.5", "4.16"}
    assert results(cases, "info") == INFO | {"9.5"}
    assert observed(cases, HTTP2_CASES) == dict(BOTH, **{
        "9.2": ("pass", "200 without Sec-WebSocket-Accept"),
        "9.6": ("pass", "Close 1000, END_STREAM both ways"),
    })
    assert HTTP1_ONLY.isdisjoint(cases)
    assert summary["summary"]["cases"] == 78
    assert rc == 1
    assert err == b""


def test_over_a_unix_socket(short_dir):  # noqa: F811
    """The CONNECT sent before the SETTINGS goes out even when the socket
    is connected before wsc has its HTTP/2 session in hand."""
    path = os.path.join(short_dir, "h2.sock")
    with node_h2("echo", unix=path) as srv:
        rc, cases, _, err = check("ws://example.invalid/", "--http2",
                                  "--unix-socket", path)
    assert observed(cases, {"9.5", "9.6"}) == {
        "9.5": ("info", "HTTP 200"),
        "9.6": ("pass", "Close 1000, END_STREAM both ways"),
    }
    assert results(cases, "fail") == NODE_FAILS
    assert rc == 1


def test_http2_cases_only_with_http2(haproxy):  # noqa: F811
    """Over HTTP/1.1 (the h1 port: ALPN http/1.1) the http2 group is not
    run, the Upgrade's cases are."""
    _, h1port = haproxy
    rc, cases, _, _ = check("wss://127.0.0.1:%d/" % h1port, "-k")
    assert HTTP2_CASES.isdisjoint(cases)
    assert HTTP1_ONLY <= results(cases, "pass")
    assert rc == 0


@pytest.mark.parametrize("mode, line", [
    ("noconnect", "the server's HTTP/2 SETTINGS do not enable the extended "
     "CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL=1, RFC 8441): it takes no "
     "WebSocket over HTTP/2; drop --http2"),
    ("refuse", "handshake rejected: HTTP 403 Forbidden"),
])
def test_no_websocket_over_http2_is_the_clients_one_line(mode, line):
    """No case is listed: the first one's failure is said as the client
    says it (as without --http2)."""
    with node_h2(mode) as srv:
        url = "ws://127.0.0.1:%d/" % srv.port
        r = run(["--check", "--http2", url])
    assert r.returncode == 1
    assert r.stdout == b""
    want = line if mode == "refuse" else "%s: %s" % (url, line)
    assert r.stderr.decode() == "wsc: %s\n" % want


def test_alpn_http1_is_the_clients_one_line(haproxy):  # noqa: F811
    _, h1port = haproxy
    r = run(["--check", "--http2", "-k", "wss://127.0.0.1:%d/" % h1port])
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr.decode() == (
        "wsc: wss://127.0.0.1:%d/: the server did not agree to HTTP/2 "
        "(ALPN chose http/1.1); drop --http2\n" % h1port)
