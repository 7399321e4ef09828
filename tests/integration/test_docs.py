"""Every `$ wsc ...` example in README.md and the man page's EXAMPLES runs,
against a local echo server, and prints what the document says."""
import os
import re
import subprocess

import pytest

from harness import ROOT, WSC, python_server
from wsproto import RawServer, echo_handler


def readme_examples():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ "), block
        out.append((lines[0][2:], "\n".join(lines[1:])))
    return out


def man_examples():
    path = os.path.join(ROOT, "man", "wsc.1.scd")
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^# EXAMPLES\n(.*?)(?=^# )", text, re.S | re.M)
    assert m, "the man page has no EXAMPLES section"
    out = []
    for block in re.findall(r"```\n(.*?)```", m.group(1), re.S):
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ "), block
        out.append((lines[0][2:], "\n".join(lines[1:])))
    return out


EXAMPLES = [("README", c, e) for c, e in readme_examples()] + \
           [("man", c, e) for c, e in man_examples()]


def test_there_are_examples():
    assert len(readme_examples()) >= 3
    assert len(man_examples()) >= 3


class PythonEcho:
    """python3-websockets, which sends nothing once it has read a Close."""

    def __enter__(self):
        self.s = python_server("websockets_echo.py")
        self.port = self.s.port
        return self

    def __exit__(self, *a):
        self.s.close()


@pytest.mark.parametrize("where,cmd,expect", EXAMPLES,
                         ids=[f"{w}:{c}" for w, c, _ in EXAMPLES])
@pytest.mark.parametrize("peer", ["raw", "python-websockets"])
def test_example(where, cmd, expect, peer):
    with (RawServer(echo_handler) if peer == "raw" else PythonEcho()) as srv:
        sh = cmd.replace("PORT", str(srv.port))
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(WSC) + ":" + env["PATH"]
        r = subprocess.run(["bash", "-o", "pipefail", "-c", sh], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().rstrip("\n") == expect.rstrip("\n")


def test_manual_reads_from_a_checkout(tmp_path):
    """The README's way to read the manual before any build, tools/man,
    renders the page source with scdoc and shows it with man: every section
    of man/wsc.1.scd is on the page, from any directory, and the rendered
    temporary file is removed."""
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "`tools/man`" in readme, "the README no longer says tools/man"
    scd = open(os.path.join(ROOT, "man", "wsc.1.scd"), encoding="utf-8").read()
    sections = re.findall(r"^# (.+)$", scd, re.M)
    assert len(sections) >= 10, sections
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, MANPAGER="cat", MANWIDTH="80", TMPDIR=str(tmp))
    r = subprocess.run([os.path.join(ROOT, "tools", "man")], cwd=tmp_path,
                       env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    page = r.stdout
    assert re.search(r"^wsc\(1\) ", page), page[:200]
    for section in sections:
        assert re.search(r"^%s$" % re.escape(section), page, re.M), section
    assert "wsc - command-line WebSocket client" in page
    assert list(tmp.iterdir()) == []
