"""Connecting to a name with several addresses: wsc tries them all, racing
them as Happy Eyeballs does (RFC 8305: the next one 250 ms after the last
started, or at once when it fails), so an address that refuses costs
milliseconds and one that never answers costs 250 ms, not
--connect-timeout. -v's timing line and the failure line name each address
tried and what came of it.

Each test gives wsc a hosts file of its own: wsc runs under `unshare -m`
with the file bound over /etc/hosts (and, to choose the order getaddrinfo
returns, a gai.conf over /etc/gai.conf: glibc sorts the answers by RFC 6724
whatever the hosts file's order). Without unshare or the right to mount,
the tests fail: they do not skip.

An address that silently drops SYNs, deterministically and without
sending anything off the machine: a private network namespace (unshare -n)
with only lo, where 198.51.100.0/24 (TEST-NET-2) is routed to lo; a SYN to
198.51.100.7 comes back in on lo for an address that is not local, and the
namespace does not forward, so it is dropped. The echo server runs in the
same namespace on 127.0.0.1 and wsc joins it with nsenter.
test_silent_address_really_drops checks that this address hangs rather
than refusing."""
import os
import re
import subprocess
import time

import pytest

from harness import (PYTHON, HERE, WSC, ServerProcess, free_port,
                     in_private_etc, read_line, run, finish)
from test_redirect_proxy_unix import ConnectProxy
from wsproto import RawServer, echo_handler

ECHO = os.path.join(HERE, "servers", "websockets_echo.py")
NAME = "wsc-multi.test"
SILENT = "198.51.100.7"
LIMIT = 1.0     # seconds from CONNECTING to the first echo

# glibc's default precedence table (a gai.conf with any precedence line
# replaces it whole), to which gai_first() adds a prefix ranked above all
GAI_DEFAULT = ["::1/128 50", "::/0 40", "2002::/16 30", "::/96 20",
               "::ffff:0:0/96 10"]


def gai_first(prefix):
    return "".join("precedence %s\n" % p for p in [prefix + " 100"] +
                   GAI_DEFAULT)


def echo_server(address):
    """python3-websockets echo on one address only (127.0.0.1 or ::1)."""
    return ServerProcess([PYTHON, ECHO, "--bind", address])


def silent_namespace_server():
    """The echo server on 127.0.0.1 inside a new network namespace where
    198.51.100.0/24 leads nowhere (see the module's comment)."""
    return ServerProcess(["unshare", "-n", "sh", "-c",
                          "ip link set lo up && "
                          "ip route add 198.51.100.0/24 dev lo && "
                          'exec "$@"', "sh", PYTHON, ECHO,
                          "--bind", "127.0.0.1"])


def wsc_argv(tmp_path, hosts, args, gai=None, netns_of=None):
    """wsc where /etc/hosts is `hosts` (and /etc/gai.conf `gai`), in
    netns_of's network namespace if given."""
    etc = {"/etc/hosts": tmp_path / "hosts"}
    etc["/etc/hosts"].write_text(hosts)
    if gai is not None:
        etc["/etc/gai.conf"] = tmp_path / "gai.conf"
        etc["/etc/gai.conf"].write_text(gai)
    return in_private_etc([WSC] + list(args), etc,
                          netns_of.proc.pid if netns_of else None)


def first_echo(argv):
    """Start wsc -v, send one line and time its echo from wsc's CONNECTING
    line (so the time to start a process, under a sanitizer on a busy
    machine, does not count); then end input and return (seconds to the
    echo, exit status, stderr lines)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"hello\n")
        p.stdin.flush()
        try:
            first = read_line(p.stderr, 10, what="wsc's first line")
            t0 = time.monotonic()
            assert " CONNECTING (0): " in first, first
            line = read_line(p.stdout, 10, what="wsc's echo")
        except AssertionError:
            raise AssertionError("no echo: %r" % finish(p)[2])
        took = time.monotonic() - t0
        assert line == "hello"
        p.stdin.close()
        p.stdin = None          # communicate() is not to flush it
        _, err = p.communicate(timeout=10)
    finally:
        finish(p)
    return took, p.returncode, [first] + err.decode().splitlines()


def timing(lines):
    found = [l for l in lines if l.startswith("* timing:")]
    assert len(found) == 1, lines
    return found[0]


def attempts(line):
    """The list in a timing line: "tcp 1.2 ms (A; B)" -> [A, B]."""
    m = re.search(r", tcp \d+\.\d+ ms \(([^()]*)\), ", line)
    assert m, line
    return m.group(1).split("; ")


@pytest.mark.parametrize("refused,server,gai", [
    ("::1", "127.0.0.1", None),
    # gai.conf ranks 127.0.0.1 first
    ("127.0.0.1", "::1", gai_first("::ffff:0:0/96")),
], ids=["ipv6-refused-then-ipv4", "ipv4-refused-then-ipv6"])
def test_refused_address_then_the_next(tmp_path, refused, server, gai):
    """The name's first address refuses (nothing listens there), the
    server listens on its second only: wsc goes on to it at once."""
    with echo_server(server) as srv:
        took, rc, err = first_echo(wsc_argv(
            tmp_path, "%s %s\n%s %s\n" % (refused, NAME, server, NAME),
            ["-v", "ws://%s:%d/" % (NAME, srv.port)], gai=gai))
    assert rc == 0, err
    assert took < LIMIT, (took, err)
    assert attempts(timing(err)) == [
        "%s port %d: Connection refused" % (refused, srv.port),
        "%s port %d: connected" % (server, srv.port)]


def test_localhost_with_debian_hosts(tmp_path):
    """Debian's stock /etc/hosts names localhost ::1 as well; getaddrinfo
    gives ::1 first. A server on 127.0.0.1 only is reached at once."""
    hosts = ("127.0.0.1\tlocalhost\n"
             "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
             "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n")
    with echo_server("127.0.0.1") as srv:
        took, rc, err = first_echo(wsc_argv(
            tmp_path, hosts, ["-v", "ws://localhost:%d/" % srv.port]))
    assert rc == 0, err
    assert took < LIMIT, (took, err)
    assert attempts(timing(err)) == [
        "::1 port %d: Connection refused" % srv.port,
        "127.0.0.1 port %d: connected" % srv.port]


def test_silent_address_then_loopback(tmp_path):
    """The first address never answers: the second starts 250 ms later and
    wins; the first is dropped."""
    with silent_namespace_server() as srv:
        took, rc, err = first_echo(wsc_argv(
            tmp_path, "%s %s\n127.0.0.1 %s\n" % (SILENT, NAME, NAME),
            ["-v", "ws://%s:%d/" % (NAME, srv.port)],
            gai=gai_first("::ffff:%s/128" % SILENT), netns_of=srv))
    assert rc == 0, err
    assert took < LIMIT, (took, err)
    assert attempts(timing(err)) == [
        "%s port %d: no answer" % (SILENT, srv.port),
        "127.0.0.1 port %d: connected" % srv.port]


def test_silent_address_really_drops(tmp_path):
    """Control for the test above: the silent address alone is neither
    refused nor unreachable; --connect-timeout ends the wait, and the
    failure line names it."""
    with silent_namespace_server() as srv:
        argv = wsc_argv(tmp_path, "%s %s\n" % (SILENT, NAME),
                        ["--connect-timeout", "0.5",
                         "ws://%s:%d/" % (NAME, srv.port)], netns_of=srv)
        t0 = time.monotonic()
        r = subprocess.run(argv, input=b"", capture_output=True, timeout=20)
        took = time.monotonic() - t0
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode() == ("wsc: ws://%s:%d/: timed out after 0.5 s "
                                 "connecting (--connect-timeout)\n"
                                 % (NAME, srv.port))
    assert took >= 0.5


def test_silent_addresses_time_out_naming_each(tmp_path):
    """Every address silent: --connect-timeout bounds the whole connect,
    and its line names each address tried."""
    with silent_namespace_server() as srv:
        argv = wsc_argv(tmp_path, "%s %s\n198.51.100.8 %s\n"
                        % (SILENT, NAME, NAME),
                        ["--connect-timeout", "0.6",
                         "ws://%s:%d/" % (NAME, srv.port)], netns_of=srv)
        r = subprocess.run(argv, input=b"", capture_output=True, timeout=20)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    m = re.match(r"wsc: ws://%s:%d/: timed out after 0\.6 s connecting "
                 r"\((.*)\) \(--connect-timeout\)$"
                 % (re.escape(NAME), srv.port), lines[0])
    assert m, lines
    assert sorted(m.group(1).split("; ")) == [
        "%s port %d: no answer" % (a, srv.port)
        for a in (SILENT, "198.51.100.8")]


def test_all_refuse_names_each_address(tmp_path):
    port = free_port()
    r = subprocess.run(wsc_argv(tmp_path, "::1 %s\n127.0.0.1 %s\n"
                                % (NAME, NAME),
                                ["ws://%s:%d/" % (NAME, port)]),
                       input=b"hi\n", capture_output=True, timeout=20)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode() == (
        "wsc: ws://%s:%d/: connect failed: ::1 port %d: Connection "
        "refused; 127.0.0.1 port %d: Connection refused\n"
        % (NAME, port, port, port))
    assert r.stdout == b""


def test_proxy_name_raced_too(tmp_path):
    """--proxy by a name that resolves to ::1 first, the proxy listening
    on 127.0.0.1 only: the proxy is reached at once."""
    with RawServer(echo_handler) as echo, ConnectProxy() as proxy:
        took, rc, err = first_echo(wsc_argv(
            tmp_path, "::1 %s\n127.0.0.1 %s\n" % (NAME, NAME),
            ["-v", "--proxy", "http://%s:%d" % (NAME, proxy.srv.port),
             echo.url]))
        assert len(proxy.requests) == 1
    assert rc == 0, err
    assert took < LIMIT, (took, err)
    assert attempts(timing(err)) == [
        "::1 port %d: Connection refused" % proxy.srv.port,
        "127.0.0.1 port %d: connected" % proxy.srv.port]


def test_unresolvable_proxy_names_the_proxy():
    """The name that did not resolve is the proxy's, and the line says
    so (not the URL's host, which wsc never resolves with --proxy)."""
    r = run(["--proxy", "http://nonexistent.invalid:8080",
             "ws://127.0.0.1:1/"], input="", timeout=20)
    assert r.returncode == 1, r.stderr
    prefix = ("wsc: ws://127.0.0.1:1/: cannot resolve "
              "'nonexistent.invalid': ")
    line = r.stderr.decode()
    assert line.startswith(prefix) and line.endswith("\n"), line
    assert len(line.splitlines()) == 1 and len(line) > len(prefix) + 1


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_one_address_keeps_the_plain_timing_line(tmp_path, address):
    """Control: one address, nothing raced, the timing line as before."""
    with echo_server(address) as srv:
        _, rc, err = first_echo(wsc_argv(
            tmp_path, "%s %s\n" % (address, NAME),
            ["-v", "ws://%s:%d/" % (NAME, srv.port)]))
    assert rc == 0, err
    assert re.match(r"^\* timing: dns \d+\.\d+ ms, tcp \d+\.\d+ ms, "
                    r"handshake \d+\.\d+ ms$", timing(err)), err
