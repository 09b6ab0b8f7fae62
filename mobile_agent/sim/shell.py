"""An Android (mksh + toybox) shell emulator that never runs anything on the host.

`Shell(phone).run(line)` parses a command line the way `/system/bin/sh -c` would (POSIX words,
quotes, `$?`/`$VAR`, `;` `&&` `||` `|` `&`, `>` `>>` `<` `2>&1`), looks every command up in a
table of Python functions that act on the virtual phone and its in-memory file system, and
returns the output chunks in order, tagged stdout (1) or stderr (2), with the exit code.

Command substitution (`$(...)` and backquotes) runs the inner text through this same virtual
shell, so even `$(reboot)` only ever reaches the emulator, never the host.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import Any

from mobile_agent.sim.commands.registry import SHELL, Command, Ctx, ExitShell, ShellResult, all_commands
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.fs import FSError, normalize
from mobile_agent.sim.shell_parse import Pipeline, ShellSyntaxError, SimpleCommand, Word, parse, split_words

MAX_SUBST_DEPTH = 4
MAX_LINE = 256 * 1024


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
        self.phone = phone
        self.commands: dict[str, Command] = all_commands()
        if commands:
            self.commands.update(commands)
        self.vars: dict[str, str] = dict(DEFAULT_ENV)
        self.cwd = "/"
        self.status = 0
        self.depth = 0
        self.hang = False
        self.job: Any = None  # a foreground job (jobs.Job) the stream serves after the output
        self.touch: dict[str, tuple[int, int]] = {}  # `input motionevent` DOWN, until its UP

    # -- public --
    def child(self) -> Shell:
        """A new `sh` for a script or a substitution: same commands and cwd, one level deeper."""
        sub = Shell(self.phone)
        sub.commands = self.commands
        sub.cwd = self.cwd
        sub.depth = self.depth + 1
        return sub

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
        code = self.invoke(ctx, argv)
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

    def invoke(self, ctx: Ctx, argv: list[str]) -> int:
        """Run one command (argv[0] looked up in the command table) with the phone's lock held."""
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
        sub = self.child()
        sub.vars = dict(self.vars)
        sub.status = self.status
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
                nxt: list[str] = []
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


__all__ = ["SHELL", "Command", "Ctx", "ExitShell", "Shell", "ShellResult", "split_words"]
