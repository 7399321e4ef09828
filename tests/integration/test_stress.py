"""Nothing lost under stress: a million lines in to a server that reads
slowly, a million messages out through a slow consumer (pv -L), every
message exactly once and in order, memory flat. Peak RSS is printed so the
README can record it (pytest -s shows it)."""
import hashlib
import os
import subprocess
import threading

from harness import WSC

# AddressSanitizer's quarantine keeps freed memory for a while, which would
# read as growth here: keep it small. LeakSanitizer's scan at exit takes
# several MiB for an instant, which the sampler below catches or misses
# (a one-message session peaked anywhere from 14 to 24 MiB): off here, the
# other tests check for leaks.
ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
           ":quarantine_size_mb=4:detect_leaks=0")
from wsproto import RawServer

N = int(os.environ.get("WSC_STRESS_N", "1000000"))


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def watch_rss(proc, out):
    """Sample the peak while the process lives (VmHWM is a high-water
    mark, so the last sample is the peak)."""
    ev = threading.Event()
    while proc.poll() is None:
        try:
            out[0] = max(out[0], peak_rss_kib(proc.pid))
        except (FileNotFoundError, ProcessLookupError):
            break
        ev.wait(0.05)


_baseline = []


def baseline_kib():
    """Peak RSS of a tiny session with the same binary (sanitizer builds
    start much bigger), so the stress tests bound the growth."""
    if not _baseline:
        from wsproto import echo_handler
        with RawServer(echo_handler) as srv:
            p = subprocess.Popen([WSC, "-x", "hi", "-w", "0.3", srv.url],
                                 env=ENV, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            rss = [0]
            watch_rss(p, rss)
            p.communicate(timeout=20)
        _baseline.append(rss[0])
    return _baseline[0]


def fast_sink(conn, throttle):
    """Read masked text frames in bulk (the generic parser copies too much
    for a million frames), check each is 'line N', answer the Close."""
    buf = conn.buf
    pos = 0
    n = 0
    while True:
        need = 2 if len(buf) - pos < 2 else \
            {126: 4, 127: 10}.get(buf[pos + 1] & 0x7f, 2)
        if len(buf) - pos < need:
            d = conn.sock.recv(1 << 18)
            if not d:
                raise EOFError
            buf = buf[pos:] + d
            pos = 0
            continue
        b0, b1 = buf[pos], buf[pos + 1]
        ln = b1 & 0x7f
        hl = 2
        if ln == 126:
            ln = int.from_bytes(buf[pos + 2:pos + 4], "big")
            hl = 4
        elif ln == 127:
            ln = int.from_bytes(buf[pos + 2:pos + 10], "big")
            hl = 10
        if len(buf) - pos < hl + 4 + ln:
            d = conn.sock.recv(1 << 18)
            if not d:
                raise EOFError
            buf = buf[pos:] + d
            pos = 0
            continue
        mask = buf[pos + hl:pos + hl + 4]
        data = buf[pos + hl + 4:pos + hl + 4 + ln]
        pos += hl + 4 + ln
        m = (mask * (ln // 4 + 1))[:ln]
        data = (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")) \
            .to_bytes(ln, "big")
        op = b0 & 0x0f
        if op == 8:
            conn.send_frame(8, data[:2])
            return n
        if op == 9:     # the Ping after the last line: answer it
            conn.send_frame(10, data)
            continue
        assert b0 == 0x81 and data == b"line %d" % n, (b0, data, n)
        n += 1
        if n % 50000 == 0:
            throttle.wait(0.05)   # a slow reader, on purpose


def test_million_lines_in_slow_server():
    result = []
    throttle = threading.Event()

    def handler(conn):
        conn.read_request().accept()
        result.append(fast_sink(conn, throttle))

    payload = b"".join(b"line %d\n" % i for i in range(N))
    with RawServer(handler) as srv:
        # the server is still reading for seconds after our Close
        p = subprocess.Popen([WSC, "--close-timeout", "60", srv.url],
                             stdin=subprocess.PIPE, env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        rss = [0]
        t = threading.Thread(target=watch_rss, args=(p, rss), daemon=True)
        t.start()
        out, err = p.communicate(payload, timeout=120)
        t.join()
    assert p.returncode == 0, err
    assert result == [N]
    base = baseline_kib()
    print("\npeak RSS sending %d lines to a slow server: %d KiB "
          "(a one-message session: %d KiB)" % (N, rss[0], base))
    assert rss[0] - base < 16 * 1024


def test_million_messages_out_slow_consumer():
    def handler(conn):
        conn.read_request().accept()
        batch = []
        for i in range(N):
            batch.append(b"\x81" + bytes([len(b"msg %d" % i)]) + b"msg %d" % i)
            if len(batch) == 5000:
                conn.send_raw(b"".join(batch))
                batch = []
        conn.send_raw(b"".join(batch))
        conn.send_close(1000)
        conn.recv_message()

    with RawServer(handler) as srv:
        # wsc -> pv -L 4m (slow) -> sha256
        p = subprocess.Popen([WSC, "-w", "inf", srv.url], env=ENV,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        pv = subprocess.Popen(["pv", "-q", "-L", "4m"], stdin=p.stdout,
                              stdout=subprocess.PIPE)
        p.stdout.close()
        rss = [0]
        t = threading.Thread(target=watch_rss, args=(p, rss), daemon=True)
        t.start()
        h = hashlib.sha256()
        lines = 0
        for chunk in iter(lambda: pv.stdout.read(1 << 16), b""):
            h.update(chunk)
            lines += chunk.count(b"\n")
        pv.wait(120)
        p.wait(120)
        t.join()
        err = p.stderr.read()
    expected = hashlib.sha256(b"".join(b"msg %d\n" % i for i in range(N)))
    assert p.returncode == 0, err
    assert lines == N
    assert h.hexdigest() == expected.hexdigest()
    base = baseline_kib()
    print("\npeak RSS receiving %d messages through pv -L 4m: %d KiB "
          "(a one-message session: %d KiB)" % (N, rss[0], base))
    assert rss[0] - base < 16 * 1024
