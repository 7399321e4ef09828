"""Flow control and idle cost: a slow reader of stdout, a server that stops
reading, and a connection with nothing to do.

Memory is wsc's VmRSS from /proc/PID/status. The bound is 32 MiB;
a sanitizer build starts above that, so there the bound is the growth over
the RSS measured once the connection is open (the growth bound also holds
for a plain build: more than 16 MiB of growth means wsc buffered the data
the test holds back, which is 20 MiB and 50 MiB here)."""
import os
import signal
import threading
import time

from harness import finish, spawn, read_line
from wsproto import RawServer, OP_TEXT, OP_CLOSE

MiB = 1024 * 1024
RSS_LIMIT = 32 * MiB
GROWTH_LIMIT = 16 * MiB
SANITIZED_BASE = 16 * MiB   # a plain build starts near 9 MiB


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for %d" % (name, pid))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


class RssWatch:
    """Keep the largest RSS seen and check it against the bounds."""

    def __init__(self, pid):
        self.pid = pid
        self.base = rss(pid)
        self.peak = self.base

    def sample(self):
        self.peak = max(self.peak, rss(self.pid))
        return self.peak

    def check(self):
        mib = lambda n: "%.1f MiB" % (n / MiB)
        assert self.peak - self.base < GROWTH_LIMIT, \
            "RSS grew from %s to %s" % (mib(self.base), mib(self.peak))
        if self.base < SANITIZED_BASE:
            assert self.peak < RSS_LIMIT, "RSS reached %s" % mib(self.peak)


def read_slowly(p, first):
    """Read the first bytes of p's stdout (the connection is open), then
    be a slow consumer: 4 KiB every 10 ms for 1.5 s, sampling p's RSS; the
    delay is the subject, not synchronisation. Returns (chunks, watch)."""
    fd = p.stdout.fileno()
    chunks = [os.read(fd, first)]
    watch = RssWatch(p.pid)
    pause = threading.Event()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        chunks.append(os.read(fd, 4096))
        watch.sample()
        pause.wait(0.01)
    return chunks, watch


def read_rest(p, silence, take=None, watch=None):
    """Read the rest of p's stdout at full speed, to its end, failing after
    silence seconds without a byte (progress is counted, not the total:
    sanitizers and valgrind are slow). take(chunk) gets each chunk and
    nothing is kept (else the bytes are returned); watch (an RssWatch) is
    sampled as it goes."""
    fd = p.stdout.fileno()
    kept, got, ended = [], threading.Event(), []

    def reader():
        try:
            while True:
                d = os.read(fd, 1 << 16)
                if not d:
                    break
                if take:
                    take(d)
                else:
                    kept.append(d)
                if watch:
                    watch.sample()
                got.set()
        except Exception as e:      # take's assertion: the test's failure
            ended.append(e)
        ended.append(None)
        got.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    while not ended:
        assert got.wait(silence), "stdout silent for %d s" % silence
        got.clear()
    t.join()
    if ended[0]:
        raise ended[0]
    return b"".join(kept)


def write_lines(p, line, n, batch=1000):
    """In a thread: line(i) + "\n" for i in range(n) to p's stdin, in
    writes of batch lines, then stdin closed."""
    def writer():
        try:
            for i in range(0, n, batch):
                p.stdin.write(b"".join(line(j) + b"\n" for j in
                                       range(i, min(i + batch, n))))
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
    threading.Thread(target=writer, daemon=True).start()


def read_all_slowly(p, first, total, silence):
    """p's whole stdout: read slowly (read_slowly; less than a quarter of
    total bytes then, or the reader was not slow), the RSS bounds checked,
    then the rest (read_rest)."""
    chunks, watch = read_slowly(p, first)
    assert sum(map(len, chunks)) < total // 4, "the reader was not slow"
    watch.check()
    return b"".join(chunks) + read_rest(p, silence)


def test_slow_stdout_reader_memory_stays_flat_and_nothing_is_lost():
    n, size = 20000, 1024
    msg = lambda i: (b"%06d " % i).ljust(size - 1, b"x")  # + "\n" = 1 KiB
    got = {}

    def handler(conn):
        conn.read_request().accept()
        for i in range(n):
            conn.send_frame(OP_TEXT, msg(i))
        conn.send_close(1000)
        op, data = conn.recv_message()
        got["reply"] = op

    with RawServer(handler) as srv:
        p = spawn([srv.url])    # stdin stays open: the server closes
        try:
            out = read_all_slowly(p, size, n * size, 30)  # 20 MiB
            rc = p.wait(10)
            err = p.stderr.read()
            assert srv.done.wait(5), "the server's handler did not finish"
        finally:
            finish(p, sig=signal.SIGKILL)
    assert rc == 0, err
    lines = out.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == n
    assert lines[:-1] == [msg(i) for i in range(n)]
    assert got.get("reply") == OP_CLOSE


def test_server_not_reading_blocks_stdin_and_memory_stays_flat():
    line_len = 16 * 1024
    total = 50 * MiB
    n = total // line_len
    line = lambda i: (b"%08d " % i).ljust(line_len - 1, b"y")
    opened = threading.Event()
    resume = threading.Event()
    got = {"count": 0, "bad": None}

    def handler(conn):
        conn.read_request().accept()
        opened.set()
        resume.wait(30)     # the server does not read until told
        while True:
            op, data = conn.recv_message()
            if op == OP_CLOSE:
                got["close"] = data
                conn.send_frame(OP_CLOSE, data[:2])
                return
            if data != line(got["count"]) and got["bad"] is None:
                got["bad"] = (got["count"], data[:20], len(data))
            got["count"] += 1

    written = [0]
    finished = threading.Event()

    def writer(p):
        try:
            for i in range(n):
                p.stdin.write(line(i) + b"\n")
                written[0] += line_len
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        finished.set()

    with RawServer(handler) as srv:
        p = spawn([srv.url], bufsize=0)
        try:
            assert opened.wait(10), "no handshake"
            watch = RssWatch(p.pid)
            t = threading.Thread(target=writer, args=(p,), daemon=True)
            t.start()
            # wait for the writer to stall: no progress for 0.5 s
            last, since = -1, time.monotonic()
            deadline = time.monotonic() + 15
            tick = threading.Event()
            while time.monotonic() - since < 0.5:
                assert time.monotonic() < deadline, "writer never stalled"
                if finished.is_set():
                    break
                if written[0] != last:
                    last, since = written[0], time.monotonic()
                watch.sample()
                tick.wait(0.02)
            assert p.poll() is None, "wsc exited: %r" % p.stderr.read()
            assert not finished.is_set(), \
                "wsc drained all %d MiB of stdin while the server did not " \
                "read" % (total // MiB)
            assert written[0] < total // 2, written[0]
            watch.sample()
            watch.check()

            resume.set()
            assert finished.wait(30), "the writer never finished"
            rc = p.wait(30)
            err = p.stderr.read()
            assert srv.done.wait(5), "the server's handler did not finish"
        finally:
            resume.set()
            finish(p, sig=signal.SIGKILL)
    assert rc == 0, err
    assert got["bad"] is None, got["bad"]
    assert got["count"] == n
    assert got["close"][:2] == b"\x03\xe8"


def test_idle_connection_costs_no_cpu():
    opened = threading.Event()
    release = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        conn.send_frame(OP_TEXT, b"open")
        opened.set()
        release.wait(30)    # then nothing at all

    with RawServer(handler) as srv:
        p = spawn([srv.url])    # stdin open, nothing written
        try:
            assert read_line(p.stdout, 10, "wsc") == "open"
            ticks0 = cpu_ticks(p.pid)
            ctx0 = status_field(p.pid, "voluntary_ctxt_switches")
            # the elapsed second IS the measurement
            threading.Event().wait(1.0)
            ticks1 = cpu_ticks(p.pid)
            ctx1 = status_field(p.pid, "voluntary_ctxt_switches")
            assert p.poll() is None, "wsc exited while idle"
        finally:
            release.set()
            finish(p, sig=signal.SIGKILL)
    hz = os.sysconf("SC_CLK_TCK")
    cpu_ms = (ticks1 - ticks0) * 1000 / hz
    assert cpu_ms < 20, "idle wsc used %.0f ms of CPU in 1 s" % cpu_ms
    assert ctx1 - ctx0 < 10, "idle wsc woke %d times in 1 s" % (ctx1 - ctx0)
