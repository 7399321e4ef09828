"""The REPL for JSON APIs on a real terminal (tmux): --pretty
and /pretty re-indent JSON pushed while a line is half typed, keeping every
token's bytes; Meta-Enter composes a multi-line message that history keeps
whole; /send and /sendbin deliver a file's exact bytes, streamed in
fragments; on a pipe --pretty changes nothing."""
import os
import queue
import re
import threading

import pytest

from harness import free_port, run, wait_for
from test_listen import raw_connect, send_close, send_text
from tty import Tmux
from wsproto import RawServer, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT

DOC = (b'{"id":12345678901234567890,"f":-0.10e+5,'
       b'"s":"a\\"b\\\\c\\u00e9\\n\\ud83d\\ude00",'
       b'"u":"\xe6\x97\xa5\xe6\x9c\xac","nested":{"arr":[1,[],{},'
       b'[true,false,null]],"e":{}},"big":1.000000000000000000001}')

# the screen, with "< " and two spaces per level
PRETTY = r'''< {
    "id": 12345678901234567890,
    "f": -0.10e+5,
    "s": "a\"b\\c\u00e9\n\ud83d\ude00",
    "u": "日本",
    "nested": {
      "arr": [
        1,
        [],
        {},
        [
          true,
          false,
          null
        ]
      ],
      "e": {}
    },
    "big": 1.000000000000000000001
  }'''


class Pusher:
    """Accept; push what the test puts in self.push; record messages."""

    def __init__(self):
        self.push = queue.Queue()
        self.messages = []
        self.opened = threading.Event()
        self.got = threading.Condition()

    def __call__(self, conn):
        conn.read_request().accept()
        self.opened.set()

        def pusher():
            while True:
                item = self.push.get()
                if item is None:
                    return
                conn.send_frame(*item)
        threading.Thread(target=pusher, daemon=True).start()
        try:
            while True:
                op, data = conn.recv_message()
                with self.got:
                    self.messages.append((op, data))
                    self.got.notify_all()
                if op == OP_CLOSE:
                    conn.send_frame(OP_CLOSE, data[:2])
                    return
        finally:
            self.push.put(None)

    def wait_messages(self, n, timeout=30):
        with self.got:
            assert self.got.wait_for(lambda: len(self.messages) >= n,
                                     timeout), self.messages
            return list(self.messages)


@pytest.fixture
def state_dir(tmp_path):
    return str(tmp_path / "state")


def lines_of(screen):
    return [l.rstrip() for l in screen.split("\n")]


def ends_with(text):
    return lambda s: "\n".join(lines_of(s)).rstrip().endswith(text)


def test_pretty_json_while_typing_and_pretty_off(state_dir):
    srv_h = Pusher()
    with RawServer(srv_h) as srv, Tmux(["--pretty", srv.url],
                                       env={"XDG_STATE_HOME": state_dir},
                                       height=50) as t:
        t.wait_prompt()
        srv_h.opened.wait(10)
        t.type("half typ")
        t.wait_text("> half typ")
        srv_h.push.put((OP_TEXT, DOC))
        s = t.wait(lambda s: "  }" in s, what="the indented JSON")
        assert PRETTY in "\n".join(lines_of(s)), s
        # the typed line is intact, below the message
        t.wait(lambda s: s.rstrip().endswith("  }\n> half typ"),
               what="the typed line")
        t.type("ed")
        t.keys("Enter")
        # not JSON, or not whole JSON: shown as without --pretty
        srv_h.push.put((OP_TEXT, b'{"cut": 1'))
        srv_h.push.put((OP_TEXT, b'12345678901234567890'))
        srv_h.push.put((OP_TEXT, b'[1,\x1b[31m]'))
        t.wait_text("< [1,\\e[31m]")
        t.type("/pretty off")
        t.keys("Enter")
        t.wait_text("pretty off")
        srv_h.push.put((OP_TEXT, DOC))
        s = t.wait_text("< " + DOC.decode())
        t.type("/pretty")
        t.keys("Enter")
        t.wait_text("pretty on")
        srv_h.push.put((OP_TEXT, b'[  {"k" :\t"v"} ]'))
        t.wait_text('< [\n    {\n      "k": "v"\n    }\n  ]')
        t.keys("C-d")
        assert t.exit_status() == 0
        s = t.screen(history=True)
    assert '< {"cut": 1' in lines_of(s), s
    assert "< 12345678901234567890" in lines_of(s), s
    assert srv_h.messages[0] == (OP_TEXT, b"half typed")


def test_pretty_colours_keys_strings_numbers_literals(state_dir):
    srv_h = Pusher()
    with RawServer(srv_h) as srv, Tmux(["--pretty", srv.url],
                                       env={"XDG_STATE_HOME": state_dir,
                                            "NO_COLOR": ""}) as t:
        t.wait_prompt()
        srv_h.opened.wait(10)
        srv_h.push.put((OP_TEXT, b'{"k":"v","n":12,"t":true}'))
        t.wait_text("true")
        screen = t._tmux("capture-pane", "-p", "-e", "-t", "w")
        t.keys("C-d")
        assert t.exit_status() == 0
    colour = {}
    for tok in ('"k"', '"v"', "12", "true"):
        m = re.search(r"\x1b\[([0-9;]+)m" + re.escape(tok), screen)
        assert m, (tok, screen)
        colour[tok] = m.group(1)
    assert len({colour['"k"'], colour['"v"'], colour["12"],
                colour["true"]}) == 4, colour


@pytest.mark.parametrize("mode", ["plain", "chat"])
def test_pretty_in_listen_on_a_terminal(state_dir, mode):
    port = free_port()
    with Tmux(["--pretty", "-l", str(port)] +
              (["--plain"] if mode == "plain" else []),
              env={"XDG_STATE_HOME": state_dir}) as t:
        t.wait_text("listening")
        conn, _ = raw_connect(port)
        t.wait_text("#1")
        send_text(conn, b'{"a":[1,2]}')
        # later lines line up under the text after "< [#1] " (--plain) or
        # "< guest-1: " (chat)
        lead = "< [#1] " if mode == "plain" else "< guest-1: "
        pad = " " * len(lead)
        t.wait_text(lead + '{\n' + pad + '  "a": [\n' + pad + '    1,\n' +
                    pad + '    2\n' + pad + '  ]\n' + pad + '}')
        send_close(conn)
        t.keys("C-d")
        assert t.exit_status() == 0


def test_pipe_with_pretty_changes_nothing():
    msgs = [DOC, b'{"cut": 1', b'[  1 ]', b'{}']

    def handler(conn):
        conn.read_request().accept()
        for m in msgs:
            conn.send_frame(OP_TEXT, m)
        conn.send_close(1000)
        conn.recv_frame()

    with RawServer(handler) as srv:
        plain = run([srv.url], input=b"")
        pretty = run(["--pretty", srv.url], input=b"")
    assert pretty.returncode == 0, pretty.stderr
    assert pretty.stdout == b"".join(m + b"\n" for m in msgs)
    assert pretty.stdout == plain.stdout


def test_meta_enter_composes_and_history_keeps_it_whole(state_dir):
    srv_h = Pusher()
    with RawServer(srv_h) as srv:
        with Tmux([srv.url], env={"XDG_STATE_HOME": state_dir}) as t:
            t.wait_prompt()
            t.type("line one")
            t.keys("Escape", "Enter")
            t.type("line two")
            t.wait_text("line one\nline two")
            # a push while composing: both lines are redrawn below it
            srv_h.push.put((OP_TEXT, b"pushed"))
            t.wait(ends_with("< pushed\n> line one\nline two"),
                   what="the two typed lines below the push")
            t.keys("Enter")
            srv_h.wait_messages(1)
            t.type("#123 single")
            t.keys("Enter")
            srv_h.wait_messages(2)
            t.keys("Up", "Up")
            t.wait(ends_with("> line one\nline two"),
                   what="the recalled entry")
            t.keys("Enter")
            srv_h.wait_messages(3)
            t.keys("C-d")
            assert t.exit_status() == 0
        srv_h2 = Pusher()
        srv.handler = srv_h2
        with Tmux([srv.url], env={"XDG_STATE_HOME": state_dir}) as t:
            t.wait_prompt()
            t.keys("Up", "Up")
            t.wait(ends_with("> #123 single"),
                   what="the single-line entry after a restart")
            t.keys("Down")
            t.wait(ends_with("> line one\nline two"),
                   what="the two-line entry after a restart")
            t.keys("Enter")
            srv_h2.wait_messages(1)
            t.keys("C-d")
            assert t.exit_status() == 0
    two = (OP_TEXT, b"line one\nline two")
    assert srv_h.messages[:3] == [two, (OP_TEXT, b"#123 single"), two]
    assert srv_h2.messages[0] == two


def test_send_and_sendbin_deliver_a_files_exact_bytes(state_dir, tmp_path):
    text = ("{\"k\": \"caf\u00e9\"}\nline 2\r\n" * 50000).encode()  # 1.1 MB
    assert len(text) > 1024 * 1024
    binary = bytes(range(256)) * 4000 + b"\xff\xfe"
    (tmp_path / "text.json").write_bytes(text)
    (tmp_path / "blob.bin").write_bytes(binary)
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "empty").write_bytes(b"")
    srv_h = Pusher()
    frames = []
    orig = srv_h.__call__

    with RawServer(srv_h) as srv, Tmux([srv.url],
                                       env={"XDG_STATE_HOME": state_dir}) as t:
        t.wait_prompt()
        t.type("/send %s/tex" % tmp_path)
        t.keys("Tab")
        t.wait_text("text.json")
        t.keys("Enter")
        srv_h.wait_messages(1)
        t.type("/sendbin %s/blob.bin" % tmp_path)
        t.keys("Enter")
        srv_h.wait_messages(2)
        t.type("/send %s/latin1.txt" % tmp_path)
        t.keys("Enter")
        t.wait_text("is not UTF-8")
        t.type("/send %s/nothere" % tmp_path)
        t.keys("Enter")
        t.wait_text("No such file")
        t.type("/send %s/empty" % tmp_path)
        t.keys("Enter")
        srv_h.wait_messages(3)
        t.type("after")
        t.keys("Enter")
        srv_h.wait_messages(4)
        t.keys("C-d")
        assert t.exit_status() == 0
        screen = t.screen(history=True)
    assert "latin1.txt is not UTF-8 (byte 3)" in screen, screen
    assert srv_h.messages[:4] == [(OP_TEXT, text), (OP_BINARY, binary),
                                  (OP_TEXT, b""), (OP_TEXT, b"after")]


def test_a_big_file_goes_out_in_fragments(state_dir, tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "big").write_bytes(data)
    frames = []
    done = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        while True:
            fin, op, d = conn.recv_frame()
            if op == OP_PING:   # the end-of-input Ping
                conn.send_frame(OP_PONG, d)
                continue
            frames.append((fin, op, len(d)))
            if op == OP_CLOSE:
                conn.send_frame(OP_CLOSE, d[:2])
                done.set()
                return
            got.append(d)

    got = []
    with RawServer(handler) as srv, Tmux([srv.url],
                                         env={"XDG_STATE_HOME": state_dir}) as t:
        t.wait_prompt()
        t.type("/sendbin %s/big" % tmp_path)
        t.keys("Enter")
        t.wait_prompt()
        wait_for(lambda: sum(map(len, got)) >= len(data), 60, "the file")
        t.keys("C-d")
        assert t.exit_status() == 0
    assert b"".join(got) == data
    data_frames = [f for f in frames if f[1] != OP_CLOSE]
    assert len(data_frames) >= 3 and data_frames[0][1] == OP_BINARY
    assert all(n <= 64 * 1024 for _, _, n in data_frames)
    assert [fin for fin, _, _ in data_frames] == \
        [False] * (len(data_frames) - 1) + [True]
