"""Test harness: run the built wsc, start servers on port 0, wait for
events with deadlines (never sleep as synchronisation)."""
import base64
import hashlib
import os
import signal
import socket
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WSC = os.environ.get("WSC", os.path.join(ROOT, "build-test", "src", "wsc"))
PYTHON = "/usr/bin/python3"
NODE_PATH = "/usr/share/nodejs"     # Debian's node-ws
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# The end of a python3-websockets server given to `python3 -c`: serve its
# handler() on a free loopback port and print the port.
SERVE_HANDLER = '''
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0,
                                max_size=None) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
'''


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def run(args, input=None, timeout=20, env=None, **kw):
    """Run wsc to completion; returns CompletedProcess with bytes."""
    e = dict(os.environ)
    if env:
        e.update(env)
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run([WSC] + list(args), input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=e, **kw)


def spawn(args, env=None, **kw):
    e = dict(os.environ)
    if env:
        e.update(env)
    kw.setdefault("stdin", subprocess.PIPE)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([WSC] + list(args), env=e, **kw)


class ServerProcess:
    """A server in a child process that prints its port as its first line."""

    def __init__(self, argv, timeout=10, env=None):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.port = int(read_line(self.proc.stdout, timeout,
                                  what=" ".join(argv)))

    def close(self):
        finish(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def finish(proc, timeout=5, sig=signal.SIGTERM, readers=()):
    """End a child and close its pipes: send it sig (None: let it end by
    itself), give it timeout s to exit, then kill it. Its stdin stays open
    until then (end of input is an event of its own to wsc). Returns
    (status, out, err): status None if it had to be killed; out and err
    what was left in its stdout and stderr (None where not pipes).
    readers: threads of the caller that read those pipes instead; each is
    given timeout s to reach the end before they are closed."""
    if sig is not None and proc.poll() is None:
        proc.send_signal(sig)
    stdin, proc.stdin = proc.stdin, None    # communicate() would close it
    out = err = None

    def collect():
        nonlocal out, err
        if readers:
            proc.wait(timeout)
        else:
            out, err = proc.communicate(timeout=timeout)

    try:
        try:
            collect()
            status = proc.returncode
        except subprocess.TimeoutExpired:
            status = None
            proc.kill()
            try:
                collect()
            except subprocess.TimeoutExpired:
                proc.wait()     # a grandchild holds the pipes: give up on them
        for t in readers:
            t.join(timeout)
    finally:
        for f in (stdin, proc.stdout, proc.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
    return status, out, err


def read_line(f, timeout, what="process"):
    """Read one line from a pipe with a deadline."""
    result = []

    def reader():
        result.append(f.readline())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    if not result or not result[0]:
        raise AssertionError(f"{what}: no line within {timeout} s")
    return result[0].decode().strip()


class TerminalOutput:
    """A pseudo-terminal for a child's standard output (tty.py hides the
    pty module, and pexpect with it: os.openpty instead), read on a thread
    so that a full terminal never holds the child. Give `slave` to the
    child, then call done(): it closes our copy of the slave, waits for the
    last writer to close the terminal (counting silence, not a total) and
    returns everything written."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.chunks = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                d = os.read(self.master, 4096)
            except OSError:     # EIO: the last writer closed the terminal
                return
            if not d:
                return
            self.chunks.append(d)

    def close_slave(self):
        if self.slave is not None:
            os.close(self.slave)
            self.slave = None

    def done(self, silence=30):
        self.close_slave()
        try:
            while self.thread.is_alive():
                seen = len(self.chunks)
                self.thread.join(silence)
                assert not self.thread.is_alive() or \
                    len(self.chunks) > seen, \
                    "%d s of silence on the terminal: %r" % (
                        silence, b"".join(self.chunks)[-500:])
        finally:
            os.close(self.master)
        return b"".join(self.chunks)


def wait_for(pred, timeout=10, what="condition"):
    """Poll a cheap predicate with a deadline (for state kept by threads)."""
    deadline = time.monotonic() + timeout
    ev = threading.Event()
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        ev.wait(0.005)


def wait_listening(proc, port, timeout=10, what="server"):
    """Connect until it works (True) or the process exits (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            try:
                proc.wait(0.02)
            except subprocess.TimeoutExpired:
                pass
    raise AssertionError("%s: not listening on %d within %d s"
                         % (what, port, timeout))


def python_server(name, *args):
    """servers/name run by Debian's python3, with args."""
    return ServerProcess([PYTHON, os.path.join(HERE, "servers", name)] +
                         [str(a) for a in args])


def node_server(name, *args):
    """servers/name run by node, with args (node-ws found)."""
    return ServerProcess(["node", os.path.join(HERE, "servers", name)] +
                         [str(a) for a in args],
                         env=dict(os.environ, NODE_PATH=NODE_PATH))


def server_on_free_port(request, what, argv_for, cwd=None):
    """Start argv_for(port), a server that binds the port given on its
    command line (it cannot report one it picked): a free one, and another
    if some process took it first. It is ended when request (a pytest
    fixture's or test's) is finalized. Returns the port."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(argv_for(port), cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        request.addfinalizer(lambda p=proc: finish(p))
        if wait_listening(proc, port, what=what):
            return port
    raise AssertionError(what + " would not start")


def in_private_etc(argv, etc, netns_pid=None):
    """argv in a mount namespace of its own (unshare -m, as root) where each
    file of etc, {"/etc/hosts": path, ...}, is bound over its target; in
    the network namespace of process netns_pid too, if given."""
    script = "".join('mount --bind "$%d" %s && ' % (i + 1, target)
                     for i, target in enumerate(etc))
    argv = ["unshare", "-m", "sh", "-c",
            script + 'shift %d && exec "$@"' % len(etc), "sh"] + \
        [str(f) for f in etc.values()] + list(argv)
    if netns_pid is not None:
        argv = ["nsenter", "--net=/proc/%d/ns/net" % netns_pid] + argv
    return argv


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p
