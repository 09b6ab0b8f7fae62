"""Pass@k advantages against hand-computed values, and UI-R1 step rewards on known actions."""

from __future__ import annotations

from itertools import combinations
from math import sqrt

import pytest

from mobile_agent.rollout.rewards import (
    grpo_advantages,
    pass_at_k_advantages,
    pass_at_k_curve,
    pass_at_k_group_reward,
    step_reward,
    strict_action_json,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "pos", "neg"),
    [
        # R̄ = 1 - C(3,2)/C(4,2) = 1/2, σ = 1/2; A+ = (1/2)/(1/2); share = C(2,1)/C(3,1) = 2/3
        (4, 1, 2, 1.0, (1 - 0.5 - 2 / 3) / 0.5),
        # R̄ = 1 - C(3,3)/C(5,3) = 9/10, σ = 3/10; A+ = 1/3; share = C(2,2)/C(4,2) = 1/6 -> -2/9
        (5, 2, 3, 1 / 3, -2 / 9),
        # k = 1 is plain GRPO: R̄ = 1/3, σ = sqrt(2)/3
        (3, 1, 1, (2 / 3) / (sqrt(2) / 3), (-1 / 3) / (sqrt(2) / 3)),
        (4, 0, 2, 0.0, 0.0),  # no success: no signal
        (4, 4, 2, 0.0, 0.0),  # all succeed
        (4, 3, 2, 0.0, 0.0),  # every pair holds a success: σ = 0
    ],
)
def test_pass_at_k_advantages_match_hand_computed_values(
    n: int, c: int, k: int, pos: float, neg: float
) -> None:
    a_pos, a_neg = pass_at_k_advantages(n, c, k)
    assert a_pos == pytest.approx(pos)
    assert a_neg == pytest.approx(neg)


@pytest.mark.parametrize(("n", "c", "k"), [(6, 2, 3), (8, 3, 4), (5, 1, 2), (7, 4, 2)])
def test_closed_form_equals_enumerating_every_k_subset(n: int, c: int, k: int) -> None:
    rewards = [1] * c + [0] * (n - c)
    groups = [max(rewards[i] for i in g) for g in combinations(range(n), k)]
    mean = sum(groups) / len(groups)
    sigma = sqrt(sum((g - mean) ** 2 for g in groups) / len(groups))
    assert pass_at_k_group_reward(n, c, k) == pytest.approx(mean)
    per_sample = []
    for i in range(n):
        mine = [(max(rewards[j] for j in g) - mean) / sigma for g in combinations(range(n), k) if i in g]
        per_sample.append(sum(mine) / len(mine))
    a_pos, a_neg = pass_at_k_advantages(n, c, k)
    assert per_sample[0] == pytest.approx(a_pos)
    assert per_sample[-1] == pytest.approx(a_neg)


def test_grpo_and_the_pass_at_k_curve() -> None:
    assert grpo_advantages([1, 0, 0, 0]) == pytest.approx(
        [sqrt(3), -1 / sqrt(3), -1 / sqrt(3), -1 / sqrt(3)], rel=1e-5
    )
    assert grpo_advantages([1, 1]) == [0.0, 0.0]
    curve = pass_at_k_curve([(4, 1), (4, 0), (2, 2)])
    assert curve[1] == pytest.approx((0.25 + 0 + 1) / 3)
    assert curve[2] == pytest.approx((0.5 + 0 + 1) / 3)
    assert curve[4] == pytest.approx((1 + 0) / 2)  # the n=2 group has no 4-subsets


LABEL_TAP = {"action": "click", "coordinate": [962, 340]}
BOUNDS = [884, 292, 1040, 388]


@pytest.mark.parametrize(
    ("predicted", "bounds", "label", "expect"),
    [
        ({"action": "click", "coordinate": [900, 300]}, BOUNDS, LABEL_TAP, (1, 1, 1, None, 3, True)),
        ({"action": "click", "coordinate": [100, 300]}, BOUNDS, LABEL_TAP, (1, 1, 0, None, 2, False)),
        ({"action": "long_press", "coordinate": [900, 300]}, BOUNDS, LABEL_TAP, (1, 0, 0, None, 1, False)),
        (None, BOUNDS, LABEL_TAP, (0, 0, 0, None, 0, False)),
        (
            {"action": "type", "text": " Hello  World"},
            None,
            {"action": "type", "text": "hello world"},
            (1, 1, None, 1, 3, True),
        ),
        (
            {"action": "type", "text": "hello"},
            None,
            {"action": "type", "text": "hello world"},
            (1, 1, None, 0, 2, False),
        ),
        (
            {"action": "open", "text": "Settings"},
            None,
            {"action": "open", "text": "Settings"},
            (1, 1, None, 1, 3, True),
        ),
        (
            {"action": "system_button", "button": "Home"},
            None,
            {"action": "system_button", "button": "Back"},
            (1, 0, None, None, 1, False),
        ),
        (
            {"action": "terminate", "status": "success"},
            None,
            {"action": "terminate", "status": "success"},
            (1, 1, None, None, 2, True),
        ),
        (
            {"action": "swipe", "coordinate": [5, 900], "coordinate2": [5, 100]},
            None,
            {"action": "swipe", "coordinate": [540, 1800], "coordinate2": [540, 600]},
            (1, 1, 1, None, 3, True),
        ),
    ],
)
def test_step_rewards_on_known_right_and_wrong_actions(predicted, bounds, label, expect) -> None:  # type: ignore[no-untyped-def]
    r = step_reward(predicted, label, bounds, well_formed=True)
    assert (r.format, r.type, r.point, r.text, r.total, r.success) == expect


def test_format_reward_is_strict_json_without_repair() -> None:
    good = '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [1, 2]}}\n</tool_call>'
    assert strict_action_json(good) == {"action": "click", "coordinate": [1, 2]}
    assert (
        strict_action_json("<tool_call>{'name': 'mobile_use', 'arguments': {'action': 'click'}}</tool_call>")
        is None
    )
    assert strict_action_json('### Action\n{"action": "open", "text": "Clock",}\n### Description\nx') is None
    assert strict_action_json('### Action\n{"action": "open", "text": "Clock"}\n### Description\nx') == {
        "action": "open",
        "text": "Clock",
    }
    assert strict_action_json("click the button") is None
