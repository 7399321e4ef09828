"""--http2 at volume: 10^6 lines each way through HAProxy's HTTP/2 front
end (TLS, ALPN h2; the fixtures are test_http2's) with a slow reader of
stdout. Not run under valgrind: its time and memory are not wsc's."""
import os
import signal

from harness import finish, spawn
from test_flow import read_rest, read_slowly, write_lines
from test_http2 import cert, haproxy  # noqa: F401 - fixtures


def test_a_million_lines_each_way_through_haproxy(haproxy):
    """10^6 lines out and back through HAProxy's HTTP/2 front end (TLS,
    ALPN h2) while stdout is read slowly at first: every line comes back
    in order, and wsc's RSS stays flat over the whole run (100 MB each
    way). The reader checks each line as it comes rather than keep them;
    the time allowed counts silence, not the total."""
    port, _ = haproxy
    n = 10 ** 6
    line = lambda i: b"%07d " % i + b"m" * 92           # + "\n": 101 bytes
    # ASan keeps freed memory in quarantine (256 MiB by default), which
    # buffers freed over 10^6 messages fill: that RSS is ASan's, not wsc's
    asan = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    p = spawn(["--http2", "-k", "wss://127.0.0.1:%d/" % port],
              env={"ASAN_OPTIONS": asan})
    try:
        write_lines(p, line, n, 2000)
        chunks, watch = read_slowly(p, 101)
        assert sum(map(len, chunks)) < n * 101 // 4, "the reader was not slow"
        seen = {"next": 0, "part": b""}

        def take(data):
            lines = (seen["part"] + data).split(b"\n")
            seen["part"] = lines.pop()
            i = seen["next"]
            assert lines == [line(j) for j in range(i, i + len(lines))], \
                "a line lost or out of order after line %d" % i
            seen["next"] = i + len(lines)
        take(b"".join(chunks))
        read_rest(p, 30, take=take, watch=watch)
        watch.check()
        rc = p.wait(10)
        err = p.stderr.read()
    finally:
        finish(p, sig=signal.SIGKILL)
    assert rc == 0, err
    assert seen == {"next": n, "part": b""}
