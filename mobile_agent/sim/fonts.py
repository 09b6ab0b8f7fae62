"""TrueType fonts for the virtual phone's screen, found once and cached per size.

A vision model must be able to read the screen, so we want real fonts that cover Latin and CJK:
Noto Sans CJK (Debian `fonts-noto-cjk`) first, DejaVu Sans second, Pillow's built-in bitmap font
as a last resort (with one warning, since CJK then renders as boxes).
"""

from __future__ import annotations

import functools
import os
import warnings

from PIL import ImageFont

REGULAR_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
BOLD_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _first_existing(paths: tuple[str, ...]) -> str | None:
    env = os.environ.get("MOBILE_AGENT_SIM_FONT")
    if env and os.path.exists(env):
        return env
    for p in paths:
        if os.path.exists(p):
            return p
    return None


@functools.cache
def font_path(bold: bool = False) -> str | None:
    """Path of the font file used for regular or bold text (None: Pillow's default)."""
    path = _first_existing(BOLD_CANDIDATES if bold else REGULAR_CANDIDATES)
    if path is None and bold:
        path = font_path(False)
    return path


@functools.cache
def _warn_once() -> None:
    warnings.warn(
        "mobile_agent.sim: no TrueType font found (install fonts-noto-cjk or fonts-dejavu-core); "
        "using Pillow's default font, CJK text will not render",
        RuntimeWarning,
        stacklevel=3,
    )


@functools.cache
def get_font(size: int, bold: bool = False) -> Font:
    """A cached font object of `size` pixels."""
    path = font_path(bold)
    if path is None:
        _warn_once()
        try:
            return ImageFont.load_default(size=size)
        except TypeError:  # Pillow < 10.1
            return ImageFont.load_default()
    return ImageFont.truetype(path, size)


MAX_MEASURE = 100_000


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: int, bold: bool = False) -> int:
    """Advance width of one line of text in pixels (cached: layout measures the same strings)."""
    if len(text) > MAX_MEASURE:  # Pillow refuses strings over a million characters
        step = range(0, len(text), MAX_MEASURE)
        return sum(text_width(text[i : i + MAX_MEASURE], size, bold) for i in step)
    font = get_font(size, bold)
    return round(font.getlength(text))


def wrap(text: str, size: int, width: int, bold: bool = False, max_lines: int = 0) -> list[str]:
    """Break text into lines that fit `width` px: on spaces for words, anywhere for CJK/long words."""
    lines: list[str] = []
    for para in text.split("\n"):
        if para == "":
            lines.append("")
            continue
        cur = ""
        for token in _tokens(para):
            cand = cur + token
            if text_width(cand, size, bold) <= width or cur == "":
                if text_width(cand, size, bold) <= width:
                    cur = cand
                    continue
                # a single token wider than the line: split it by characters
                for ch in token:
                    if text_width(cur + ch, size, bold) <= width or cur == "":
                        cur += ch
                    else:
                        lines.append(cur)
                        cur = ch
                continue
            lines.append(cur.rstrip())
            cur = token.lstrip()
        lines.append(cur)
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size, bold) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _tokens(text: str) -> list[str]:
    """Words with their trailing space; every CJK character is its own token."""
    out: list[str] = []
    cur = ""
    for ch in text:
        if ord(ch) >= 0x2E80:
            if cur:
                out.append(cur)
                cur = ""
            out.append(ch)
        elif ch == " ":
            cur += ch
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


# Fitting text searches by bisection (widths grow with length) among at most this many characters
# per pixel, so a very long text costs a few measurements, not one per character.
MAX_CHARS_PER_PX = 8


def ellipsize(text: str, size: int, width: int, bold: bool = False) -> str:
    """One line, cut with an ellipsis to fit `width`."""
    text = text.replace("\n", " ")
    if text_width(text, size, bold) <= width:
        return text
    lo, hi = 0, min(len(text), max(1, width) * MAX_CHARS_PER_PX)  # the longest prefix that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid] + "…", size, bold) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def fit_tail(text: str, size: int, width: int, bold: bool = False) -> str:
    """The longest end of `text` (at least its last character) that fits `width` px."""
    if len(text) <= 1 or text_width(text, size, bold) <= width:
        return text
    lo, hi = max(1, len(text) - max(1, width) * MAX_CHARS_PER_PX), len(text) - 1
    while lo < hi:  # the first start index whose tail fits
        mid = (lo + hi) // 2
        if text_width(text[mid:], size, bold) <= width:
            hi = mid
        else:
            lo = mid + 1
    return text[lo:]
