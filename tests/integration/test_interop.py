"""wsc against other people's servers: websocketd (a program's stdin and
stdout as a WebSocket), node's ws, and python3-websockets."""
import pytest

from harness import run, python_server, node_server, PYTHON, \
    server_on_free_port



# --- websocketd ---

@pytest.fixture
def websocketd(request, tmp_path):
    """Start websocketd for a command on 127.0.0.1; returns its URL. It needs
    the port on its command line, so pick a free one and retry if another
    process took it first."""
    def start(*cmd):
        port = server_on_free_port(request, "websocketd", lambda p: [
            "websocketd", "--port=%d" % p, "--address=127.0.0.1",
            "--loglevel=error"] + list(cmd), cwd=tmp_path)
        return "ws://127.0.0.1:%d/" % port
    return start


def script(tmp_path, name, body):
    p = tmp_path / name
    p.write_text(body)
    return [PYTHON, str(p)]


UPPER = """import sys
for line in sys.stdin:
    print(line.rstrip("\\n").upper(), flush=True)
"""

COUNT = """for i in range(3):
    print("pushed %d" % i, flush=True)
"""


def test_websocketd_cat(websocketd):
    url = websocketd("cat")
    lines = "alpha\nbeta gamma\n\tdelta\n"
    # websocketd may end cat before it has echoed once our Close arrives,
    # so wait for the three echoes (-n 3) instead of closing at end of input
    r = run(["-n", "3", "-w", "inf", url], input=lines)
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines.encode()
    assert r.stderr == b""


def test_websocketd_utf8(websocketd):
    url = websocketd("cat")
    text = "日本語 🎉 Ünïcödé\n"
    r = run(["-n", "1", "-w", "inf", url], input=text)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == text


def test_websocketd_uppercase_script(websocketd, tmp_path):
    url = websocketd(*script(tmp_path, "upper.py", UPPER))
    r = run(["-n", "2", "-w", "inf", url], input="hello\nWorld 42\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"HELLO\nWORLD 42\n"


def test_websocketd_many_lines_in_order(websocketd):
    url = websocketd("cat")
    lines = "".join("line %d\n" % i for i in range(2000))
    r = run(["-n", "2000", "-w", "inf", url], input=lines, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines.encode()


def test_websocketd_program_exits(websocketd, tmp_path):
    """The program prints and exits; websocketd then hangs up without a
    Close frame: everything is printed, and that is an abnormal closure."""
    url = websocketd(*script(tmp_path, "count.py", COUNT))
    r = run(["-w", "inf", url], input="")
    assert r.stdout == b"pushed 0\npushed 1\npushed 2\n"
    assert r.returncode == 1, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: ")
    assert b"1006" in lines[0]


# --- node ws ---

@pytest.fixture
def node_echo(request):
    def start(*protocols):
        s = node_server("node_echo.js", *protocols)
        request.addfinalizer(s.close)
        return "ws://127.0.0.1:%d/" % s.port
    return start


def test_node_ws_echo(node_echo):
    r = run([node_echo()], input="one\ntwo\nthree\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\ntwo\nthree\n"
    assert r.stderr == b""


def test_node_ws_binary(node_echo):
    data = bytes(range(1, 256)).replace(b"\n", b"")
    r = run(["-b", node_echo()], input=data + b"\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == data + b"\n"


def test_node_ws_one_mib_message(node_echo):
    big = b"x" * (1024 * 1024)
    r = run([node_echo()], input=big + b"\n", timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == big + b"\n"


def test_node_ws_subprotocol(node_echo):
    r = run(["-s", "other", "-s", "chat", node_echo("chat")], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"wsc: ")
    assert b"chat" in lines[0] and b"no subprotocol" not in lines[0]


def test_node_ws_execute(node_echo):
    r = run(["-x", "first", "-x", "second", node_echo()], input="")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"first\nsecond\n"


# --- python3-websockets ---

@pytest.fixture
def py_echo(request):
    def start(*protocols):
        s = python_server("websockets_echo.py", *protocols)
        request.addfinalizer(s.close)
        return "ws://127.0.0.1:%d/" % s.port
    return start


def test_python_websockets_echo(py_echo):
    # python3-websockets answers our Close before its handler has echoed:
    # wait for the echoes
    r = run(["-n", "3", "-w", "inf", py_echo()], input="a\nb b\nc\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\nb b\nc\n"
    assert r.stderr == b""


def test_python_websockets_binary(py_echo):
    data = bytes(range(256)).replace(b"\n", b"")
    r = run(["-b", "-n", "1", "-w", "inf", py_echo()], input=data + b"\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == data + b"\n"


def test_python_websockets_subprotocol(py_echo):
    r = run(["-s", "chat,superchat", "-n", "1", "-w", "inf",
             py_echo("superchat")], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hi\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and b"superchat" in lines[0]


def test_python_websockets_null_delimited(py_echo):
    r = run(["-0", "-n", "2", "-w", "inf", py_echo()],
            input=b"multi\nline\0second\0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"multi\nline\0second\0"
