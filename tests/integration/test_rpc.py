"""--rpc: each message with a "method" gets an "id" (inserted, the rest
of its bytes kept), its reply is paired by id with its round trip, the
end of input waits for every outstanding reply, a reply that does not
come within --expect-timeout is exit 4 and error replies exit 5. Against
a JSON-RPC 2.0 server written here (out-of-order replies, notifications
in between, errors) and Chromium's DevTools endpoint."""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

from harness import (PYTHON, SERVE_HANDLER, WSC, ServerProcess, finish,
                     python_server, read_line, run)
from tty import Tmux

# A JSON-RPC 2.0 server (python3-websockets). argv[1]: a file where it
# writes each message it receives, one per line. Methods:
#   sleep   answered after params.ms milliseconds (so later requests are
#           answered first)
#   fail    answered with an error
#   evil    answered with an error whose text holds a raw C1 control
#   float   answered with the id written as a decimal (1 as 1.0)
#   garble  first sent what is not a reply: text that is not JSON, JSON
#           cut short, a binary message holding the id, then answered
#   never   not answered
#   hold    held until 0.5 s pass without a message, then all answered;
#           the file gets "held N" for each batch
#   close   closes the connection (1000)
#   other   answered at once with result = params
# Each answer is preceded by a notification ("tick"). Messages that are
# not JSON objects with a method are not answered.
SERVER = r'''
import asyncio, json, sys, websockets

LOG = open(sys.argv[1], "a")

async def handler(ws, path=None):
    held = []
    timer = None

    async def answer(obj, delay=0.0):
        if delay:
            await asyncio.sleep(delay)
        await ws.send('{"jsonrpc":"2.0","method":"tick","params":{}}')
        await ws.send(json.dumps(obj, separators=(",", ":")))

    async def release():
        await asyncio.sleep(0.5)
        LOG.write("held %d\n" % len(held)); LOG.flush()
        batch = held[:]
        held.clear()
        for rid in batch:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid,
                                      "result": "ok"}))

    try:
        async for m in ws:
            if not m.startswith('{"method":"hold"'):
                LOG.write("got " + m + "\n"); LOG.flush()
            try:
                req = json.loads(m)
            except ValueError:
                continue
            if not isinstance(req, dict) or "method" not in req:
                continue
            meth, rid = req["method"], req.get("id")
            if meth == "never":
                continue
            if meth == "close":
                await ws.close(1000)
                break
            if meth == "hold":
                held.append(rid)
                if timer:
                    timer.cancel()
                timer = asyncio.ensure_future(release())
            elif meth == "fail":
                asyncio.ensure_future(answer({"jsonrpc": "2.0", "id": rid,
                    "error": {"code": -32000, "message": "boom"}}))
            elif meth == "float":
                # the id written as 1.0: equal to 1 as a JSON value
                await ws.send('{"id":%s.0,"result":1}' % rid)
            elif meth == "garble":
                await ws.send('not json {"id":%s}' % json.dumps(rid))
                await ws.send('{"id":%s,"result":' % json.dumps(rid))
                await ws.send(b'{"id":%s,"result":0}' % json.dumps(rid)
                              .encode())
                await ws.send('{"id":%s,"result":"ok"}' % json.dumps(rid))
            elif meth == "evil":
                # a C1 control (CSI) raw in the error's text
                await ws.send('{"id":%s,"error":{"message":"\u00e9\x9b2J"}}'
                              % json.dumps(rid))
            elif meth == "sleep":
                asyncio.ensure_future(answer({"jsonrpc": "2.0", "id": rid,
                    "result": "slept"}, req["params"]["ms"] / 1000))
            else:
                asyncio.ensure_future(answer({"jsonrpc": "2.0", "id": rid,
                    "result": req.get("params")}))
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    LOG.write("closed %s\n" % ws.close_code); LOG.flush()

''' + SERVE_HANDLER


class RpcServer:
    def __enter__(self):
        fd, self.log = tempfile.mkstemp(prefix="wsc-rpc-")
        os.close(fd)
        self.srv = ServerProcess([PYTHON, "-c", SERVER, self.log])
        self.url = "ws://127.0.0.1:%d/" % self.srv.port
        return self

    def lines(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def wait_closed(self):
        deadline = time.monotonic() + 10
        while not any(l.startswith("closed") for l in self.lines()):
            assert time.monotonic() < deadline, self.lines()
            time.sleep(0.02)
        return [l for l in self.lines() if l.startswith("closed")][0]

    def __exit__(self, *a):
        self.srv.close()
        os.unlink(self.log)


def reply_lines(err):
    return re.findall(r"^wsc: reply to (\S+) \((\S+)\) in [0-9]+\.[0-9]{3} "
                      r"ms$", err, re.M)


def test_ids_inserted_replies_paired_out_of_order_bytes_kept():
    lines = [
        '{"jsonrpc":"2.0","method":"sleep","params":{"ms":600}}',
        '{"jsonrpc":"2.0","method":"echo","params":[12345678901234567891]}',
        '  {"jsonrpc":"2.0" , "id":"mine","method":"echo","params":[]}',
        'not json',
        '[{"method":"in an array"}]',
        '{"jsonrpc":"2.0","method":"echo","params":{"a":"\\u00e9"}}',
    ]
    with RpcServer() as s:
        t0 = time.monotonic()
        r = run(["--rpc", s.url], input="\n".join(lines) + "\n")
        elapsed = time.monotonic() - t0
        closed = s.wait_closed()
        got = [l[4:] for l in s.lines() if l.startswith("got ")]
    assert r.returncode == 0, r.stderr
    # ids counted from 1 inserted right after '{'; every other byte kept
    assert got == [
        '{"id":1,"jsonrpc":"2.0","method":"sleep","params":{"ms":600}}',
        '{"id":2,"jsonrpc":"2.0","method":"echo","params":'
        '[12345678901234567891]}',
        '  {"jsonrpc":"2.0" , "id":"mine","method":"echo","params":[]}',
        'not json',
        '[{"method":"in an array"}]',
        '{"id":3,"jsonrpc":"2.0","method":"echo","params":{"a":"\\u00e9"}}',
    ]
    out = r.stdout.decode().splitlines()
    replies = [json.loads(l) for l in out if '"id"' in l]
    # the slow first request is answered last: wsc waited for it after
    # the end of input, with no -w
    assert [m["id"] for m in replies] == [2, "mine", 3, 1], out
    assert replies[0]["result"] == [12345678901234567891]
    assert elapsed >= 0.6
    # notifications print as they come
    assert out.count('{"jsonrpc":"2.0","method":"tick","params":{}}') == 4
    assert reply_lines(r.stderr.decode()) == [
        ("2", "echo"), ('"mine"', "echo"), ("3", "echo"), ("1", "sleep")]
    assert closed == "closed 1000"


def test_replies_that_are_not_json_print_and_leave_the_pairing_alone():
    with RpcServer() as s:
        r = run(["--rpc", s.url], input='{"method":"garble"}\n'
                '{"method":"echo","params":7}\n')
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    # every message printed, and only the real reply paired
    assert out[:4] == ['not json {"id":1}', '{"id":1,"result":',
                       '{"id":1,"result":0}', '{"id":1,"result":"ok"}'], out
    assert reply_lines(r.stderr.decode()) == [("1", "garble"), ("2", "echo")]


def test_reply_lines_follow_their_replies():
    # the reply lines wait to go out with the stdout batch they follow:
    # into a pipe, all of them, in order, after the error one's place kept
    lines = "".join('{"method":"%s","params":[%d]}\n' % (
        "fail" if i == 150 else "echo", i) for i in range(300))
    with RpcServer() as s:
        r = run(["--rpc", s.url], input=lines)
    assert r.returncode == 5, r.stderr
    err = r.stderr.decode().splitlines()
    said = [int(re.match(r"wsc: (?:error )?reply to (\d+) ", l).group(1))
            for l in err[:-1]]
    assert said == list(range(1, 301)), err
    assert err[150].startswith("wsc: error reply to 151 (fail)"), err
    assert err[-1] == "wsc: 1 of 300 replies was an error", err
    # on a terminal (stdout and stderr one screen) each line comes right
    # after its reply ("< " marks a message on a terminal)
    with RpcServer() as s, Tmux(
            ["-c", "printf '%s' | %s --rpc %s" % (
                '{"method":"echo","params":[7]}\\n' * 3, WSC, s.url)],
            program="bash", height=40) as t:
        assert t.exit_status() == 0
        screen = [l for l in t.screen(history=True).splitlines()
                  if l and "tick" not in l]
    assert len(screen) == 6, screen
    for i in range(3):
        assert json.loads(screen[2 * i][2:])["id"] == i + 1, screen
        assert screen[2 * i + 1].startswith(
            "wsc: reply to %d (echo) in " % (i + 1)), screen


def test_ids_compare_as_json_values():
    with RpcServer() as s:
        r = run(["--rpc", "--expect-timeout", "5", s.url],
                input='{"method":"float"}\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == '{"id":1.0,"result":1}\n'
    assert reply_lines(r.stderr.decode()) == [("1", "float")]


def test_without_requests_the_end_of_input_is_as_without_rpc():
    # nothing is paired: the usual end-of-input wait keeps the echoes that
    # python3-websockets would not send after our Close
    with python_server("websockets_echo.py", "--delay", "0.05") as srv:
        r = run(["--rpc", "ws://127.0.0.1:%d/" % srv.port],
                input="one\n[1]\n{\"no\":\"method\"}\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == 'one\n[1]\n{"no":"method"}\n'
    assert not reply_lines(r.stderr.decode())


def test_missing_reply_is_status_4_after_expect_timeout():
    with RpcServer() as s:
        t0 = time.monotonic()
        r = run(["--rpc", "--expect-timeout", "1", s.url],
                input='{"method":"echo"}\n{"method":"never"}\n'
                      '{"method":"echo"}\n')
        elapsed = time.monotonic() - t0
        closed = s.wait_closed()
    assert r.returncode == 4, r.stderr
    assert elapsed >= 1
    err = r.stderr.decode()
    assert reply_lines(err) == [("1", "echo"), ("3", "echo")], err
    assert [l for l in err.splitlines() if not l.startswith("wsc: reply to")] == [
        "wsc: no reply to 2 (never): timed out (--expect-timeout) after "
        "1.0 s"], err
    assert closed == "closed 1000"


def test_error_replies_are_said_counted_and_exit_5():
    with RpcServer() as s:
        r = run(["--rpc", s.url], input='{"method":"fail"}\n'
                '{"method":"echo"}\n{"method":"fail","params":[]}\n')
    assert r.returncode == 5, r.stderr
    err = r.stderr.decode().splitlines()
    errors = [l for l in err if l.startswith("wsc: error reply")]
    assert len(errors) == 2, err
    assert re.match(r'wsc: error reply to 1 \(fail\) in [0-9.]+ ms: '
                    r'\{"code":-32000,"message":"boom"\}$', errors[0]), err
    assert err[-1] == "wsc: 2 of 3 replies were errors", err
    # -q drops the round-trip lines, not the errors
    with RpcServer() as s:
        r = run(["-q", "--rpc", s.url], input='{"method":"fail"}\n'
                '{"method":"echo"}\n')
    assert r.returncode == 5, r.stderr
    err = r.stderr.decode().splitlines()
    assert len(err) == 2 and err[0].startswith("wsc: error reply to 1"), err
    assert err[1] == "wsc: 1 of 2 replies was an error", err
    # the server's text cannot drive the terminal: C1 controls escaped
    with RpcServer() as s:
        r = run(["-q", "--rpc", s.url], input='{"method":"evil"}\n')
    assert r.returncode == 5, r.stderr
    assert b"\xc2\x9b" not in r.stderr
    assert r.stderr.decode().startswith(
        'wsc: error reply to 1 (evil) in '), r.stderr
    assert ': {"message":"\u00e9\\u009b2J"}\n' in r.stderr.decode(), \
        r.stderr


def test_jsonl_message_events_carry_id_and_round_trip():
    with RpcServer() as s:
        r = run(["-j", "--rpc", s.url], input='{"method":"echo"}\n'
                '{"method":"fail"}\n')
    assert r.returncode == 5, r.stderr
    events = [json.loads(l) for l in r.stdout.decode().splitlines()]
    msgs = [e for e in events if e["event"] == "message"]
    assert len(msgs) == 4
    ticks = [m for m in msgs if "id" not in m]
    replies = [m for m in msgs if "id" in m]
    assert len(ticks) == 2 and all("rtt_ms" not in m for m in ticks)
    assert [(m["id"], m["method"]) for m in replies] == [
        (1, "echo"), (2, "fail")]
    assert all(isinstance(m["rtt_ms"], float) and m["rtt_ms"] >= 0
               for m in replies)
    assert replies[1]["rpc_error"] is True and "rpc_error" not in replies[0]
    assert json.loads(replies[0]["data"])["id"] == 1
    # no round-trip lines on stderr with -j: they are in the events
    assert not reply_lines(r.stderr.decode())


def test_script_steps_are_paired_and_compose_with_expect_json():
    with RpcServer() as s:
        r = run(["--rpc", "-x", '{"method":"echo","params":"one"}',
                 "--expect-json", "result=one",
                 "-x", '{"method":"echo","params":"two"}', s.url])
    assert r.returncode == 0, r.stderr
    assert reply_lines(r.stderr.decode()) == [("1", "echo"), ("2", "echo")]
    assert r.stdout.decode().splitlines()[-1] == \
        '{"jsonrpc":"2.0","id":2,"result":"two"}'


def test_outstanding_requests_are_bounded():
    # the server answers only once wsc stops sending: wsc must stop at
    # its window (1024, plus at most one read of input) and go on as
    # replies come; every request is answered in the end
    n = 4000
    lines = "".join('{"method":"hold","params":[%d]}\n' % i
                    for i in range(n))
    with RpcServer() as s:
        r = run(["-q", "--rpc", "--expect-timeout", "30", s.url],
                input=lines, timeout=60)
        batches = [int(l.split()[1]) for l in s.lines()
                   if l.startswith("held ")]
    assert r.returncode == 0, r.stderr
    assert sum(batches) == n
    assert len(batches) >= 2 and max(batches) < 1024 + 2000, batches
    assert len(r.stdout.decode().splitlines()) == n


def test_connection_closed_with_replies_outstanding_is_status_4():
    with RpcServer() as s:
        r = run(["--rpc", s.url], input='{"method":"never"}\n'
                '{"method":"close"}\n')
    assert r.returncode == 4, r.stderr
    assert "wsc: no reply to 1 (never): the connection closed (1 more " \
        "outstanding)" in r.stderr.decode()


def test_usage_errors():
    for args, line in [
            (["--rpc", "--reconnect"], "wsc: --rpc cannot be used with "
             "--reconnect"),
            (["--rpc", "-b"], "wsc: --rpc sends JSON text: it cannot be "
             "used with -b"),
    ]:
        r = run(args + ["ws://127.0.0.1:1/"])
        assert r.returncode == 2, r.stderr
        assert r.stderr.decode().startswith(line)
    r = run(["--rpc", "--listen", "0"])
    assert r.returncode == 2
    assert "--rpc is a client option" in r.stderr.decode()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def devtools(tmp_path):
    """Debian's Chromium, headless, with its DevTools endpoint on a free
    loopback port; yields the browser's ws:// URL; killed at teardown."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("chromium not found at %s (tools/deps installs it)" %
                    CHROMIUM)
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--user-data-dir=%s" % tmp_path,
         "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None:
            line = read_line(proc.stderr, max(1, deadline - time.monotonic()),
                             "chromium")
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            url = m and m.group(1)
        yield url
    finally:
        # chromium's child processes are in its process group: end them all
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        finish(proc, sig=None)


def test_chromium_devtools(devtools):
    r = run(["--rpc", devtools], input='{"method":"Browser.getVersion"}\n'
            '{"method":"Target.getTargets"}\n{"method":"Wsc.noSuchMethod"}\n')
    # every reply came, one of them an error: status 5
    assert r.returncode == 5, r.stderr
    out = [json.loads(l) for l in r.stdout.decode().splitlines()]
    byid = {m["id"]: m for m in out if "id" in m}
    assert "Chrome/" in byid[1]["result"]["product"]
    assert "targetInfos" in byid[2]["result"]
    assert "error" in byid[3] and "result" not in byid[3], byid[3]
    err = r.stderr.decode()
    assert sorted(reply_lines(err)) == [
        ("1", "Browser.getVersion"), ("2", "Target.getTargets")]
    assert re.search(r"^wsc: error reply to 3 \(Wsc\.noSuchMethod\) in "
                     r"[0-9.]+ ms: \{.*\}$", err, re.M), err
    assert err.splitlines()[-1] == "wsc: 1 of 3 replies was an error", err
