"""Drive wsc on a real terminal: tmux on a private socket, send-keys to
type, capture-pane to read the screen. Waits poll the screen with a
deadline; nothing sleeps to synchronise."""
import fcntl
import itertools
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time

from harness import WSC


_serial = itertools.count()


def _until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    ev = threading.Event()
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        ev.wait(0.02)


def _winch_taken(pid):
    """No SIGWINCH pending for process pid: it has read it (wsc takes
    signals from a signalfd, so a pending one is one not yet read)."""
    winch = 1 << (signal.SIGWINCH - 1)      # in /proc's pending masks
    with open("/proc/%d/status" % pid) as f:
        return not any(int(l.split()[1], 16) & winch for l in f
                       if l.startswith(("SigPnd:", "ShdPnd:")))


class Tmux:
    def __init__(self, args, env=None, width=80, height=24, shell_after="",
                 program=WSC):
        # a name never used before in this process (id() is reused once an
        # object is freed) and a fresh directory for the exit status, so
        # that no earlier session's status can be read as this one's
        self.sock = "wsc-test-%d-%d" % (os.getpid(), next(_serial))
        self.dir = tempfile.mkdtemp(prefix=self.sock + ".")
        self.done_file = os.path.join(self.dir, "exit")
        e = {"TERM": "xterm-256color", "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}
        e.update(env or {})
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in e.items())
        cmd = "env %s %s %s; echo $? > %s; %s sleep 60" % (
            envs, shlex.quote(program), " ".join(shlex.quote(a) for a in args),
            self.done_file, shell_after)
        self._tmux("new-session", "-d", "-s", "w", "-x", str(width),
                   "-y", str(height), "bash", "--norc", "-c", cmd)

    def _tmux(self, *a):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] +
                              list(a), check=True, stdout=subprocess.PIPE,
                              timeout=10).stdout.decode()

    def keys(self, *k):
        self._tmux("send-keys", "-t", "w", *k)

    def type(self, text):
        """Literal text, one key at a time."""
        for ch in text:
            self._tmux("send-keys", "-t", "w", "-l", ch)

    def screen(self, history=False):
        a = ["capture-pane", "-p", "-J", "-t", "w"]
        if history:
            a += ["-S", "-"]
        return self._tmux(*a)

    def wait(self, pred, timeout=10, what="screen"):
        deadline = time.monotonic() + timeout
        ev = threading.Event()
        while True:
            s = self.screen(history=True)
            if pred(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s; screen:\n%s"
                                     % (what, s))
            ev.wait(0.02)

    def wait_prompt(self, timeout=10):
        """The empty prompt (capture-pane drops its trailing space)."""
        return self.wait(lambda s: re.search(r"^> *$", s, re.M), timeout,
                         "the prompt")

    def wait_text(self, text, timeout=10):
        return self.wait(lambda s: text in s, timeout, repr(text))

    def resize(self, width, height, timeout=10):
        """Resize the window, then wait until the program (the pane's
        child) has taken the SIGWINCH that tells it: what it draws in
        answer then comes before anything it prints after."""
        self._tmux("resize-window", "-t", "w", "-x", str(width),
                   "-y", str(height))
        tty, pane = self._tmux("display", "-p", "-t", "w",
                               "#{pane_tty} #{pane_pid}").split()
        with open("/proc/%s/task/%s/children" % (pane, pane)) as f:
            pid = int(f.read().split()[0])
        fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY)
        try:
            def told():
                rows, cols = struct.unpack("HH", fcntl.ioctl(
                    fd, termios.TIOCGWINSZ, b"\0" * 8)[:4])
                return (cols, rows) == (width, height)
            _until(told, timeout, "the terminal to be resized")
        finally:
            os.close(fd)
        _until(lambda: _winch_taken(pid), timeout, "SIGWINCH to be taken")

    def exit_status(self, timeout=10):
        deadline = time.monotonic() + timeout
        ev = threading.Event()
        while time.monotonic() < deadline:
            try:
                with open(self.done_file) as f:
                    v = f.read().strip()
                if v:
                    return int(v)
            except FileNotFoundError:
                pass
            ev.wait(0.02)
        raise AssertionError("wsc did not exit; screen:\n" +
                             self.screen(history=True))

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"],
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class Pty:
    """The program on a pseudo-terminal the test plays itself: every byte
    written to the terminal is kept (out), the test types and answers the
    terminal's questions (or not) with write(), and resize() sets the size
    as a terminal does, which sends SIGWINCH."""

    def __init__(self, args, env=None, width=80, height=24, program=WSC):
        self.master, slave = os.openpty()
        self.out = bytearray()
        self.eof = False
        self._cv = threading.Condition()
        self._winsize(slave, width, height)
        e = dict(os.environ, TERM="xterm-256color", NO_COLOR="1",
                 LC_ALL="C.UTF-8")
        e.update(env or {})

        def own_terminal():     # a session whose terminal this is
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        try:
            self.proc = subprocess.Popen(
                [program] + list(args), stdin=slave, stdout=slave,
                stderr=slave, env=e, preexec_fn=own_terminal)
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @staticmethod
    def _winsize(fd, width, height):
        fcntl.ioctl(fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", height, width, 0, 0))

    def _read(self):
        while True:
            try:
                d = os.read(self.master, 4096)
            except OSError:     # EIO: the program closed the terminal
                d = b""
            with self._cv:
                if not d:
                    self.eof = True
                    self._cv.notify_all()
                    return
                self.out += d
                self._cv.notify_all()

    def write(self, data):
        os.write(self.master, data)

    def resize(self, width, height, timeout=10):
        """Set the size, which sends SIGWINCH; wait until it is taken."""
        self._winsize(self.master, width, height)
        _until(lambda: _winch_taken(self.proc.pid), timeout,
               "SIGWINCH to be taken")

    def wait(self, pattern, start=0, timeout=10):
        """The match of the regular expression (bytes) in what was written
        from offset start on."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                m = rx.search(bytes(self.out), start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError("timed out waiting for %r; the "
                                         "terminal got %r" % (
                                             pattern, bytes(self.out[start:])))
                self._cv.wait(left)

    def exit_status(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("the program did not exit; the terminal "
                                 "got %r" % bytes(self.out))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        os.close(self.master)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
