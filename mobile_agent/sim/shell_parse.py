"""The shell's lexer and parser: a command line as mksh reads it (POSIX words, quotes, `$VAR`,
`$(...)`, `;` `&&` `||` `|` `&`, redirections), into pipelines of simple commands. Parsing only:
nothing here runs anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "OPERATORS",
    "Pipeline",
    "Redirect",
    "Segment",
    "ShellSyntaxError",
    "SimpleCommand",
    "Word",
    "parse",
    "split_words",
    "tokenize",
]


class ShellSyntaxError(Exception):
    """A parse error; `str()` is what mksh prints after `/system/bin/sh: `."""


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


def split_words(text: str) -> list[str]:
    """Shell-word splitting without any expansion (for `exec:` style arguments)."""
    out: list[str] = []
    for tok in tokenize(text):
        if isinstance(tok, list):
            out.append("".join(t for _, t, _ in tok))
    return out
