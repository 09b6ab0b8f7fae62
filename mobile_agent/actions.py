"""The action vocabulary: one typed model per GUI-Owl action, with validation.

The Worker (multi mode) and GUI-Owl's `mobile_use` tool (single mode) both produce a JSON object
like `{"action": "click", "coordinate": [540, 1210]}`; `parse_action` turns it into one of the
models below or raises `ActionError` with a message a person (or the model, on retry) can act on.
Coordinates stay in the model's frame here; `coords.Frame` maps them to the device.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from mobile_agent.coords import Frame

__all__ = [
    "ACTION_NAMES",
    "ACTION_TYPES",
    "MAX_PRESS_S",
    "MAX_WAIT_S",
    "SYSTEM_BUTTONS",
    "Action",
    "ActionError",
    "ActionModel",
    "Answer",
    "AnyAction",
    "Ask",
    "Click",
    "Key",
    "LongPress",
    "Open",
    "Point",
    "Swipe",
    "SystemButton",
    "Terminate",
    "Type",
    "Wait",
    "action_name",
    "check_in_frame",
    "is_terminal",
    "parse_action",
]

Point = tuple[float, float]

SYSTEM_BUTTONS = ("Back", "Home", "Menu", "Enter")
MAX_WAIT_S = 60.0
MAX_PRESS_S = 10.0


class ActionError(ValueError):
    """A model's action that cannot be executed; the message says exactly why."""


def _point(value: Any, name: str) -> Point:
    if isinstance(value, str):
        nums = re.findall(r"-?\d+(?:\.\d+)?", value)
        value = [float(n) for n in nums]
    if isinstance(value, dict) and {"x", "y"} <= value.keys():
        value = [value["x"], value["y"]]
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{name} must be a pair [x, y], got {value!r}")
    try:
        x, y = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold two numbers, got {value!r}") from None
    if x < 0 or y < 0:
        raise ValueError(f"{name} must not be negative, got [{value[0]}, {value[1]}]")
    return (x, y)


class ActionModel(BaseModel):
    """The base of every action model: its GUI-Owl JSON, its points, a short description."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """The GUI-Owl JSON form of this action (what a model would have written)."""
        return self.model_dump(mode="json", exclude_none=True)

    def points(self) -> list[Point]:
        """Points in the model's frame that this action touches."""
        return []

    def describe(self) -> str:
        """A short human-readable form for logs and history."""
        args = {k: v for k, v in self.to_json().items() if k != "action"}
        return f"{self.to_json()['action']}({json.dumps(args, ensure_ascii=False)[1:-1]})"


class Click(ActionModel):
    action: Literal["click"] = "click"
    coordinate: Point

    _v = field_validator("coordinate", mode="before")(lambda v: _point(v, "coordinate"))

    def points(self) -> list[Point]:
        return [self.coordinate]


class LongPress(ActionModel):
    action: Literal["long_press"] = "long_press"
    coordinate: Point
    time: float = Field(default=1.0, description="seconds")

    _v = field_validator("coordinate", mode="before")(lambda v: _point(v, "coordinate"))

    @field_validator("time")
    @classmethod
    def _time(cls, v: float) -> float:
        if not 0 < v <= MAX_PRESS_S:
            raise ValueError(f"time must be in (0, {MAX_PRESS_S}] seconds, got {v}")
        return v

    def points(self) -> list[Point]:
        return [self.coordinate]


class Swipe(ActionModel):
    action: Literal["swipe"] = "swipe"
    coordinate: Point
    coordinate2: Point
    time: float | None = Field(default=None, description="seconds; None = a normal fling")

    _v = field_validator("coordinate", mode="before")(lambda v: _point(v, "coordinate"))
    _v2 = field_validator("coordinate2", mode="before")(lambda v: _point(v, "coordinate2"))

    @field_validator("time")
    @classmethod
    def _time(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v <= MAX_PRESS_S:
            raise ValueError(f"time must be in (0, {MAX_PRESS_S}] seconds, got {v}")
        return v

    def points(self) -> list[Point]:
        return [self.coordinate, self.coordinate2]


class Type(ActionModel):
    action: Literal["type"] = "type"
    text: str


class Key(ActionModel):
    action: Literal["key"] = "key"
    text: str = Field(description="a key name, e.g. 'volume_up', 'KEYCODE_DEL' or 'del'")

    @field_validator("text")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("key needs a key name in text")
        return v.strip()


class SystemButton(ActionModel):
    action: Literal["system_button"] = "system_button"
    button: Literal["Back", "Home", "Menu", "Enter"]

    @field_validator("button", mode="before")
    @classmethod
    def _button(cls, v: Any) -> Any:
        if isinstance(v, str):
            for name in SYSTEM_BUTTONS:
                if v.strip().lower() == name.lower():
                    return name
            raise ValueError(f"unknown button {v!r}; use one of {', '.join(SYSTEM_BUTTONS)}")
        return v


class Open(ActionModel):
    action: Literal["open"] = "open"
    text: str = Field(description="the app's name")

    @field_validator("text")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("open needs an app name in text")
        return v.strip()


class Wait(ActionModel):
    action: Literal["wait"] = "wait"
    time: float = 1.0

    @field_validator("time")
    @classmethod
    def _time(cls, v: float) -> float:
        if not 0 <= v <= MAX_WAIT_S:
            raise ValueError(f"time must be in [0, {MAX_WAIT_S}] seconds, got {v}")
        return v


class Answer(ActionModel):
    action: Literal["answer"] = "answer"
    text: str


class Ask(ActionModel):
    """Ask the human a question (login, captcha, missing information) and wait for the reply."""

    action: Literal["ask"] = "ask"
    text: str


class Terminate(ActionModel):
    action: Literal["terminate"] = "terminate"
    status: Literal["success", "failure"] = "success"

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


AnyAction = Click | LongPress | Swipe | Type | Key | SystemButton | Open | Wait | Answer | Ask | Terminate
"""Every action model; the order is the vocabulary's order in error messages and the Worker's prompt."""

Action = Annotated[AnyAction, Field(discriminator="action")]
"""One typed action, told apart by its `action` name (a pydantic discriminated union)."""

_ADAPTER: TypeAdapter[AnyAction] = TypeAdapter(Action)

ACTION_TYPES: tuple[type[ActionModel], ...] = get_args(AnyAction)


def action_name(cls: type[ActionModel]) -> str:
    """The `action` name of an action model (its discriminator), e.g. `click` for `Click`."""
    name = cls.model_fields["action"].default
    assert isinstance(name, str)
    return name


ACTION_NAMES: tuple[str, ...] = tuple(action_name(cls) for cls in ACTION_TYPES)
_ALIASES = {
    "tap": "click",
    "press": "click",
    "left_click": "click",
    "longpress": "long_press",
    "long_click": "long_press",
    "long-press": "long_press",
    "scroll": "swipe",
    "drag": "swipe",
    "input": "type",
    "type_text": "type",
    "write": "type",
    "open_app": "open",
    "launch": "open",
    "button": "system_button",
    "navigate": "system_button",
    "done": "terminate",
    "finish": "terminate",
    "stop": "terminate",
    "interact": "ask",  # GUI-Owl-1.5's `mobile_use`: hand over to the user
    "call_user": "ask",
    "calluser": "ask",
}
_FIELD_ALIASES = {
    "coordinate": ("coordinate", "coordinates", "point", "position", "start", "start_coordinate", "from"),
    "coordinate2": ("coordinate2", "end", "end_coordinate", "to", "target"),
    "text": ("text", "content", "value", "app", "app_name", "key", "message"),
    "time": ("time", "duration", "seconds"),
}


def parse_action(obj: Any) -> Action:
    """Validate a model's action object (a dict or a JSON string) into a typed action.

    Accepts GUI-Owl's `{"name": "mobile_use", "arguments": {...}}` wrapper, common aliases
    (`tap`, `point`...), and coordinate strings like "(540, 1210)". Raises `ActionError`.
    """
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise ActionError(f"action is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ActionError(f"action must be a JSON object, got {type(obj).__name__}")
    if isinstance(obj.get("arguments"), dict):
        obj = obj["arguments"]
    name = obj.get("action", obj.get("action_type"))
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"action object has no 'action' name: {json.dumps(obj, ensure_ascii=False)[:200]}")
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in ACTION_NAMES:
        raise ActionError(f"unknown action {name!r}; expected one of {', '.join(ACTION_NAMES)}")
    data: dict[str, Any] = {"action": name}
    for field, aliases in _FIELD_ALIASES.items():
        for alias in aliases:
            if alias in obj and obj[alias] is not None and (alias != "type" or name == "type"):
                data[field] = obj[alias]
                break
    if "button" in obj:
        data["button"] = obj["button"]
    if "status" in obj:
        data["status"] = obj["status"]
    if name == "system_button" and "button" not in data and "text" in data:
        data["button"] = data.pop("text")
    if name == "type" and "text" not in data:
        raise ActionError("type needs the text to type in 'text'")
    if name in ("answer", "ask") and "text" not in data:
        raise ActionError(f"{name} needs its text in 'text'")
    if name == "answer" and isinstance(data["text"], dict | list):  # structured data given inline
        data["text"] = json.dumps(data["text"], ensure_ascii=False)
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(_explain(err) for err in exc.errors())
        raise ActionError(f"invalid {name} action: {problems}") from None


def _explain(err: Any) -> str:
    field = ".".join(str(p) for p in err["loc"][1:]) or "action"
    if err["type"] == "missing":
        return f"missing '{field}'"
    return f"{field}: {err['msg'].removeprefix('Value error, ')}"


def check_in_frame(action: Action, frame: Frame) -> None:
    """Raise `ActionError` when a point lies outside the image the model was shown."""
    for x, y in action.points():
        if not frame.in_bounds(x, y):
            if frame.kind == "norm1000":
                size = "1000x1000"
            elif frame.kind == "resized":
                size = f"{frame.image_size[0]}x{frame.image_size[1]}"
            else:
                size = f"{frame.device_size[0]}x{frame.device_size[1]}"
            raise ActionError(f"point [{x:g}, {y:g}] is outside the {size} screen")


def is_terminal(action: Action) -> bool:
    """Actions that end the task."""
    return isinstance(action, Answer | Terminate)
