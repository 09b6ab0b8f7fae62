"""One recorded action call -> one step row: parse the answer, map frames, score it.

Points are compared in DEVICE pixels: the answer's point goes through the same `coords.Frame`
the agent used (the size of the image the model saw -> the device), and the oracle's label is
also given back in the model's frame so a trainer can use it as a target.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from mobile_agent.coords import Frame
from mobile_agent.roles.parsing import ParseFailure, parse_single, parse_worker
from mobile_agent.rollout.recorder import ACTION_ROLES
from mobile_agent.rollout.rewards import step_reward, strict_action_json

__all__ = ["frame_of", "map_action", "parse_answer", "step_row"]


def parse_answer(role: str, response: str) -> tuple[dict[str, Any] | None, str]:
    """(action in the model's frame, "") or (None, why) with the framework's own parser."""
    result = parse_worker(response) if role == "worker" else parse_single(response)
    if isinstance(result, ParseFailure):
        return None, result.reason
    return result.action.to_json(), ""


def frame_of(kind: str, image_size: tuple[int, int], device_size: tuple[int, int]) -> Frame:
    return Frame(kind=kind, image_size=image_size, device_size=device_size)  # type: ignore[arg-type]


def map_action(action: dict[str, Any] | None, frame: Frame, to_device: bool) -> dict[str, Any] | None:
    """The action with its points mapped model -> device (`to_device`) or device -> model."""
    if action is None:
        return None
    out = dict(action)
    for key in ("coordinate", "coordinate2"):
        if key in out and out[key] is not None:
            x, y = out[key]
            if to_device:
                out[key] = list(frame.to_device(x, y))
            else:
                fx, fy = frame.from_device(x, y)
                out[key] = [round(fx), round(fy)]
    return out


def _dump(obj: Any) -> str | None:
    return None if obj is None else json.dumps(obj, ensure_ascii=False, sort_keys=True)


def step_row(base: dict[str, Any], rec: dict[str, Any], call: dict[str, Any]) -> dict[str, Any] | None:
    """The step row of one call, or None for a call that is not an answered action request."""
    if call["role"] not in ACTION_ROLES or call.get("error") or call.get("label") is None:
        return None
    folder = Path(rec["_dir"])
    images = [(folder / name).read_bytes() for name in call["images"]]
    if images:
        with Image.open(io.BytesIO(images[-1])) as im:
            image_size = im.size
    else:
        image_size = (0, 0)
    dw, dh = call["device_size"]
    frame = frame_of(base["frame"], image_size, (dw, dh))
    action_model, why = parse_answer(call["role"], call["response"])
    action_device = map_action(action_model, frame, to_device=True)
    label = call["label"]
    bounds = call.get("label_bounds")
    r = step_reward(action_device, label, bounds, strict_action_json(call["response"]) is not None)
    return base | {
        "step_id": f"{rec['instance_id']}/s{rec['sample_id']}/c{call['index']}",
        "call_index": int(call["index"]),
        "step": call.get("step"),
        "role": call["role"],
        "messages": call["messages"],
        "images": [{"bytes": b, "path": None} for b in images],
        "image_width": image_size[0],
        "image_height": image_size[1],
        "device_width": dw,
        "device_height": dh,
        "response": call["response"],
        "sampling": _dump(call.get("sampling") or {}),
        "parsed": action_model is not None,
        "parse_error": why,
        "action_model": _dump(action_model),
        "action_device": _dump(action_device),
        "action_type": (action_model or {}).get("action"),
        "label_device": _dump(label),
        "label_model": _dump(map_action(label, frame, to_device=False)),
        "label_type": label.get("action"),
        "label_bounds": bounds,
        "ui_tree": call.get("ui_xml", ""),
        "r_format": r.format,
        "r_type": r.type,
        "r_point": r.point,
        "r_text": r.text,
        "step_reward": r.total,
        "step_success": r.success,
        "sft": base["status"] == "success",
        "hard": not r.success,
    }
