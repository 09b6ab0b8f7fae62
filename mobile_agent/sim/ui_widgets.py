"""The leaf widgets, with Android class names: text, buttons, images, app icons, switches, check
boxes, text fields, seek bars, scrims, dividers and spacers."""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mobile_agent.sim import fonts
from mobile_agent.sim.ui_base import Color, Handler, View

__all__ = [
    "AppIcon",
    "Button",
    "CheckBox",
    "Divider",
    "EditText",
    "ImageView",
    "Scrim",
    "SeekBar",
    "Spacer",
    "Switch",
    "TextView",
]


class TextView(View):
    cls = "android.widget.TextView"
    kind = "text"

    def __init__(
        self,
        text: str = "",
        *,
        size: int = 42,
        color: Color = "text",
        bold: bool = False,
        align_text: str = "left",
        max_lines: int = 0,
        **kw: Any,
    ) -> None:
        super().__init__(text=text, **kw)
        self.size, self.color, self.bold = size, color, bold
        self.align_text, self.max_lines = align_text, max_lines

    @property
    def line_height(self) -> int:
        return int(self.size * 1.36)

    def display_text(self) -> str:
        return self.text

    def lines(self, width: int) -> list[str]:
        inner = max(1, width - self.padding[0] - self.padding[2])
        return fonts.wrap(self.display_text(), self.size, inner, self.bold, self.max_lines)

    def measure(self, width: int) -> int:
        n = len(self.lines(width)) or 1
        return n * self.line_height + self.padding[1] + self.padding[3]

    def measure_width(self) -> int:
        if self.width is not None:
            return self.width
        longest = max(
            (fonts.text_width(s, self.size, self.bold) for s in self.display_text().split("\n")), default=0
        )
        return longest + self.padding[0] + self.padding[2]


class Button(TextView):
    cls = "android.widget.Button"
    kind = "button"

    def __init__(self, text: str, on_click: Handler, *, style: str = "filled", **kw: Any) -> None:
        kw.setdefault("height", 126)
        kw.setdefault("padding", (48, 0, 48, 0))
        kw.setdefault("radius", 63)
        kw.setdefault("size", 40)
        kw.setdefault("bold", True)
        kw.setdefault("align_text", "center")
        if style == "filled":
            kw.setdefault("bg", "primary")
            kw.setdefault("color", "on_primary")
        elif style == "tonal":
            kw.setdefault("bg", "tonal")
            kw.setdefault("color", "on_tonal")
        elif style == "danger":
            kw.setdefault("bg", "error")
            kw.setdefault("color", "on_primary")
        else:
            kw.setdefault("color", "primary")
        super().__init__(text, on_click=on_click, focusable=True, **kw)
        self.style = style


class ImageView(View):
    """An icon (named vector shape or a letter in a circle) or a generated picture."""

    cls = "android.widget.ImageView"
    kind = "image"

    def __init__(
        self,
        icon: str = "",
        *,
        color: Color = "text2",
        circle: Color = None,
        letter: str = "",
        picture: Any = None,
        icon_size: int = 0,
        **kw: Any,
    ) -> None:
        kw.setdefault("width", 126)
        kw.setdefault("height", 126)
        super().__init__(**kw)
        if self.on_click is not None and "cls" not in kw:
            self.cls = "android.widget.ImageButton"
        self.icon, self.color, self.circle, self.letter = icon, color, circle, letter
        self.picture = picture
        self.icon_size = icon_size

    def measure(self, width: int) -> int:
        return self.height or 126


class AppIcon(TextView):
    """A launcher shortcut: a round coloured icon with the label under it (a TextView, as in Launcher3)."""

    kind = "appicon"

    def __init__(
        self, label: str, icon: str, icon_color: tuple[int, int, int], on_click: Handler, **kw: Any
    ) -> None:
        kw.setdefault("size", 34)
        kw.setdefault("align_text", "center")
        kw.setdefault("color", "on_wallpaper")
        super().__init__(label, desc=label, on_click=on_click, focusable=True, **kw)
        self.icon, self.icon_color = icon, icon_color

    def measure(self, width: int) -> int:
        return 250


class Switch(View):
    cls = "android.widget.Switch"
    kind = "switch"

    def __init__(self, checked: bool, on_click: Handler = None, **kw: Any) -> None:
        kw.setdefault("width", 156)
        kw.setdefault("height", 96)
        super().__init__(
            checkable=True, checked=checked, on_click=on_click, focusable=on_click is not None, **kw
        )


class CheckBox(Switch):
    cls = "android.widget.CheckBox"
    kind = "checkbox"

    def __init__(self, checked: bool, on_click: Handler = None, **kw: Any) -> None:
        kw.setdefault("width", 96)
        super().__init__(checked, on_click, **kw)


class EditText(TextView):
    """A text field bound to `store[key]`; focus lives in the screen state (`focus_store`)."""

    cls = "android.widget.EditText"
    kind = "edit"

    def __init__(
        self,
        store: dict[str, Any],
        key: str,
        *,
        hint: str = "",
        multiline: bool = False,
        focused: bool = False,
        on_focus: Handler = None,
        on_submit: Handler = None,
        password: bool = False,
        **kw: Any,
    ) -> None:
        kw.setdefault("padding", (36, 24, 36, 24))
        kw.setdefault("bg", "field")
        kw.setdefault("radius", 24)
        kw.setdefault("size", 42)
        if not multiline:
            kw.setdefault("max_lines", 1)
        super().__init__(
            str(store.get(key, "")),
            on_click=on_focus,
            focusable=True,
            focused=focused,
            password=password,
            **kw,
        )
        self.store, self.key = store, key
        self.hint, self.multiline, self.on_submit = hint, multiline, on_submit
        self.long_click_select = True
        if not self.on_long_click:
            self.on_long_click = on_focus

    def display_text(self) -> str:
        t = self.text or self.hint or " "
        if self.password and self.text:
            t = "•" * len(self.text)
        return t

    def lines(self, width: int) -> list[str]:
        inner = max(1, width - self.padding[0] - self.padding[2])
        if not self.multiline:
            t = self.display_text().replace("\n", " ")
            if not self.focused:
                return [fonts.ellipsize(t, self.size, inner, self.bold)]
            return [fonts.fit_tail(t, self.size, inner - 8, self.bold)]  # scrolled to the cursor at the end
        return fonts.wrap(self.display_text(), self.size, inner, self.bold, self.max_lines)

    def measure(self, width: int) -> int:
        n = len(self.lines(width)) if self.multiline else 1
        return max(n, 1) * self.line_height + self.padding[1] + self.padding[3]


class SeekBar(View):
    """A horizontal slider: a tap sets the value proportionally to where it lands."""

    cls = "android.widget.SeekBar"
    kind = "seek"

    def __init__(self, value: int, maximum: int, on_set: Callable[[int], None], **kw: Any) -> None:
        kw.setdefault("height", 96)
        super().__init__(text=str(value), on_click=lambda: None, focusable=True, **kw)
        self.value, self.maximum, self.on_set = value, maximum, on_set

    def click(self, x: int, y: int) -> None:
        l, _, r, _ = self.bounds
        pad = 48
        frac = (x - l - pad) / max(1, (r - l - 2 * pad))
        self.on_set(max(0, min(self.maximum, round(frac * self.maximum))))


class Scrim(View):
    """The dimmed backdrop behind a dialog or the recents screen; a tap on it cancels."""

    cls = "android.widget.FrameLayout"
    kind = "scrim"


class Divider(View):
    kind = "divider"

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("height", 3)
        kw.setdefault("bg", "divider")
        super().__init__(**kw)


class Spacer(View):
    kind = "spacer"

    def __init__(self, height: int | None = None, weight: float = 0, **kw: Any) -> None:
        super().__init__(height=height, weight=weight, **kw)


# -------------------------------------------------------------- hit testing
