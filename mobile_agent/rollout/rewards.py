"""Rewards for rollouts: each one a small pure function with its formula and its source.

- trajectory reward: the device-state verdict of the task's verifier (0/1), never the agent's claim.
- Pass@k group reward and per-sample advantages, analytic in (n, c, k) (Chen et al. 2025,
  "Pass@k Training for Adaptively Balancing Exploration and Exploitation", arXiv:2508.10751).
- plain GRPO group-normalised advantages (Shao et al. 2024, DeepSeekMath), for comparison.
- step rewards in UI-R1's rule form (Lu et al. 2025, "UI-R1", arXiv:2503.21620): action type,
  point inside the labelled element, typed text, and format.
- the unbiased pass@k curve (Chen et al. 2021, Codex) for k = 1..n.

docs/training.md derives the closed forms; tests/rollout/test_rollout_rewards.py checks them
against values computed by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from math import comb, sqrt
from typing import Any

from mobile_agent.bench.estimator import pass_at_k

__all__ = [
    "StepReward",
    "grpo_advantages",
    "pass_at_k_advantages",
    "pass_at_k_curve",
    "pass_at_k_group_reward",
    "step_reward",
    "strict_action_json",
]

POINT_ACTIONS = ("click", "long_press")
TEXT_ACTIONS = ("type", "open", "answer")


def pass_at_k_group_reward(n: int, c: int, k: int) -> float:
    """Mean reward of a k-subset of the n samples (1 if any of its k succeeds):
    R̄ = 1 - C(n-c, k) / C(n, k), which is also the unbiased pass@k."""
    return pass_at_k(n, c, k)


def pass_at_k_advantages(n: int, c: int, k: int) -> tuple[float, float]:
    """(advantage of a successful sample, advantage of a failed one) under Pass@k training.

    Every k-subset g of the n samples is a group with reward R_g = max of its members' rewards;
    its normalised advantage is (R_g - R̄) / σ with σ = sqrt(R̄ (1 - R̄)) (R_g is 0/1). A sample's
    advantage is the mean over the C(n-1, k-1) subsets that contain it:
      success: every subset holding it has R_g = 1   ->  A+ = (1 - R̄) / σ
      failure: a share C(n-c-1, k-1) / C(n-1, k-1) of them are all failures (R_g = 0)
                                                     ->  A- = (1 - R̄ - C(n-c-1, k-1)/C(n-1, k-1)) / σ
    σ = 0 (c = 0, or every subset holds a success) gives (0, 0): the group carries no signal.
    """
    if not (0 <= c <= n) or k < 1 or k > n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n; got n={n}, c={c}, k={k}")
    mean = Fraction(1) - Fraction(comb(n - c, k), comb(n, k))
    var = mean * (1 - mean)
    if var == 0:
        return 0.0, 0.0
    sigma = sqrt(var)
    neg_share = Fraction(comb(n - c - 1, k - 1), comb(n - 1, k - 1)) if n - c >= 1 else Fraction(0)
    return float(1 - mean) / sigma, float(1 - mean - neg_share) / sigma


def grpo_advantages(rewards: Sequence[float], eps: float = 1e-6) -> list[float]:
    """GRPO: A_i = (r_i - mean(r)) / (std(r) + eps), population std over the group."""
    if not rewards:
        return []
    mean = sum(rewards) / len(rewards)
    std = sqrt(sum((r - mean) ** 2 for r in rewards) / len(rewards))
    if std == 0:
        return [0.0 for _ in rewards]
    return [(r - mean) / (std + eps) for r in rewards]


def pass_at_k_curve(counts: Iterable[tuple[int, int]]) -> dict[int, float]:
    """k -> mean unbiased pass@k over groups (n, c), for k = 1..max n (groups with n < k skipped)."""
    groups = list(counts)
    top = max((n for n, _ in groups), default=0)
    out: dict[int, float] = {}
    for k in range(1, top + 1):
        vals = [pass_at_k(n, c, k) for n, c in groups if n >= k]
        if vals:
            out[k] = sum(vals) / len(vals)
    return out


@dataclass(frozen=True)
class StepReward:
    """UI-R1-style rule rewards of one step against the oracle's label on that screen.

    `point`/`text` are None where the label has no such argument (not scored, not zero).
    `total` = format + type + (point or text when the type matches); `success` is
    AndroidControl's step success: the type matches and so does every scored argument.
    """

    format: float
    type: float
    point: float | None
    text: float | None
    total: float
    success: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S | re.I)
_ACTION_SECTION = re.compile(r"^#{1,6}\s*Action\s*#*\s*\n(.*?)(?=^#{1,6}\s|\Z)", re.S | re.M | re.I)


def strict_action_json(response: str) -> dict[str, Any] | None:
    """The action object if the answer is well-formed WITHOUT any repair, else None.

    Well-formed: a `<tool_call>` block (single mode) or a `### Action` section (Worker) holding
    exactly one strict JSON object (`json.loads`, no lenient fixes) with an `action` name.
    """
    m = _TOOL_CALL.search(response) or _ACTION_SECTION.search(response)
    if m is None:
        return None
    try:
        obj = json.loads(m.group(1).strip())
    except json.JSONDecodeError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("arguments"), dict):
        obj = obj["arguments"]
    if not isinstance(obj, dict) or not isinstance(obj.get("action"), str):
        return None
    return obj


def _norm_text(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _swipe_direction(a: dict[str, Any]) -> str | None:
    p1, p2 = a.get("coordinate"), a.get("coordinate2")
    if not p1 or not p2:
        return None
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    if abs(dx) >= abs(dy):
        return "right" if dx > 0 else "left"
    return "down" if dy > 0 else "up"


def step_reward(
    predicted: dict[str, Any] | None,
    label: dict[str, Any],
    bounds: Sequence[int] | None,
    well_formed: bool,
) -> StepReward:
    """Score a predicted action (DEVICE frame, or None when unparsable) against the oracle's label.

    r_type  = 1 if the action names match (`system_button`/`terminate` also compare button/status);
    r_point = 1 if the predicted point lies inside the labelled element's bounds [x1, y1, x2, y2]
              (click/long_press), or the swipe direction matches (swipe);
    r_text  = 1 if the text matches after whitespace/case folding (type, open, answer);
    r_format = 1 if the answer parsed without repair (`strict_action_json`).
    """
    fmt = 1.0 if well_formed and predicted is not None else 0.0
    kind = label.get("action")
    point: float | None = None
    text: float | None = None
    if kind in POINT_ACTIONS and bounds is not None:
        point = 0.0
    elif kind == "swipe":
        point = 0.0
    if kind in TEXT_ACTIONS:
        text = 0.0
    type_ok = predicted is not None and predicted.get("action") == kind
    if type_ok and kind == "system_button":
        type_ok = _norm_text(predicted.get("button")) == _norm_text(label.get("button"))  # type: ignore[union-attr]
    if type_ok and kind == "terminate":
        type_ok = _norm_text(predicted.get("status")) == _norm_text(label.get("status"))  # type: ignore[union-attr]
    if type_ok and predicted is not None:
        if point is not None and kind in POINT_ACTIONS and bounds is not None:
            xy = predicted.get("coordinate") or []
            if len(xy) == 2:
                x1, y1, x2, y2 = bounds
                point = 1.0 if x1 <= xy[0] < x2 and y1 <= xy[1] < y2 else 0.0
        elif point is not None and kind == "swipe":
            point = 1.0 if _swipe_direction(predicted) == _swipe_direction(label) else 0.0
        if text is not None:
            text = 1.0 if _norm_text(predicted.get("text")) == _norm_text(label.get("text")) else 0.0
    r_type = 1.0 if type_ok else 0.0
    args = [v for v in (point, text) if v is not None]
    total = fmt + r_type + (sum(args) if type_ok else 0.0)
    success = type_ok and all(v == 1.0 for v in args)
    return StepReward(fmt, r_type, point, text, total, success)
