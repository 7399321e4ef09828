"""
Sync test: `wsc --help` is the truth. Every option it lists must be in the
man page source and in the bash, zsh and fish completions, and nothing may
be documented or completed that --help lacks (curl's test1139, scaled down).
Also renders the built man page when WSC_MAN names it.
"""
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WSC = os.environ.get("WSC", str(ROOT / "build-test" / "src" / "wsc"))
MAN_SRC = ROOT / "man" / "wsc.1.scd"
BASH = ROOT / "completions" / "bash" / "wsc"
ZSH = ROOT / "completions" / "zsh" / "_wsc"
FISH = ROOT / "completions" / "fish" / "wsc.fish"

# "  -x, --execute MSG   help"  or  "      --proxy URL   help"
HELP_OPT = re.compile(r"^  (?:-([A-Za-z0-9]), )?(?:    )?--([a-z0-9][a-z0-9-]*)"
                      r"(?: (\S+))?")
# arguments that name files: completed as file names by every shell
FILE_METAVARS = {"FILE", "PATH"}
# an option token in running text: -x or --long, not part of a word
# ("UTF-8", "non-101", "Sec-WebSocket-Key") nor a path or URL
SHORT_TOKEN = re.compile(r"(?<![\w/.-])-([A-Za-z0-9])(?![\w-])")
LONG_TOKEN = re.compile(r"(?<![\w/.-])--([a-z0-9][a-z0-9-]*)")


class Options:
    def __init__(self, shorts, longs, pairs, file_longs):
        self.shorts = shorts    # {"x", ...}
        self.longs = longs      # {"execute", ...}
        self.pairs = pairs      # [("x", "execute"), (None, "proxy"), ...]
        self.file_longs = file_longs    # {"ca", ...}: take a FILE or PATH


def parse_help():
    res = subprocess.run([WSC, "--help"], capture_output=True, text=True,
                         timeout=10)
    assert res.returncode == 0, res.stderr
    pairs, file_longs = [], set()
    for line in res.stdout.splitlines():
        m = HELP_OPT.match(line)
        if m:
            pairs.append((m.group(1), m.group(2)))
            if m.group(3) in FILE_METAVARS:
                file_longs.add(m.group(2))
    return pairs, file_longs


@pytest.fixture(scope="module")
def helpopts():
    if not os.access(WSC, os.X_OK):
        pytest.fail(f"wsc binary not found: {WSC} (set WSC)")
    pairs, file_longs = parse_help()
    # guard against a parser that silently finds nothing
    assert len(pairs) >= 10, f"too few options parsed from --help: {pairs}"
    assert ("h", "help") in pairs and ("V", "version") in pairs, pairs
    assert (None, "pretty") in pairs or ("", "pretty") in pairs, pairs
    shorts = {s for s, _ in pairs if s}
    longs = {lo for _, lo in pairs}
    return Options(shorts, longs, pairs, file_longs)


def tokens(text):
    return (set(SHORT_TOKEN.findall(text)), set(LONG_TOKEN.findall(text)))


def strip_comments(text):
    return "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#"))


# --- man page ---

def man_options_section():
    text = MAN_SRC.read_text()
    m = re.search(r"^# OPTIONS\n(.*?)(?=^# )", text, re.S | re.M)
    assert m, "man/wsc.1.scd has no '# OPTIONS' section"
    return m.group(1)


def man_entries():
    """(short, long) for each '*-x, --long*' / '*--long*' entry line."""
    return re.findall(r"^\*(?:-([A-Za-z0-9]), )?--([a-z0-9][a-z0-9-]*)\*",
                      man_options_section(), re.M)


def test_man_documents_every_option(helpopts):
    entries = set(man_entries())
    missing = [p for p in helpopts.pairs if (p[0] or "", p[1]) not in entries]
    assert not missing, (
        "options in --help without a '*-x, --long*' entry in "
        f"man/wsc.1.scd OPTIONS: {missing}")


def test_man_documents_nothing_else(helpopts):
    section = man_options_section()
    helppairs = {(s or "", lo) for s, lo in helpopts.pairs}
    extra_entries = [e for e in man_entries() if e not in helppairs]
    shorts, longs = tokens(section)
    assert not extra_entries, f"man entries not in --help: {extra_entries}"
    assert shorts <= helpopts.shorts, (
        f"man OPTIONS mentions unknown short options: "
        f"{sorted(shorts - helpopts.shorts)}")
    assert longs <= helpopts.longs, (
        f"man OPTIONS mentions unknown long options: "
        f"{sorted(longs - helpopts.longs)}")


def test_man_groups_match_help(helpopts):
    """The OPTIONS subsections are --help's groups, in the same order."""
    res = subprocess.run([WSC, "--help"], capture_output=True, text=True,
                         timeout=10)
    help_groups = re.findall(r"^([A-Z][A-Za-z ]*):$", res.stdout, re.M)
    man_groups = re.findall(r"^## (.+)$", man_options_section(), re.M)
    assert man_groups == help_groups


# --- completions ---

# Flags of the shells' own commands, which share the option syntax; they
# are removed before looking for wsc options.
BASH_BUILTINS = re.compile(
    r"\b(?:compgen|complete|compopt)((?:\s+[-+][A-Za-z]+(?:\s+[\w]+)?)*)")
ZSH_BUILTINS = re.compile(
    r"\b(?:_arguments|_files|_urls|compdef)((?:\s+-[A-Za-z]+)*)")


def bash_options():
    """(offered, mentioned): the opts="..." word list, and every option
    named anywhere in the file (case patterns included)."""
    text = strip_comments(BASH.read_text())
    m = re.search(r'\bopts="([^"]*)"', text)
    assert m, 'completions/bash/wsc: no opts="..." word list'
    return tokens(m.group(1)), tokens(BASH_BUILTINS.sub("", text))


def zsh_options():
    """(offered, mentioned): the heads of the _arguments specs
    ({-x+,--execute=}'[...]' or '--proxy=[...]'), and every option named
    outside the [description] texts (exclusion lists included)."""
    text = strip_comments(ZSH.read_text())
    text = ZSH_BUILTINS.sub("", text)
    heads = re.findall(r"\{([^{}]*)\}'\[", text)
    heads += re.findall(r"(--?[A-Za-z0-9][\w-]*?)[-+=]{0,2}\[", text)
    offered = tokens(" ".join(h.replace(",", " ") for h in heads)
                     .replace("+", "").replace("=", ""))
    # the [description] texts are prose, not options
    return offered, tokens(re.sub(r"\[[^]]*\]", "", text))


def fish_options():
    """(offered, mentioned): both are the -s/-l values of complete lines."""
    shorts, longs = set(), set()
    for line in strip_comments(FISH.read_text()).splitlines():
        words = shlex.split(line)
        if not words:
            continue
        assert words[0] == "complete", f"unexpected line in wsc.fish: {line}"
        for flag, value in zip(words, words[1:]):
            if flag in ("-s", "--short-option"):
                shorts.add(value)
            elif flag in ("-l", "--long-option"):
                longs.add(value)
            elif flag in ("-o", "--old-option"):
                pytest.fail(f"wsc has no old-style options: {line}")
    return (shorts, longs), (shorts, longs)


COMPLETIONS = {
    "bash": (BASH, bash_options),
    "zsh": (ZSH, zsh_options),
    "fish": (FISH, fish_options),
}


@pytest.mark.parametrize("shell", sorted(COMPLETIONS))
def test_completion_covers_every_option(helpopts, shell):
    path, parse = COMPLETIONS[shell]
    assert path.is_file(), f"missing {path}"
    (shorts, longs), _ = parse()
    assert not helpopts.shorts - shorts, (
        f"{path.name} lacks short options "
        f"{sorted(helpopts.shorts - shorts)}")
    assert not helpopts.longs - longs, (
        f"{path.name} lacks long options {sorted(helpopts.longs - longs)}")


@pytest.mark.parametrize("shell", sorted(COMPLETIONS))
def test_completion_offers_nothing_else(helpopts, shell):
    path, parse = COMPLETIONS[shell]
    _, (shorts, longs) = parse()
    assert not shorts - helpopts.shorts, (
        f"{path.name} mentions unknown short options "
        f"{sorted(shorts - helpopts.shorts)}")
    assert not longs - helpopts.longs, (
        f"{path.name} mentions unknown long options "
        f"{sorted(longs - helpopts.longs)}")


def test_zsh_pairs_match_help(helpopts):
    """In _wsc, -x and --execute are one spec: {-x+,--execute=}."""
    text = ZSH.read_text()
    for short, long in helpopts.pairs:
        if short:
            pat = r"\{-%s\+?,--%s=?\}" % (re.escape(short), re.escape(long))
            assert re.search(pat, text), f"_wsc: no {{-{short},--{long}}}"


def test_fish_pairs_match_help(helpopts):
    """Each fish line names the short and long form together."""
    found = set()
    for line in strip_comments(FISH.read_text()).splitlines():
        words = shlex.split(line)
        s = words[words.index("-s") + 1] if "-s" in words else None
        lo = words[words.index("-l") + 1] if "-l" in words else None
        if lo:
            found.add((s, lo))
    assert set(helpopts.pairs) <= found, sorted(set(helpopts.pairs) - found)


def bash_file_options():
    """Long options whose case arm in _wsc() completes with compgen -f."""
    text = strip_comments(BASH.read_text())
    found = set()
    for arm in re.split(r";;", text):
        m = re.search(r"^\s*([^()]*?)\)\s*$(.*)", arm, re.S | re.M)
        if m and re.search(r"\bcompgen\s+-f\b", m.group(2)):
            found |= set(LONG_TOKEN.findall(m.group(1)))
    return found


def zsh_file_options():
    found = set()
    for line in strip_comments(ZSH.read_text()).splitlines():
        if re.search(r":_files\b", line):
            found |= set(LONG_TOKEN.findall(re.sub(r"\[[^]]*\]", "", line)))
    return found


def fish_file_options():
    found = set()
    for line in strip_comments(FISH.read_text()).splitlines():
        words = shlex.split(line)
        if "-l" in words and ("-F" in words or "--force-files" in words):
            found.add(words[words.index("-l") + 1])
    return found


@pytest.mark.parametrize("shell,parse", [
    ("bash", bash_file_options), ("zsh", zsh_file_options),
    ("fish", fish_file_options)])
def test_file_arguments_complete_files(helpopts, shell, parse):
    assert helpopts.file_longs, "no FILE or PATH options found in --help"
    found = parse()
    assert found == helpopts.file_longs, (
        f"{shell}: file-name completion for {sorted(found)}, but --help "
        f"has FILE/PATH options {sorted(helpopts.file_longs)}")


# --- the built man page ---

def test_built_man_page_renders():
    path = os.environ.get("WSC_MAN")
    if path is None:
        pytest.skip("WSC_MAN not set (path of the built wsc.1)")
    if not os.path.isfile(path):
        pytest.fail(f"WSC_MAN={path}: no such file (man page not built?)")
    if shutil.which("groff"):
        cmd = ["groff", "-man", "-Tutf8", path]
    elif shutil.which("man"):
        cmd = ["man", "-l", path]
    else:
        pytest.fail("neither groff nor man is installed to render the page")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                         env={**os.environ, "MANPAGER": "cat", "PAGER": "cat",
                              "MANWIDTH": "80"})
    assert res.returncode == 0, res.stderr
    # groff may embolden headings with overstrikes: remove "X\bX"
    plain = re.sub(r".\x08", "", res.stdout)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", plain)
    assert "EXIT STATUS" in plain
    assert "--execute" in plain.replace("\u2010", "-").replace("\u2212", "-")


# --- what the shells really offer for option arguments ---
#
# Each shell's completion is run for real: bash calls the function that
# `complete -p wsc` names with COMP_WORDS split as readline splits them
# (COMP_WORDBREAKS has '=': "--color=al" is "--color" "=" "al"); fish runs
# `complete -C`; zsh runs its completion system on a pseudo-terminal
# (complete.zsh, zpty).

ZSH_DRIVER = Path(__file__).resolve().parent / "complete.zsh"
# option argument values named in --help, which every shell offers
DOCUMENTED_VALUES = {"color": {"auto", "always", "never"}, "wait": {"inf"},
                    "replay-pace": {"recorded", "none", "replies"}}
# "  -n, --count N", "      --reconnect[=N]"
HELP_ARG = re.compile(r"^  (?:-([A-Za-z0-9]), )?(?:    )?--([a-z0-9-]+)"
                      r"(\[=\S+\]| \S+)?")
END = "<<<DONE"


def help_arguments():
    """[(short, long, metavar, optional)] for options taking an argument."""
    res = subprocess.run([WSC, "--help"], capture_output=True, text=True,
                         timeout=10)
    out = []
    for line in res.stdout.splitlines():
        m = HELP_ARG.match(line)
        if m and m.group(3):
            arg = m.group(3).strip()
            optional = arg.startswith("[=")
            out.append((m.group(1), m.group(2),
                        arg[2:-1] if optional else arg, optional))
    return out


def need(prog):
    if not shutil.which(prog):
        pytest.fail(f"{prog} is not installed (tools/deps installs it)")


def bash_words(line):
    """COMP_WORDS and COMP_CWORD as readline makes them from LINE with
    the cursor at its end, for lines of words and '='."""
    words = re.findall(r"=+|[^\s=]+", line)
    if not words or line[-1].isspace():
        words.append("")
    return words, len(words) - 1


def complete_bash(lines):
    script = ['source %s' % shlex.quote(str(BASH)),
              'spec=$(complete -p wsc) || exit 1',
              'fn=${spec##*-F }; fn=${fn%% *}']
    for line in lines:
        words, cword = bash_words(line)
        cur = "" if words[cword] == "=" else words[cword]
        script += [
            "COMP_LINE=%s; COMP_POINT=%d; COMP_CWORD=%d; COMPREPLY=()"
            % (shlex.quote(line), len(line), cword),
            "COMP_WORDS=(%s)" % " ".join(shlex.quote(w) for w in words),
            '"$fn" wsc %s %s' % (shlex.quote(cur),
                                 shlex.quote(words[cword - 1])),
            'printf "%%s\\n" "${COMPREPLY[@]}" %s' % shlex.quote(END)]
    return run_driver(["bash", "--norc", "--noprofile", "-c",
                       "\n".join(script)], lines, "bash")


def complete_fish(lines):
    need("fish")
    script = ["source %s" % shlex.quote(str(FISH))]
    for line in lines:
        script += ["complete -C %s" % shlex.quote(line),
                   "echo %s" % shlex.quote(END)]
    out = run_driver(["fish", "--no-config", "-c", "\n".join(script)],
                     lines, "fish")
    # fish prints the whole token, "--color=auto", and a tab before
    # the description
    res = {}
    for line, offers in out.items():
        token = re.split(r"\s", line)[-1]
        head = token[:token.index("=") + 1] if "=" in token else ""
        res[line] = {o.split("\t")[0][len(head):] for o in offers}
    return res


def complete_zsh(lines):
    need("zsh")
    return run_driver(["zsh", "-f", str(ZSH_DRIVER), str(ZSH.parent)]
                      + list(lines), lines, "zsh")


def run_driver(cmd, lines, shell):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                         cwd=ROOT, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"{shell}: {res.stderr}"
    chunks = res.stdout.split(END + "\n")
    assert len(chunks) == len(lines) + 1 and chunks[-1] == "", (
        f"{shell} driver output: {res.stdout!r} {res.stderr}")
    return {line: {o for o in chunk.split("\n") if o}
            for line, chunk in zip(lines, chunks)}


COMPLETERS = {"bash": complete_bash, "fish": complete_fish,
              "zsh": complete_zsh}


def argument_cases():
    """{line: expected offers} for every option whose argument is neither
    a file nor a URL: nothing, or the documented values."""
    cases = {}
    for short, long, metavar, optional in help_arguments():
        if metavar in FILE_METAVARS or metavar == "URL":
            continue
        want = DOCUMENTED_VALUES.get(long, set())
        cases[f"wsc --{long}="] = want
        if not optional:
            cases[f"wsc --{long} "] = want
            if short:
                cases[f"wsc -{short} "] = want
    return cases


def test_argument_cases_found(helpopts):
    cases = argument_cases()
    for line in ("wsc --reconnect=", "wsc --count ", "wsc -n ",
                 "wsc --color=", "wsc --listen=", "wsc --wait="):
        assert line in cases, sorted(cases)
    res = subprocess.run([WSC, "--help"], capture_output=True, text=True,
                         timeout=10)
    for values in DOCUMENTED_VALUES.values():
        for v in values:
            assert v in res.stdout


@pytest.mark.parametrize("shell", sorted(COMPLETERS))
def test_option_arguments_offer_only_documented_values(shell):
    """`wsc --reconnect=<Tab>` offered ws:// in bash: an optional or
    numeric argument gets nothing, or its documented values."""
    cases = argument_cases()
    cases["wsc --color=al"] = {"always"}
    got = COMPLETERS[shell](list(cases))
    wrong = {line: sorted(got[line]) for line, want in cases.items()
             if got[line] != want}
    assert not wrong, (
        f"{shell} offers these; expected nothing, or {DOCUMENTED_VALUES}")


@pytest.mark.parametrize("shell", sorted(COMPLETERS))
def test_optional_argument_leaves_the_url(shell):
    """--reconnect's N is only ever "--reconnect=N": after "--reconnect "
    comes the URL, completed as in first position."""
    got = COMPLETERS[shell](["wsc ", "wsc --reconnect ", "wsc --wait 1 "])
    if shell == "bash":
        assert got["wsc "] == {"ws://", "wss://"}, got
    assert got["wsc --reconnect "] == got["wsc "], got
    assert got["wsc --wait 1 "] == got["wsc "], got


def test_binary_defines_no_library_function():
    """wsc interposes nothing. The executable's dynamic symbol
    table may hold copy-relocated data (stdout, readline's variables) but
    no function: no send, recv, connect, getaddrinfo, SSL_read, ..."""
    out = subprocess.run(["nm", "-D", "--defined-only", WSC],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    syms = [l.split() for l in out.stdout.splitlines() if l.strip()]
    assert any(s[-1].startswith("stdout") for s in syms), out.stdout
    functions = [s[-1] for s in syms if s[1] in "TtWwi"]
    assert functions == [], functions


def test_product_speaks_of_itself():
    """README, man page, sources, completions, tools and tests describe
    behaviour, never a tracker's numbers, which mean nothing to a
    reader of the tree."""
    pattern = re.compile(r"\bissues? ?#?\d+\b", re.IGNORECASE)
    hits = []
    # the tree as shipped: no git needed, builds and npm packages left out
    for top, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith((".git", "build"))
                   and d != "node_modules"]
        for name in names:
            if name.endswith(("package-lock.json", ".png")):
                continue
            path = Path(top) / name
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for no, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{no}: "
                                f"{line.strip()}")
    assert not hits, "tracker numbers in the tree:\n" + "\n".join(hits)
