"""An Android (mksh + toybox) shell emulator that never runs anything on the host.

`Shell(phone).run(line)` parses a command line the way `/system/bin/sh -c` would (POSIX words,
quotes, `$?`/`$VAR`, `;` `&&` `||` `|` `&`, `>` `>>` `<` `2>&1`), looks every command up in a
table of Python functions that act on the virtual phone and its in-memory file system, and
returns the output chunks in order, tagged stdout (1) or stderr (2), with the exit code.

Command substitution (`$(...)` and backquotes) runs the inner text through this same virtual
shell, so even `$(reboot)` only ever reaches the emulator, never the host.
"""

from __future__ import annotations

import contextlib
import fnmatch
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.fs import FSError, VirtualFS, normalize

MAX_SLEEP_S = 5.0
MAX_SUBST_DEPTH = 4
MAX_LINE = 256 * 1024
SHELL = "/system/bin/sh"


class ShellSyntaxError(Exception):
    """A parse error; `str()` is what mksh prints after `/system/bin/sh: `."""


class ExitShell(Exception):
    """`exit N` ends the whole command line."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- lexer

# A word is a list of segments: (kind, text, quoted), kind in "lit" | "var" | "sub".
Segment = tuple[str, str, bool]
Word = list[Segment]
OPERATORS = ("&&", "||", ";;", ";", "&", "|", "\n")


@dataclass
class Redirect:
    fd: int
    op: str  # ">", ">>", "<", ">&"
    target: Word


@dataclass
class SimpleCommand:
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


# A command list: [(pipeline, connector)], connector is the operator that FOLLOWS the pipeline.
Pipeline = list[SimpleCommand]


def _scan_subst(line: str, i: int) -> int:
    """Index just past the `)` that closes a `$(` whose body starts at i."""
    depth = 1
    quote = ""
    while i < len(line):
        c = line[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ShellSyntaxError("syntax error: unmatched '('")


def _read_dollar(line: str, i: int, quoted: bool) -> tuple[Segment, int]:
    """Parse `$...` at line[i] == '$'; returns the segment and the next index."""
    nxt = line[i + 1] if i + 1 < len(line) else ""
    if nxt == "(":
        end = _scan_subst(line, i + 2)
        return ("sub", line[i + 2 : end - 1], quoted), end
    if nxt == "{":
        end = line.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("syntax error: bad substitution")
        name = line[i + 2 : end]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[0-9?$#!@*-]", name):
            raise ShellSyntaxError(f"${{{name}}}: bad substitution")
        return ("var", name, quoted), end + 1
    if nxt and nxt in "?$#!@*-0123456789":
        return ("var", nxt, quoted), i + 2
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[i + 1 :])
    if m:
        return ("var", m.group(0), quoted), i + 1 + m.end()
    return ("lit", "$", quoted), i + 1


def tokenize(line: str) -> list[Word | str]:
    """Split into words (lists of segments) and operator strings."""
    tokens: list[Word | str] = []
    word: Word = []
    lit: list[str] = []
    in_word = False
    i = 0
    n = len(line)

    def flush_lit(quoted: bool) -> None:
        if lit:
            word.append(("lit", "".join(lit), quoted))
            lit.clear()

    def end_word() -> None:
        nonlocal word, in_word
        flush_lit(False)
        if in_word:
            tokens.append(word)
        word = []
        in_word = False

    while i < n:
        c = line[i]
        if c in " \t\r":
            end_word()
            i += 1
        elif c == "#" and not in_word:
            j = line.find("\n", i)
            i = n if j < 0 else j
        elif c == "\\":
            in_word = True
            if i + 1 < n and line[i + 1] == "\n":
                i += 2
                continue
            flush_lit(False)
            if i + 1 < n:
                word.append(("lit", line[i + 1], True))
            i += 2
        elif c == "'":
            flush_lit(False)
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("syntax error: unterminated quoted string")
            word.append(("lit", line[i + 1 : end], True))
            in_word = True
            i = end + 1
        elif c == '"':
            flush_lit(False)
            in_word = True
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise ShellSyntaxError("syntax error: unterminated quoted string")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '$`"\\\n':
                    buf.append(line[i + 1])
                    i += 2
                elif c == "$":
                    if buf:
                        word.append(("lit", "".join(buf), True))
                        buf = []
                    seg, i = _read_dollar(line, i, True)
                    word.append(seg)
                elif c == "`":
                    end = line.find("`", i + 1)
                    if end < 0:
                        raise ShellSyntaxError("syntax error: unterminated `")
                    if buf:
                        word.append(("lit", "".join(buf), True))
                        buf = []
                    word.append(("sub", line[i + 1 : end], True))
                    i = end + 1
                else:
                    buf.append(c)
                    i += 1
            word.append(("lit", "".join(buf), True))
        elif c == "$":
            flush_lit(False)
            in_word = True
            seg, i = _read_dollar(line, i, False)
            word.append(seg)
        elif c == "`":
            flush_lit(False)
            in_word = True
            end = line.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError("syntax error: unterminated `")
            word.append(("sub", line[i + 1 : end], False))
            i = end + 1
        elif c in "<>":
            # An all-digit word right before > is an fd number (2>&1).
            fd = -1
            if in_word and not word and lit and "".join(lit).isdigit():
                fd = int("".join(lit))
                lit.clear()
                in_word = False
            else:
                end_word()
            op = c
            i += 1
            if c == ">" and i < n and line[i] == ">":
                op, i = ">>", i + 1
            elif i < n and line[i] == "&":
                op, i = op + "&", i + 1
            elif c == ">" and i < n and line[i] == "|":
                i += 1
            if fd < 0:
                fd = 0 if c == "<" else 1
            tokens.append(f"{fd}{op}")
        elif c == "&" and i + 1 < n and line[i + 1] == ">" and not in_word:
            end_word()
            tokens.append("&>")
            i += 2
        elif c in ";&|\n":
            end_word()
            if line.startswith(("&&", "||", ";;"), i):
                tokens.append(line[i : i + 2])
                i += 2
            else:
                tokens.append(c)
                i += 1
        elif c in "()":
            end_word()
            raise ShellSyntaxError(f"syntax error: '{c}' unexpected")
        else:
            lit.append(c)
            in_word = True
            i += 1
    end_word()
    return tokens


def parse(line: str) -> list[tuple[Pipeline, str]]:
    """Parse a line into [(pipeline, following operator)] (operator '' at the end)."""
    tokens = tokenize(line)
    result: list[tuple[Pipeline, str]] = []
    pipeline: Pipeline = []
    cmd = SimpleCommand()
    i = 0

    def finish_cmd() -> None:
        nonlocal cmd
        if not cmd.words and not cmd.assigns and not cmd.redirects:
            raise ShellSyntaxError("syntax error: unexpected operator")
        pipeline.append(cmd)
        cmd = SimpleCommand()

    while i < len(tokens):
        tok = tokens[i]
        if isinstance(tok, list):
            name_val = _assignment(tok) if not cmd.words else None
            if name_val is not None:
                cmd.assigns.append(name_val)
            else:
                cmd.words.append(tok)
            i += 1
        elif tok[:1].isdigit() or tok == "&>":
            if i + 1 >= len(tokens) or not isinstance(tokens[i + 1], list):
                raise ShellSyntaxError("syntax error: newline unexpected")
            target = tokens[i + 1]
            assert isinstance(target, list)
            if tok == "&>":
                cmd.redirects.append(Redirect(1, ">", target))
                cmd.redirects.append(Redirect(2, ">&", [("lit", "1", True)]))
            else:
                cmd.redirects.append(Redirect(int(tok[:-1].rstrip(">&<")), tok.lstrip("0123456789"), target))
            i += 2
        elif tok == "|":
            finish_cmd()
            i += 1
        elif tok in (";", "&", "&&", "||", "\n"):
            if not cmd.words and not cmd.assigns and not cmd.redirects and not pipeline:
                if tok == "\n":
                    i += 1
                    continue
                raise ShellSyntaxError(f"syntax error: '{tok}' unexpected")
            finish_cmd()
            result.append((pipeline, tok))
            pipeline = []
            i += 1
        else:
            raise ShellSyntaxError(f"syntax error: '{tok}' unexpected")
    if cmd.words or cmd.assigns or cmd.redirects:
        finish_cmd()
    if pipeline:
        result.append((pipeline, ""))
    elif result and result[-1][1] in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of input")
    return result


def _assignment(word: Word) -> tuple[str, Word] | None:
    if not word or word[0][0] != "lit" or word[0][2]:
        return None
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", word[0][1])
    if not m:
        return None
    rest = word[0][1][m.end() :]
    value: Word = ([("lit", rest, True)] if rest else []) + word[1:]
    return m.group(1), value


# ---------------------------------------------------------------- execution


@dataclass
class Ctx:
    """One command's view: its arguments' environment, stdin, and where it writes."""

    shell: Shell
    stdin: bytes
    env: dict[str, str]
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    to_stream: bool = True  # stdout goes to the adb stream (not a pipe or a file)

    def print(self, text: str = "", end: str = "\n") -> None:
        self.out += (text + end).encode()

    def error(self, text: str, end: str = "\n") -> None:
        self.err += (text + end).encode()

    @property
    def phone(self) -> PhoneModel:
        return self.shell.phone

    @property
    def fs(self) -> VirtualFS:
        return self.shell.phone.fs

    def path(self, p: str) -> str:
        return normalize(p if p.startswith("/") else posixpath.join(self.shell.cwd, p))


Command = Callable[[Ctx, list[str]], int]


@dataclass
class ShellResult:
    chunks: list[tuple[int, bytes]]  # (1 stdout | 2 stderr, data) in order
    code: int
    hang: bool = False  # a foreground server was started: keep the stream open until the host closes it
    job: Any = None  # what serves the stream then (jobs.Job), if anything

    @property
    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.chunks if fd == 1)

    @property
    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.chunks if fd == 2)

    @property
    def merged(self) -> bytes:
        return b"".join(d for _, d in self.chunks)


DEFAULT_ENV = {
    "PATH": "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin",
    "HOME": "/",
    "USER": "shell",
    "LOGNAME": "shell",
    "SHELL": "/bin/sh",
    "TMPDIR": "/data/local/tmp",
    "ANDROID_DATA": "/data",
    "ANDROID_ROOT": "/system",
    "EXTERNAL_STORAGE": "/sdcard",
    "HOSTNAME": "localhost",
}


class Shell:
    """One `sh` process: variables and `$?` live as long as the object."""

    def __init__(self, phone: PhoneModel, commands: dict[str, Command] | None = None) -> None:
        from mobile_agent.sim.adb_commands import android_commands
        from mobile_agent.sim.adb_toybox import toybox_commands

        self.phone = phone
        self.commands: dict[str, Command] = {**toybox_commands(), **android_commands()}
        if commands:
            self.commands.update(commands)
        self.vars: dict[str, str] = dict(DEFAULT_ENV)
        self.cwd = "/"
        self.status = 0
        self.depth = 0
        self.hang = False
        self.job: Any = None  # a foreground job (jobs.Job) the stream serves after the output

    # -- public --
    def run(self, line: str, stdin: bytes = b"") -> ShellResult:
        """Run a whole command line; never raises."""
        chunks: list[tuple[int, bytes]] = []
        self.hang = False
        self.job = None
        line = _valid_text(line)
        if len(line) > MAX_LINE:
            chunks.append((2, f"{SHELL}: line too long\n".encode()))
            self.status = 2
            return ShellResult(chunks, 2)
        try:
            self._run_list(parse(line), chunks, stdin)
        except ShellSyntaxError as exc:
            chunks.append((2, f"{SHELL}: {exc}\n".encode()))
            self.status = 1 if "not found" in str(exc) else 2
        except ExitShell as exc:
            self.status = exc.code & 0xFF
        return ShellResult(chunks, self.status & 0xFF, self.hang, self.job)

    # -- internals --
    def _run_list(
        self, items: list[tuple[Pipeline, str]], chunks: list[tuple[int, bytes]], stdin: bytes
    ) -> None:
        skip_next = False
        for pipeline, op in items:
            if not skip_next:
                hang, job = self.hang, self.job
                self.status = self._run_pipeline(pipeline, chunks, stdin)
                if op == "&":  # backgrounded: the line goes on, and ends, without waiting for it
                    self.hang, self.job, self.status = hang, job, 0
            if op == "&&":
                skip_next = self.status != 0
            elif op == "||":
                skip_next = self.status == 0
            else:
                skip_next = False

    def _run_pipeline(self, pipeline: Pipeline, chunks: list[tuple[int, bytes]], stdin: bytes) -> int:
        data = stdin
        code = 0
        for idx, cmd in enumerate(pipeline):
            last = idx == len(pipeline) - 1
            out, code = self._run_simple(cmd, data, chunks, piped=not last)
            data = out
        return code

    def _run_simple(
        self, cmd: SimpleCommand, stdin: bytes, chunks: list[tuple[int, bytes]], piped: bool
    ) -> tuple[bytes, int]:
        """Run one command; returns (its stdout when piped, exit code)."""
        env = dict(self.vars)
        self._subst_status: int | None = None
        for name, value in cmd.assigns:
            env[name] = "".join(self._expand_word(value, chunks, split=False))
        argv: list[str] = []
        for word in cmd.words:
            argv.extend(self._expand_word(word, chunks, split=True))
        if not argv:
            self.vars.update({name: env[name] for name, _ in cmd.assigns})
            return b"", self._subst_status or 0
        ctx = Ctx(self, stdin, env)
        # stdin redirection first: it is an input
        targets: dict[int, Any] = {1: "pipe" if piped else 1, 2: 2}
        try:
            for r in cmd.redirects:
                target = "".join(self._expand_word(r.target, chunks, split=False))
                if r.op == "<":
                    ctx.stdin = self._read_file(target)
                elif r.op == ">&":
                    if target in ("1", "2"):
                        targets[r.fd] = targets[int(target)]
                    elif target == "-":
                        targets[r.fd] = None
                    else:
                        raise FSError(f"{target}: bad file descriptor")
                else:
                    targets[r.fd] = ("file", self._abspath(target), r.op == ">>")
                    if r.fd not in (1, 2):
                        targets.pop(r.fd)
                    self._open_for_write(target, r.op == ">>")
        except FSError as exc:
            chunks.append((2, f"{SHELL}: {exc}\n".encode()))
            return b"", 1
        ctx.to_stream = targets.get(1) == 1
        code = self._invoke(ctx, argv)
        piped_out = bytearray()
        for fd, data in ((1, ctx.out), (2, ctx.err)):
            if not data:
                continue
            target = targets.get(fd, fd)
            if target == "pipe":
                piped_out += data
            elif target in (1, 2):
                chunks.append((target, bytes(data)))
            elif isinstance(target, tuple):
                self._write_target(target[1], bytes(data), chunks)
        return bytes(piped_out), code

    def _invoke(self, ctx: Ctx, argv: list[str]) -> int:
        name = argv[0]
        func = self.commands.get(posixpath.basename(name) if name.startswith("/system/") else name)
        if func is None or (name.startswith("/") and not name.startswith(("/system/bin/", "/system/xbin/"))):
            ctx.error(f"{SHELL}: {name}: {'inaccessible or not found' if '/' in name else 'not found'}")
            return 127
        try:
            if name == "sleep":
                return func(ctx, argv[1:])
            with self.phone.lock:
                return func(ctx, argv[1:])
        except ExitShell:
            raise
        except FSError as exc:
            ctx.error(f"{name}: {exc}")
            return 1
        except Exception as exc:  # a bug in a command must not kill the connection
            ctx.error(f"Exception occurred while executing '{name}':\n{type(exc).__name__}: {exc}")
            return 255

    def _expand_word(self, word: Word, chunks: list[tuple[int, bytes]], split: bool) -> list[str]:
        """Variable and command substitution, field splitting of unquoted results, globbing."""
        fields: list[str] = []
        cur: list[str] = []
        has_glob = False
        started = False
        for kind, text, quoted in word:
            if kind == "lit":
                cur.append(text)
                started = True
                if not quoted and any(ch in text for ch in "*?["):
                    has_glob = True
                continue
            value = self._var(text) if kind == "var" else self._substitute(text, chunks)
            if quoted or not split:
                cur.append(value)
                started = True
                continue
            parts = value.split()
            if not parts:
                continue
            if value[:1].isspace() and cur:
                fields.append("".join(cur))
                cur = []
            for j, part in enumerate(parts):
                if j > 0:
                    fields.append("".join(cur))
                    cur = []
                cur.append(part)
                started = True
            if value[-1:].isspace():
                fields.append("".join(cur))
                cur = []
                started = False
        if started or cur:
            fields.append("".join(cur))
        if split and has_glob:
            out: list[str] = []
            for f in fields:
                out.extend(self._glob(f) or [f])
            return out
        return fields

    def _var(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "4242"
        if name == "#":
            return "0"
        if name == "0":
            return SHELL
        return self.vars.get(name, "")

    def _substitute(self, text: str, chunks: list[tuple[int, bytes]]) -> str:
        if self.depth >= MAX_SUBST_DEPTH:
            chunks.append((2, f"{SHELL}: too deep command substitution\n".encode()))
            return ""
        sub = Shell(self.phone)
        sub.commands = self.commands
        sub.vars = dict(self.vars)
        sub.cwd = self.cwd
        sub.status = self.status
        sub.depth = self.depth + 1
        res = sub.run(text)
        chunks.extend((fd, d) for fd, d in res.chunks if fd == 2)
        self.status = res.code
        self._subst_status = res.code
        return res.stdout.decode("utf-8", errors="replace").rstrip("\n")

    def _glob(self, pattern: str) -> list[str]:
        absolute = pattern.startswith("/")
        base = "/" if absolute else self.cwd
        parts = [p for p in pattern.split("/") if p]
        found = [base]
        with self.phone.lock:
            fs = self.phone.fs
            for part in parts:
                nxt = []
                for d in found:
                    if any(ch in part for ch in "*?["):
                        if not fs.is_dir(d):
                            continue
                        names = fs.listdir(d)
                        nxt.extend(posixpath.join(d, nm) for nm in names if fnmatch.fnmatchcase(nm, part))
                    else:
                        p = posixpath.join(d, part)
                        if fs.exists(p):
                            nxt.append(p)
                found = nxt
        if not absolute:
            found = [posixpath.relpath(f, self.cwd) for f in found]
        return sorted(found)

    def _abspath(self, p: str) -> str:
        return normalize(p if p.startswith("/") else posixpath.join(self.cwd, p))

    def _read_file(self, p: str) -> bytes:
        if p == "/dev/null":
            return b""
        with self.phone.lock:
            return bytes(self.phone.fs.read(self._abspath(p)))

    def _open_for_write(self, p: str, append: bool) -> None:
        path = self._abspath(p)
        if path in ("/dev/null", "/dev/tty", "/dev/stdout", "/dev/stderr"):
            return
        with self.phone.lock:
            fs = self.phone.fs
            if fs.is_dir(path):
                raise FSError(f"{p}: Is a directory")
            if not append or not fs.exists(path):
                fs.write(path, b"")

    def _write_target(self, path: str, data: bytes, chunks: list[tuple[int, bytes]]) -> None:
        if path == "/dev/null":
            return
        if path in ("/dev/tty", "/dev/stdout"):
            chunks.append((1, data))
            return
        if path == "/dev/stderr":
            chunks.append((2, data))
            return
        with self.phone.lock:
            fs = self.phone.fs
            old = fs.read(path) if fs.exists(path) else b""
            fs.write(path, old + data)


def _valid_text(text: str) -> str:
    """Lone surrogates (bytes decoded with surrogateescape, JSON escapes) as U+FFFD, the way the
    ADB layer decodes bytes that are not UTF-8: output is always encodable."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def split_words(text: str) -> list[str]:
    """Shell-word splitting without any expansion (for `exec:` style arguments)."""
    out: list[str] = []
    for tok in tokenize(text):
        if isinstance(tok, list):
            out.append("".join(t for _, t, _ in tok))
    return out


@contextlib.contextmanager
def _noop() -> Any:
    yield


def sleep_bounded(seconds: float) -> None:
    """`sleep` never blocks a worker for long."""
    time.sleep(max(0.0, min(seconds, MAX_SLEEP_S)))
