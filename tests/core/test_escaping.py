"""`input text` escaping: any text, run through a real POSIX shell and Android's %s rule,
arrives intact, and nothing in it executes."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobile_agent.device.text_input import (
    MAX_COMMAND_BYTES,
    android_input_text,
    build_commands,
    input_text_arg,
    plan_text,
    split_percent_s,
)

# A stand-in `input`/`am` that records its arguments (NUL can never appear in typed text).
_PRELUDE = r"""
input() { printf '%s\036' "$@"; printf '\035'; }
am() { printf '%s\036' "$@"; printf '\035'; }
"""


def typed_by_shell(lines: list[str], cwd: Path) -> str:
    """Run the command lines in /bin/sh and replay what Android would type."""
    out = []
    for line in lines:
        proc = subprocess.run(["sh", "-c", _PRELUDE + line], capture_output=True, cwd=cwd, timeout=10)
        assert proc.returncode == 0, proc.stderr
        for call in proc.stdout.decode().split("\x1d")[:-1]:
            args = call.split("\x1e")[:-1]
            if args[:1] == ["text"]:
                assert len(args) == 2, args  # exactly one argument reaches `input text`
                out.append(android_input_text(args[1]))
            elif args[:1] == ["keyevent"]:
                out.append({"66": "\n", "61": "\t"}[args[1]])
            elif args[:3] == ["broadcast", "-a", "ADB_INPUT_B64"]:
                out.append(base64.b64decode(args[5]).decode())
            else:
                raise AssertionError(f"unexpected call {args}")
    return "".join(out)


printable = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
with_controls = st.text(alphabet=st.sampled_from([*map(chr, range(32, 127)), "\n", "\t"]), max_size=60)


@settings(max_examples=150, deadline=None)
@given(text=printable)
def test_any_printable_ascii_is_one_call_and_arrives_intact(text: str, tmp_path_factory) -> None:
    cwd = tmp_path_factory.mktemp("sh")
    lines = build_commands(text)
    assert len(lines) == (1 if text else 0)
    assert typed_by_shell(lines, cwd) == text
    assert list(cwd.iterdir()) == []  # nothing created a file


@settings(max_examples=80, deadline=None)
@given(text=with_controls)
def test_newlines_and_tabs_become_key_events(text: str, tmp_path_factory) -> None:
    assert typed_by_shell(build_commands(text), tmp_path_factory.mktemp("sh")) == text


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=30))
def test_unicode_goes_through_base64_broadcast(text: str, tmp_path_factory) -> None:
    text_nl = text.replace("\r\n", "\n").replace("\r", "\n")  # a carriage return is an ENTER too
    clean = "".join(c for c in text_nl if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))
    clean = "".join(c for c in clean if not 0xD800 <= ord(c) <= 0xDFFF)
    assert typed_by_shell(build_commands(text, "adb_keyboard"), tmp_path_factory.mktemp("sh")) == clean


HOSTILE = [
    "'; touch pwned; echo '",
    '"; touch pwned; echo "',
    "$(touch pwned)",
    "`touch pwned`",
    "a && touch pwned",
    "a | tee pwned",
    "a > pwned",
    "x\\'y\\\\z",
    "100% sure %s %%s %",
    "* ? ~ # ! ( ) { } [ ] < > ; & |",
    "$HOME ${PATH} $0 $$",
    "-e --help",
    "'",
    "%",
    "%s",
    " ",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_examples(text: str, tmp_path: Path) -> None:
    lines = build_commands(text)
    assert len(lines) == 1
    assert typed_by_shell(lines, tmp_path) == text
    assert not (tmp_path / "pwned").exists()


def test_percent_s_split_and_arg_form() -> None:
    assert split_percent_s("50%sale") == ["50%", "sale"]
    assert split_percent_s("%s%s") == ["%", "s%", "s"]
    assert input_text_arg("a b") == "a%sb"
    assert input_text_arg("it's") == "'it'\"'\"'s'"
    with pytest.raises(ValueError):
        input_text_arg("%s")
    assert [op.kind for op in plan_text("hi 你好\nok")] == ["ascii", "unicode", "key", "ascii"]


def test_long_text_is_chunked_under_the_service_limit(tmp_path: Path) -> None:
    text = ("it's $x; " * 600)[:5000]
    lines = build_commands(text)
    assert len(lines) > 1 and all(len(line.encode()) <= MAX_COMMAND_BYTES for line in lines)
    assert typed_by_shell(lines, tmp_path) == text
    assert len(build_commands("a" * 3000)) == 1  # plain text stays in one call


def test_non_ascii_needs_a_method() -> None:
    with pytest.raises(ValueError, match="keyboard"):
        build_commands("héllo")
