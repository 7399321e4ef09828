"""The interactive REPL on a real terminal (tmux): pushes print above the
prompt while the typed line survives, history, slash commands, Ctrl-C and
Ctrl-D, terminal-safe output, the terminal restored on every exit."""
import contextlib
import os
import re
import socket
import stat
import subprocess
import threading
import time

import pytest

from harness import WSC, free_port
from test_listen import raw_connect, send_close, send_text
from tty import Pty, Tmux
from wsproto import RawServer, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG


class Recorder:
    """Accept, then record every frame the client sends; answer Close. A
    Ping like the one wsc sends at the end of piped input is answered and
    kept apart, in end_pings (the REPL sends none). With answer_pings every
    Ping is answered and kept in pings instead of frames."""

    def __init__(self, greeting=None, reply=None, answer_pings=False):
        self.reply = reply      # reply(conn, data) after each data message
        self.answer_pings = answer_pings
        self.pings = []
        self.frames = []
        self.end_pings = []
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.greeting = greeting
        self.conn = None

    def __call__(self, conn):
        self.conn = conn
        conn.read_request().accept()
        if self.greeting:
            conn.send_frame(OP_TEXT, self.greeting)
        self.opened.set()
        while True:
            fin, op, data = conn.recv_frame()
            if op == OP_PING and data.startswith(b"wsc end "):
                self.end_pings.append(len(self.frames))
                conn.send_frame(OP_PONG, data)
                continue
            if op == OP_PING and self.answer_pings:
                self.pings.append(data)
                conn.send_frame(OP_PONG, data)
                continue
            self.frames.append((op, data))
            if op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, data[:2])
                self.closed.set()
                return
            if self.reply and op in (OP_TEXT, OP_BINARY):
                self.reply(conn, data)

    def data(self):
        return [(op, d) for op, d in self.frames if op != OP_CLOSE]


@pytest.fixture
def state_dir(tmp_path):
    return str(tmp_path / "state")


def start(srv, state_dir, *extra):
    return Tmux(list(extra) + [srv.url],
                env={"XDG_STATE_HOME": state_dir})


def test_push_while_typing_keeps_the_line(state_dir):
    """A push every 20 ms while a 40-character line is typed key by key
    with cursor movement in the middle."""
    rec, stop, pushed = Recorder(), threading.Event(), []
    handler = _pushing_handler(rec, stop, pushed)

    with RawServer(handler) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        rec.opened.wait(5)
        t.type("The quick brown fox jumps over the dog")   # 38 chars
        t.keys("Left", "Left", "Left")
        t.type("lazy ")                                     # before "dog"
        t.keys("End")
        t.type("!!")
        t.wait(lambda s: "< push 5" in s, what="pushes while typing")
        t.keys("Enter")
        t.wait_text("< done")
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    intended = "The quick brown fox jumps over the lazy dog!!"
    assert len(intended) >= 40
    assert [d for op, d in rec.data()] == [intended.encode()]
    lines = [l.rstrip() for l in screen.split("\n")]
    pushes = [l for l in lines if l.startswith("< push ")]
    assert pushes == ["< push %d" % i for i in pushed], screen
    assert "> " + intended in lines, screen
    # nothing typed leaked into a push line, no push into the typed line
    for l in lines:
        if l.startswith("< push"):
            assert re.fullmatch(r"< push \d+", l), l


def test_history_survives_restart_and_is_private(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv:
        with start(srv, state_dir) as t:
            t.wait_prompt()
            t.type("remember me")
            t.keys("Enter")
            t.keys("C-d")
            assert t.exit_status() == 0
        assert rec.data() == [(OP_TEXT, b"remember me")], rec.frames
        path = os.path.join(state_dir, "wsc", "history")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert "remember me" in open(path).read()
        rec2 = Recorder()
        srv.handler = rec2
        with start(srv, state_dir) as t:
            t.wait_prompt()
            # open first: this test is about history; lines typed before
            # the connection opens have their own test
            t.wait_text("connected;")
            t.keys("Up")
            t.wait_text("> remember me")
            t.keys("Enter")
            t.keys("C-d")
            assert t.exit_status() == 0
            screen = t.screen(history=True)
    assert rec2.data() == [(OP_TEXT, b"remember me")], (rec2.frames,
                                                         srv.errors, screen)


def test_no_history_writes_nothing(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir, "--no-history") as t:
        t.wait_prompt()
        t.type("secret")
        t.keys("Enter", "C-d")
        assert t.exit_status() == 0
    assert not os.path.exists(os.path.join(state_dir, "wsc", "history"))


def test_slash_commands(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        for line in ["/ping hi", "/pong yo", "/binary 00 ff 10",
                     "//slash", "/binary 0", "/close 99", "/nope"]:
            t.type(line)
            t.keys("Enter")
        t.wait_text("unknown command")
        t.type("/state")
        t.keys("Enter")
        t.wait(lambda s: re.search(r"OPEN \(1\) ws://.*sent 2", s),
               what="/state line")
        t.type("/help")
        t.keys("Enter")
        t.wait_text("/quit")
        t.type("/close 4000 bye now")
        t.keys("Enter")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    # /close says what it does; a /ping nobody answered says nothing
    assert ('wsc: closing with 4000 "bye now"; Ctrl-C or Ctrl-D quits at '
            'once') in screen, screen
    assert "wsc: pong" not in screen, screen
    assert "odd number of hex digits" in screen
    assert "/close: code must be" in screen
    assert rec.frames == [
        (OP_PING, b"hi"), (OP_PONG, b"yo"), (OP_BINARY, b"\x00\xff\x10"),
        (OP_TEXT, b"/slash"), (OP_CLOSE, b"\x0f\xa0bye now")]


def test_quit_closes_as_ctrl_d_does(state_dir):
    """/quit is Ctrl-D: Close 1000 right after the line typed (no
    end-of-input Ping), said in one line; a reply the server sends 50 ms
    after the message, before it answers the Close, is printed."""
    def slow_reply(conn, data):
        threading.Event().wait(0.05)    # the server is slow to answer
        conn.send_frame(OP_TEXT, b"late reply")

    rec = Recorder(reply=slow_reply)

    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.type("question")
        t.keys("Enter")
        t.type("/quit")
        t.keys("Enter")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert "< late reply" in screen, screen
    assert CLOSING in screen, screen
    assert rec.end_pings == [], rec.frames
    assert rec.frames == [(OP_TEXT, b"question"), (OP_CLOSE, b"\x03\xe8")]


def test_tab_completes_commands(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("/bin")
        t.keys("Tab")
        t.type("41")
        t.wait_text("> /binary 41")
        t.keys("Enter", "C-d")
        assert t.exit_status() == 0
    assert rec.data() == [(OP_BINARY, b"A")]


def test_ctrl_c_clears_line_then_closes(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("half typed")
        t.wait_text("> half typed")
        t.keys("C-c")
        t.wait(lambda s: "half typed" not in s, what="line cleared")
        t.keys("C-c")
        assert t.exit_status() == 0
    assert rec.data() == []
    assert rec.frames[-1] == (OP_CLOSE, b"\x03\xe8")


def _input_line(screen):
    """The line being typed: the last non-empty line on the screen."""
    return [l.rstrip() for l in screen.split("\n") if l.strip()][-1]


@pytest.mark.parametrize("steps", [
    [("Up", "second")],
    [("Up", "second"), ("zz", "secondzz")],
    [("Up", "second"), ("zz", "secondzz"), ("Up", "first"), ("y", "firsty")],
    [("new", "new"), ("Up", "second")],
], ids=["recalled", "edited", "two-edited", "typed-then-recalled"])
def test_ctrl_c_on_a_recalled_entry_keeps_history(state_dir, steps):
    """Up, perhaps edits, Ctrl-C, then a new line: the recalled entries
    stay as they were, in memory (Up shows them) and in the history file."""
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.wait_text("connected;")
        for line in ("first", "second"):
            t.type(line)
            t.keys("Enter")
        for key, shown in steps:
            if key == "Up":
                t.keys("Up")
            else:
                t.type(key)
            t.wait(lambda s: _input_line(s) == "> " + shown,
                   what="%r shown" % shown)
        t.keys("C-c")
        t.wait(lambda s: _input_line(s) == ">", what="line cleared")
        t.type("third")
        t.keys("Enter")
        for want in ("third", "second", "first"):
            t.keys("Up")
            t.wait(lambda s: _input_line(s) == "> " + want,
                   what="Up shows %r" % want)
        t.keys("C-c")
        t.wait(lambda s: _input_line(s) == ">", what="line cleared")
        t.keys("C-d")
        assert t.exit_status() == 0
    assert [d for op, d in rec.data()] == [b"first", b"second", b"third"]
    with open(os.path.join(state_dir, "wsc", "history")) as f:
        kept = [l for l in f.read().split("\n") if l and l[0] != "#"]
    assert kept == ["first", "second", "third"]


CLOSING = "wsc: closing with 1000; Ctrl-C or Ctrl-D quits at once"


def test_ctrl_d_closes_1000(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert rec.frames == [(OP_CLOSE, b"\x03\xe8")]
    # a person has seen the replies: no end-of-input Ping, no quiet spell
    assert rec.end_pings == []
    lines = [l.rstrip() for l in screen.split("\n")]
    assert lines.count(CLOSING) == 1, screen


def test_ctrl_d_keeps_a_late_reply(state_dir):
    """A reply the server sends 50 ms after reading the line, before it
    answers the Close that came right after the line, is still printed."""
    got = {}

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        got["close"] = conn.recv_frame()[1:]
        threading.Event().wait(0.05)
        conn.send_frame(OP_TEXT, b"late " + data)
        conn.send_frame(OP_CLOSE, b"\x03\xe8")

    with RawServer(handler) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("question")
        t.wait_text("> question")
        t.keys("Enter", "C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert got["close"] == (OP_CLOSE, b"\x03\xe8")
    assert "< late question" in screen, screen


def test_ctrl_d_closes_promptly_while_the_server_pushes(state_dir):
    """A server that pushes a message every 50 ms never goes quiet: Ctrl-D
    still sends its Close at once (the pushes go on until the server
    answers it) and wsc exits on the answer; with -P no Pong of a Ping
    the person never sent is shown."""
    rec = Recorder()
    stop = threading.Event()
    pushed = []
    closed_at = []

    def handler(conn):
        def pusher():
            i = 0
            while not stop.wait(0.05):
                conn.send_frame(OP_TEXT, "push %d" % i)
                pushed.append(i)
                i += 1
        conn.read_request().accept()
        t = threading.Thread(target=pusher, daemon=True)
        t.start()
        while True:
            fin, op, data = conn.recv_frame()
            rec.frames.append((op, data))
            if op == OP_PING:
                conn.send_frame(OP_PONG, data)
            if op == OP_CLOSE:
                closed_at.append(len(pushed))
                stop.set()
                t.join()
                conn.send_frame(OP_CLOSE, data[:2])
                return

    with RawServer(handler) as srv, start(srv, state_dir, "-P") as t:
        t.wait_text("< push 2")
        t.keys("C-d")
        t.wait_text(CLOSING)
        # the old end-of-input rule waited up to 10 s for a quiet spell
        assert t.exit_status(timeout=5) == 0
        screen = t.screen(history=True)
    assert rec.frames == [(OP_CLOSE, b"\x03\xe8")]
    assert "wsc: pong" not in screen, screen
    assert closed_at and closed_at[0] >= 3


@contextlib.contextmanager
def _stalled(state_dir, accept, *args):
    """wsc on a terminal against a server that (accepts, reads one
    message, sets heard, then) says nothing more while the test runs."""
    release = threading.Event()
    heard = threading.Event()

    def handler(conn):
        conn.read_request()
        if accept:
            conn.accept()
            conn.recv_message()
            heard.set()
        release.wait(30)

    try:
        with RawServer(handler) as srv, start(srv, state_dir, *args) as t:
            t.heard = heard
            yield t
    finally:
        release.set()


def test_ctrl_d_exits_soon_after_the_answer(state_dir):
    """The server answers the Close but keeps TCP open: at the prompt wsc
    does not wait --close-timeout (60 s here) for it, about a second of
    silence after the answer ends it, with status 0."""
    release = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        op, data = conn.recv_message()
        conn.send_frame(OP_CLOSE, data[:2])
        release.wait(30)

    try:
        with RawServer(handler) as srv, \
                start(srv, state_dir, "--close-timeout", "60") as t:
            t.wait_prompt()
            t.wait_text("connected;")
            t.keys("C-d")
            assert t.exit_status(timeout=10) == 0
    finally:
        release.set()


def test_second_ctrl_d_quits_at_once(state_dir):
    """The server never answers the Close: a line typed meanwhile is said
    not sent, and a second Ctrl-D does not wait for --close-timeout (60 s
    here), it quits at once as Ctrl-C does."""
    with _stalled(state_dir, True, "--close-timeout", "60") as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.keys("C-d")
        t.wait_text(CLOSING)
        assert t.heard.wait(10)
        t.type("too late")
        t.keys("Enter")
        t.wait_text("wsc: closing: that line is not sent; Ctrl-C or Ctrl-D "
                    "quits at once")
        t.keys("C-d")
        # as Ctrl-C: the Close was never answered, so not clean
        assert t.exit_status(timeout=5) == 1


def test_close_timeout_ends_the_wait_for_the_answer(state_dir):
    """No answer to Ctrl-D's Close and nothing else heard: wsc exits after
    --close-timeout of silence and says so."""
    with _stalled(state_dir, True, "--close-timeout", "0.5") as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.keys("C-d")
        assert t.exit_status() == 1
        screen = t.screen(history=True)
    assert "no Close from the server within 0.5 s" in screen, screen


@pytest.mark.parametrize("code,reason,said", [
    (1000, b"bye", "wsc: server closed the connection: 1000 (normal "
     "closure): bye"),
    (1001, b"", "wsc: server closed the connection: 1001 (going away)"),
], ids=["1000", "1001"])
def test_server_clean_close_is_said(state_dir, code, reason, said):
    """The prompt goes away because the server closed: one line says so,
    and the status is 0."""
    def handler(conn):
        conn.read_request().accept()
        assert conn.recv_message() == (OP_TEXT, b"go")
        conn.send_close(code, reason)
        conn.recv_message()

    with RawServer(handler) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.type("go")
        t.keys("Enter")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    lines = [l.rstrip() for l in screen.split("\n")]
    assert lines.count(said) == 1, screen


def test_reconnect_is_said_and_the_line_typed_meanwhile_sent(state_dir):
    """The first connection drops: after "reconnecting in" one line says
    the connection is back, and a line typed while it was down goes out
    on the new one."""
    conns = []
    again = threading.Event()
    rec = Recorder()

    def handler(conn):
        conns.append(conn)
        if len(conns) == 1:
            conn.read_request().accept()
            conn.recv_message()     # "drop": then the drop
            return
        again.wait(10)
        rec(conn)

    with RawServer(handler) as srv, \
            start(srv, state_dir, "--reconnect") as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.type("drop")
        t.keys("Enter")
        t.wait_text("reconnecting in")
        t.type("meanwhile")
        t.keys("Enter")
        t.wait(lambda s: len(conns) == 2, what="the second connection")
        again.set()
        t.wait_text("wsc: connected again (attempt 1)")
        assert rec.opened.wait(10)
        t.keys("C-d")
        assert t.exit_status() == 0
    assert rec.data() == [(OP_TEXT, b"meanwhile")]


def test_line_typed_while_connecting_is_said_not_sent(state_dir):
    """The handshake is never answered: --connect-timeout ends wsc, and
    the line typed meanwhile is said not sent, not dropped silently."""
    with _stalled(state_dir, False, "--connect-timeout", "1") as t:
        t.wait_prompt()
        t.type("early")
        t.keys("Enter")
        assert t.exit_status() == 1
        screen = t.screen(history=True)
    assert "timed out" in screen, screen
    assert "wsc: 1 typed line was not sent (no connection)" in screen, screen


def test_typed_ping_shows_its_round_trip(state_dir):
    """Without -P, the Pong of a /ping the person typed is shown with its
    round trip; the --ping-interval Pings' Pongs are not."""
    rec = Recorder(answer_pings=True)
    pings = rec.pings

    with RawServer(rec) as srv, \
            start(srv, state_dir, "--ping-interval", "0.05") as t:
        t.wait_prompt()
        t.wait_text("connected;")
        t.wait(lambda s: len(pings) >= 2, what="keep-alive Pings")
        t.type("/ping hello")
        t.keys("Enter")
        t.wait_text("wsc: pong (5 bytes), round trip")
        n = len(pings)
        t.wait(lambda s: len(pings) >= n + 2, what="more keep-alive Pings")
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert b"hello" in pings
    assert screen.count("wsc: pong (") == 1, screen


def test_server_cannot_drive_the_terminal(state_dir):
    rec = Recorder(greeting=b"\x1b[2J\x1b]0;pwned\x07 ok \xc2\x9b")
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        s = t.wait_text("ok")
        t.keys("C-d")
        assert t.exit_status() == 0
    assert "< \\e[2J\\e]0;pwned\\x07 ok \\u009b" in s


def test_binary_shown_as_hex(state_dir):
    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_BINARY, bytes(range(40)))
        conn.recv_message()
        conn.send_close(1000)

    with RawServer(handler) as srv, start(srv, state_dir) as t:
        s = t.wait_text("more)")
        t.keys("C-d")
        t.exit_status()
    hexes = " ".join("%02x" % i for i in range(32))
    assert "< [binary 40 bytes] " + hexes + " … (8 more)" in s


def test_terminal_restored_after_server_drops_mid_line(tmp_path):
    """stty -g is the same before and after, even when the connection
    drops while a line is half typed."""
    rec = Recorder()
    drop = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        rec.opened.set()
        drop.wait(10)
        conn.sock.shutdown(2)

    before, after = tmp_path / "before", tmp_path / "after"
    with RawServer(handler) as srv:
        t = Tmux.__new__(Tmux)
        script = tmp_path / "run.sh"
        script.write_text(
            "stty -g > %s\n%s --no-history %s\necho $? > %s\n"
            "stty -g > %s\nsleep 60\n" % (before, WSC, srv.url,
                                           tmp_path / "rc", after))
        t.sock = "wsc-test-stty-%d" % os.getpid()
        t.dir = str(tmp_path / "tmux")
        t.done_file = str(tmp_path / "rc")
        t._tmux("new-session", "-d", "-s", "w", "-x", "80", "-y", "24",
                "bash", "--norc", str(script))
        try:
            t.wait_prompt()
            t.type("half a li")
            t.wait_text("> half a li")
            drop.set()
            assert t.exit_status() == 1
            t.wait(lambda s: after.exists() and after.read_text(),
                   what="stty after")
            screen = t.screen(history=True)
        finally:
            t.close()
    assert before.read_text() == after.read_text()
    assert "closed abnormally" in screen


def test_idle_session_uses_no_cpu(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        pid = int(subprocess.run(["pgrep", "-f", "-n", "^" + WSC + " " + srv.url],
                                 stdout=subprocess.PIPE).stdout.split()[0])

        def cpu():
            f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            return int(f[11]) + int(f[12])   # utime + stime, in ticks

        c0 = cpu()
        threading.Event().wait(1.0)   # the measurement window itself
        c1 = cpu()
        t.keys("C-d")
        assert t.exit_status() == 0
    assert c1 - c0 <= 1, "idle REPL used %d ticks of CPU in 1 s" % (c1 - c0)


def _pushing_handler(rec, stop, pushed, every=0.02):
    def handler(conn):
        def pusher():
            i = 0
            while not stop.wait(every):
                conn.send_frame(OP_TEXT, "push %d" % i)
                pushed.append(i)
                i += 1
        conn.read_request().accept()
        rec.opened.set()
        t = threading.Thread(target=pusher, daemon=True)
        t.start()
        while True:
            fin, op, data = conn.recv_frame()
            if op == OP_PING and data.startswith(b"wsc end "):
                conn.send_frame(OP_PONG, data)   # Ctrl-D's check
                continue
            rec.frames.append((op, data))
            if op == OP_TEXT:
                stop.set()
                t.join()
                conn.send_frame(OP_TEXT, "done")
            if op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, data[:2])
                return
    return handler


def test_multibyte_and_wide_line_survive_pushes(state_dir):
    """CJK and emoji, and a line longer than the terminal is wide, typed
    while pushes arrive, with cursor movement inside the wide characters."""
    rec, stop, pushed = Recorder(), threading.Event(), []
    with RawServer(_pushing_handler(rec, stop, pushed)) as srv, \
            Tmux(["--no-history", srv.url], width=40,
                 env={"XDG_STATE_HOME": state_dir}) as t:
        t.wait_prompt()
        t.type("日本語のテキスト🎉 and a long tail that wraps past forty columns")
        t.keys("Home", "Right", "Right")
        t.type("X")
        t.wait(lambda s: "< push 5" in s, what="pushes while typing")
        t.keys("Enter")
        t.wait_text("< done")
        t.keys("C-d")
        assert t.exit_status() == 0
    intended = "日本X語のテキスト🎉 and a long tail that wraps past forty columns"
    assert [d for op, d in rec.data()] == [intended.encode()]


def test_resize_redraws_the_line(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("before resize")
        t._tmux("resize-window", "-t", "w", "-x", "50", "-y", "20")
        t.wait_text("> before resize")
        t.type(" after")
        t.keys("Enter")
        t.keys("C-d")
        assert t.exit_status() == 0
    assert rec.data() == [(OP_TEXT, b"before resize after")]


def _one_prompt(screen, line):
    """The prompt and the typed line (which has no spaces) once, nothing
    else on a prompt row. capture-pane -J joins the rows the line wraps
    over, with the space readline pads a row with where a wide character
    does not fit."""
    lines = [l.replace(" ", "") for l in screen.split("\n")]
    prompts = [l for l in lines if l.startswith(">")]
    return prompts == [">" + line] and "".join(lines).count(line[:12]) == 1


@pytest.mark.parametrize("line", [
    "".join("w%03d-" % i for i in range(40)),           # 200 columns
    "x" + "日本語の行" * 20,     # 201 columns: rows end on padding
], ids=["ascii", "wide"])
def test_resize_with_a_wrapped_line_redraws_it_once(state_dir, line):
    """A line wrapping over three rows at 80 columns; the terminal (tmux
    reflows wrapped text) grows to 120 columns, shrinks to 50, grows to
    80. Each time the message above stays, once, and the line is drawn
    once; a message arriving after prints above it."""
    rec = Recorder(greeting=b"before typing")
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_text("< before typing")
        t.wait_prompt()
        t.keys("-l", line)
        t.wait(lambda s: _one_prompt(s, line), what="the typed line")
        for i, width in enumerate((120, 50, 80)):
            t.resize(width, 24)
            # printed after the redraw, so the screen shows that redraw
            rec.conn.send_frame(OP_TEXT, "after resize %d" % i)
            screen = t.wait_text("< after resize %d" % i)
            lines = [l.replace(" ", "") for l in screen.split("\n")]
            assert lines.count("<beforetyping") == 1, screen
            assert _one_prompt(screen, line), screen
            assert (lines.index("<afterresize%d" % i) <
                    lines.index(">" + line)), screen
        t.keys("Enter")
        t.wait_prompt()
        t.keys("C-d")
        assert t.exit_status() == 0
    assert rec.data() == [(OP_TEXT, line.encode())]


# On a terminal the test plays: the line takes two rows at 80 columns
# (152 with the prompt, the cursor on the second row at column 72) and
# one at 160.
WRAPPED = "".join("v%03d-" % i for i in range(30))     # 150 characters


def _typed_on_pty(srv, rec, state_dir, term="xterm-256color"):
    t = Pty([srv.url], env={"XDG_STATE_HOME": state_dir, "TERM": term})
    t.wait(rb"Ctrl-D to quit.*> ")
    t.write(WRAPPED.encode())
    t.wait(re.escape(WRAPPED[-20:].encode()))
    return t


def _enter_then_quit(t):
    # Ctrl-D once the new prompt is up: readline gives the terminal back
    # its own settings while the line is handled, and there Ctrl-D is EOF
    mark = len(t.out)
    t.write(b"\r")
    t.wait(rb"\r\n.*> ", mark)
    t.write(b"\x04")
    assert t.exit_status() == 0


@pytest.mark.parametrize("answer,prompt_row", [
    (b"10;153", 10),    # re-wrapped (tmux, VTE, kitty): one row now
    (b"10;73", 9),      # kept its rows (xterm): the prompt a row up
])
def test_resize_redraws_from_the_row_the_terminal_implies(state_dir, answer,
                                                         prompt_row):
    """The terminal's answer tells whether it re-wrapped the line: the
    rows from the prompt's first down are erased and the line drawn there.
    Keys typed around the answer are kept, in order."""
    rec = Recorder()
    with RawServer(rec) as srv, _typed_on_pty(srv, rec, state_dir) as t:
        mark = len(t.out)
        t.resize(160, 24)
        mark = t.wait(rb"\x1b\[6n", mark).end()
        t.write(b"ab\x1b[" + answer + b"Rcd")
        t.wait(rb"\x1b\[%d;1H\x1b\[2K> v000" % prompt_row, mark)
        _enter_then_quit(t)
    assert rec.data() == [(OP_TEXT, WRAPPED.encode() + b"abcd")]


def test_resize_without_an_answer_redraws_as_before(state_dir):
    """A terminal that does not answer gets readline's redraw, and is not
    asked again until its late answer comes; that answer is not typed."""
    rec = Recorder()
    with RawServer(rec) as srv, _typed_on_pty(srv, rec, state_dir) as t:
        mark = len(t.out)
        t.resize(160, 24)
        mark = t.wait(rb"\x1b\[6n", mark).end()
        mark = t.wait(rb"> v000", mark).end()         # redrawn, unasked
        t.write(b"xy")
        mark = t.wait(rb"xy", mark).end()
        t.resize(100, 24)
        t.wait(rb"> v000", mark)
        assert b"\x1b[6n" not in t.out[mark:]
        t.write(b"\x1b[10;73Rz")                      # the late answer
        mark = t.wait(rb"z", mark).end()
        t.resize(120, 24)                             # asked again
        mark = t.wait(rb"\x1b\[6n", mark).end()
        t.write(b"\x1b[10;37R")
        t.wait(rb"\x1b\[9;1H\x1b\[2K> v000", mark)
        _enter_then_quit(t)
    assert rec.data() == [(OP_TEXT, WRAPPED.encode() + b"xyz")]


def test_resize_on_a_terminal_without_cursor_movement_asks_nothing(
        state_dir):
    """TERM=dumb: readline scrolls the line sideways, the terminal is not
    asked where its cursor is (it would not answer)."""
    rec = Recorder()
    with RawServer(rec) as srv, _typed_on_pty(srv, rec, state_dir,
                                              "dumb") as t:
        mark = len(t.out)
        t.resize(160, 24)
        t.write(b"z")
        t.wait(rb"z", mark)
        assert b"\x1b[6n" not in t.out[mark:]
        _enter_then_quit(t)
    assert rec.data() == [(OP_TEXT, WRAPPED.encode() + b"z")]


def test_sigterm_mid_line_restores_and_closes_1001(state_dir):
    rec = Recorder()
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("half")
        t.wait_text("> half")
        pid = int(subprocess.run(["pgrep", "-f", "-n", "^" + WSC + " " + srv.url],
                                 stdout=subprocess.PIPE).stdout.split()[0])
        os.kill(pid, 15)
        assert t.exit_status() == 0
    assert rec.frames[-1] == (OP_CLOSE, b"\x03\xe9")


def test_auth_prompts_for_the_password_without_echo(state_dir):
    seen = {}

    def handler(conn):
        conn.read_request()
        seen["auth"] = conn.header("Authorization")
        conn.accept()
        op, data = conn.recv_message()
        conn.send_frame(OP_CLOSE, data[:2])

    with RawServer(handler) as srv, start(srv, state_dir, "--auth",
                                          "alice") as t:
        t.wait_text("Password for alice: ")
        t.type("s3cret pass")
        t.keys("Enter")
        t.wait_prompt()
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    import base64
    assert seen["auth"] == "Basic " + base64.b64encode(
        b"alice:s3cret pass").decode()
    assert "s3cret" not in screen


def test_colour_on_a_terminal_and_no_color(state_dir):
    rec = Recorder(greeting=b"coloured")

    def run_with(env_extra, *args):
        with RawServer(rec) as srv, Tmux(list(args) + ["--no-history",
                                                        srv.url],
                                         env=dict(env_extra,
                                                  XDG_STATE_HOME=state_dir)) as t:
            t.wait_text("coloured")
            screen = t._tmux("capture-pane", "-p", "-e", "-t", "w")
            t.keys("C-d")
            assert t.exit_status() == 0
        return screen

    plain = run_with({"NO_COLOR": "1"})
    assert "\x1b[" not in plain.split("coloured")[0].split("\n")[-1]
    coloured = run_with({"NO_COLOR": ""})
    line = [l for l in coloured.split("\n") if "coloured" in l][0]
    assert "\x1b[" in line, repr(line)
    forced_off = run_with({"NO_COLOR": ""}, "--no-color")
    line = [l for l in forced_off.split("\n") if "coloured" in l][0]
    assert "\x1b[" not in line, repr(line)


def test_line_and_ctrl_d_before_the_connection_opens(state_dir):
    """Typed before the handshake completes: the line is still sent, then
    Close 1000 (nothing typed is lost)."""
    rec = Recorder()
    go = threading.Event()

    def handler(conn):
        conn.read_request()
        go.wait(10)
        rec(_Accepted(conn))

    class _Accepted:
        def __init__(self, conn):
            self.conn = conn

        def read_request(self):
            return self.conn

        def __getattr__(self, name):
            return getattr(self.conn, name)

    with RawServer(handler) as srv, start(srv, state_dir) as t:
        t.wait_prompt()
        t.type("early bird")
        t.wait_text("> early bird")
        t.keys("Enter")
        t.keys("C-d")
        go.set()
        assert t.exit_status() == 0
    assert rec.frames == [(OP_TEXT, b"early bird"), (OP_CLOSE, b"\x03\xe8")]


# --- Ctrl-C while connecting -------------------------------------------------

def _ss(*args):
    return subprocess.run(["ss", "-Htn"] + list(args), stdout=subprocess.PIPE,
                          timeout=10).stdout.decode()


def _wait(pred, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        threading.Event().wait(0.02)


def _connecting_to(port, but):
    """A socket to port other than local port but: SYN-SENT (the SYN was
    dropped), or now and then ESTABLISHED (the kernel queued it anyway;
    the handshake then goes unanswered, which is connecting too)."""
    out = _ss("state", "syn-sent", "state", "established", "dport", "=",
              ":%d" % port)
    return any(l.split()[3] != "127.0.0.1:%d" % but
               for l in out.splitlines() if l.strip())


def _accept_queue_full(port):
    """The listener's accept queue holds its one connection (Recv-Q 1)."""
    out = _ss("-l", "sport", "=", ":%d" % port).split()
    return len(out) >= 2 and int(out[1]) >= 1


def test_ctrl_c_while_the_handshake_is_unanswered_exits_at_once(state_dir):
    """The server accepts TCP, reads the request and never answers: one
    Ctrl-C exits at once (status 1, as for a signal before OPEN), well
    before --connect-timeout."""
    asked = threading.Event()

    def handler(conn):
        conn.read_request()
        asked.set()
        try:
            while conn.sock.recv(4096):     # until wsc hangs up
                pass
        except OSError:
            pass

    with RawServer(handler) as srv, start(srv, state_dir, "--connect-timeout",
                                          "60") as t:
        t.wait_prompt()
        assert asked.wait(10), "no request from wsc"
        t.keys("C-c")
        assert t.exit_status() == 1
        screen = t.screen(history=True)
    assert "wsc: interrupted" in screen, screen


def test_ctrl_c_while_tcp_connect_hangs_exits_at_once(state_dir):
    """connect() never completes (a listener whose accept queue is full
    drops the SYN): one Ctrl-C exits at once."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        # (on a loaded box the filler's last ACK may still be on its way)
        _wait(lambda: _accept_queue_full(port), "the accept queue to fill")
        with Tmux(["--no-history", "--connect-timeout", "60",
                   "ws://127.0.0.1:%d/" % port],
                  env={"XDG_STATE_HOME": state_dir}) as t:
            t.wait_prompt()
            _wait(lambda: _connecting_to(port, filler.getsockname()[1]),
                  "wsc's SYN")
            t.keys("C-c")
            assert t.exit_status() == 1
            screen = t.screen(history=True)
    finally:
        filler.close()
        lst.close()
    assert "wsc: interrupted" in screen, screen


# --- how to leave -----------------------------------------------------------

HINT = "wsc: connected; /help for commands, Ctrl-D to quit"


def test_hint_how_to_leave_after_open(state_dir):
    rec = Recorder(greeting=b"hello")
    with RawServer(rec) as srv, start(srv, state_dir) as t:
        t.wait_text("< hello")
        screen = t.wait_prompt()
        t.keys("C-d")
        assert t.exit_status() == 0
    lines = [l.rstrip() for l in screen.split("\n")]
    assert lines.count(HINT) == 1, screen
    assert lines.index(HINT) < lines.index("< hello"), screen


@pytest.mark.parametrize("args", [["-q"], ["-x", "hi"]],
                         ids=["quiet", "execute-on-a-terminal"])
def test_no_hint_when_quiet_or_not_interactive(state_dir, args):
    rec = Recorder(greeting=b"hello")
    with RawServer(rec) as srv, start(srv, state_dir, *args) as t:
        t.wait_text("hello")        # after OPEN: the hint would be above
        if "-q" in args:
            t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert "connected;" not in screen, screen


def test_no_hint_in_pipe_mode():
    rec = Recorder(greeting=b"hello")
    with RawServer(rec) as srv:
        r = subprocess.run([WSC, srv.url], input=b"hi\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
    assert r.returncode == 0, r
    assert r.stderr == b"", r
    assert r.stdout == b"hello\n", r


# --- the room's REPL (--listen): the same commands, through the room ------

def test_listen_repl_commands_reach_every_client(state_dir, tmp_path):
    """Typed lines, /ping, /send and /state go through the room (the
    session's endpoint); Ctrl-C on an empty line closes each client with
    1001 (going away, as SIGINT does) and the room exits 0 once they have
    answered."""
    port = free_port()
    doc = tmp_path / "doc.txt"
    body = b"".join(b"line %06d of the file\n" % i for i in range(8000))
    doc.write_bytes(body)   # 184 000 bytes: several pieces read as it goes
    # a bare port: /state names the address bound, not what was typed;
    # --plain: the clients get the bytes typed (the chat room's names are
    # test_room_names.py's)
    with Tmux(["--plain", "-l", str(port)],
              env={"XDG_STATE_HOME": state_dir}) as t:
        t.wait_prompt()
        t.wait_text("wsc: the chat page: http://127.0.0.1:%d/" % port)
        t.wait_text("wsc: type a line to send it to every client; Ctrl-D "
                    "or /quit closes the room")
        a, _ = raw_connect(port)
        b, _ = raw_connect(port)
        t.wait_text("client #2 joined")
        send_text(a, b"from a")
        t.wait_text("from a")
        assert b.recv_message() == (OP_TEXT, b"from a")
        t.type("hello room")
        t.keys("Enter")
        t.type("/ping pp")
        t.keys("Enter")
        t.type("/send %s" % doc)
        t.keys("Enter")
        for c in (a, b):
            assert c.recv_message() == (OP_TEXT, b"hello room")
            fin, op, data = c.recv_frame()     # not answered: unmasked
            assert (fin, op, data) == (True, OP_PING, b"pp")
            assert c.recv_message() == (OP_TEXT, body)
        t.type("/state")
        t.keys("Enter")
        t.wait_text("wsc: listening on 127.0.0.1:%d, 2 clients, 1 message "
                    "received" % port)
        t.wait_prompt()
        t.keys("C-c")
        for c in (a, b):
            assert c.recv_message() == (OP_CLOSE, b"\x03\xe9")
            send_close(c)
        assert t.exit_status() == 0
