"""tools/try, the README's first command, on a real terminal (tmux): the
start hints, Ctrl-C on a half-typed line clears the line and the room stays
up, and a taken port is explained and stops it (exit 1) without connecting
to whatever holds the port; tools/deps, which tools/try runs, refuses an
option it does not know. WSC_TRY_NO_BUILD skips tools/deps --build and the
build; the port is chosen per test, never 8081."""
import os
import re
import socket
import subprocess

from harness import ROOT, WSC, free_port, read_line, spawn, finish
from tty import Tmux

TRY = os.path.join(ROOT, "tools", "try")


class TryTmux(Tmux):
    """Tmux running tools/try instead of wsc."""

    def __init__(self, args, env):
        e = {"WSC_TRY_NO_BUILD": "1", "WSC_TRY_WSC": WSC}
        e.update(env)
        super().__init__(args, e, width=100, height=30, program=TRY)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_hints_and_ctrl_c_clears_the_line(tmp_path):
    port = free_port()
    url = "ws://127.0.0.1:%d/" % port
    env = {"WSC_TRY_PORT": str(port), "XDG_STATE_HOME": str(tmp_path)}
    with TryTmux([], env) as t:
        screen = t.wait_prompt(timeout=30)
        # how to join (browser, second terminal), /help, how to quit
        assert "http://127.0.0.1:%d/" % port in screen, screen
        join = "%s %s" % (os.path.realpath(WSC), url)
        assert join in screen.replace("\n", ""), screen
        assert "/help" in screen and "Ctrl-D" in screen, screen
        peer = spawn([url])     # the second terminal, on pipes
        try:
            # a chat room: the terminal is guest-1, the peer guest-2
            assert read_line(peer.stdout, 20, "peer") == (
                "* you are guest-2; send /nick NAME to change your name")
            t.wait_text("< * guest-2 joined")
            t.type("half typed")
            t.wait_text("> half typed")
            t.keys("C-c")
            t.wait(lambda s: "half typed" not in s and
                   re.search(r"^> *$", s, re.M), what="the line cleared")
            # the session goes on: messages cross the room both ways
            t.type("after ctrl-c")
            t.keys("Enter")
            assert read_line(peer.stdout, 20, "peer") == \
                "guest-1: after ctrl-c"
            peer.stdin.write(b"hello terminal\n")
            peer.stdin.flush()
            t.wait_text("< guest-2: hello terminal")
        finally:
            peer.stdin.close()
            finish(peer)
        t.keys("C-d")
        assert t.exit_status(timeout=20) == 0
    # the room went with the session
    assert refused(port)


def test_port_taken_is_explained_and_stops(tmp_path):
    """Something else (here a plain TCP listener) holds the port: tools/try
    names it and how to choose another port, exits 1, and never connects
    to it (before, it went on and printed that server's HTML)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(8)
    port = holder.getsockname()[1]
    try:
        res = subprocess.run(
            [TRY, str(port)], capture_output=True, text=True, timeout=30,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "WSC_TRY_NO_BUILD": "1", "WSC_TRY_WSC": WSC,
                 "XDG_STATE_HOME": str(tmp_path)})
        assert res.returncode == 1, res
        assert "cannot listen" in res.stderr, res.stderr
        assert "port %d is taken by python3 (pid %d)" % (
            port, os.getpid()) in res.stderr, res.stderr
        assert "WSC_TRY_PORT=" in res.stderr, res.stderr
        assert res.stdout == "", res.stdout
        # no connection is waiting in the holder's backlog
        holder.setblocking(False)
        try:
            conn, _ = holder.accept()
            conn.close()
            raise AssertionError("tools/try connected to the port's holder")
        except BlockingIOError:
            pass
    finally:
        holder.close()


def test_bad_port_is_a_usage_error():
    res = subprocess.run([TRY, "80a"], capture_output=True, text=True,
                         timeout=20, env={**os.environ,
                                          "WSC_TRY_NO_BUILD": "1"})
    assert res.returncode == 2, res
    assert res.stderr == ("tools/try: the port must be a number from 1 to "
                          "65535\n"), res.stderr


def test_deps_refuses_an_unknown_option():
    """tools/deps knows --build (what tools/try installs) and nothing else:
    anything else is a usage error before apt is asked for anything."""
    deps = os.path.join(ROOT, "tools", "deps")
    res = subprocess.run([deps, "--test"], capture_output=True, text=True,
                         timeout=20, stdin=subprocess.DEVNULL)
    assert res.returncode == 2, res
    assert res.stderr == "usage: tools/deps [--build]\n", res.stderr
    assert res.stdout == "", res.stdout
