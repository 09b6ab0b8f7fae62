"""Agent.run budgets: 0 or negative steps, and 0 / negative / NaN seconds, are refused up front.

max_steps=0 used to fall back to the default budget of 25 steps and run the task.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig


@pytest.mark.parametrize(
    "kw",
    [{"max_steps": 0}, {"max_steps": -3}, {"max_steps": 1.5}, {"max_seconds": 0}, {"max_seconds": -1},
     {"max_seconds": math.nan}],
)  # fmt: skip
async def test_bad_budgets_raise_before_touching_anything(kw: dict, tmp_path: Path) -> None:
    config = AgentConfig(runs_dir=tmp_path, base_url="http://127.0.0.1:1/v1", model="m")
    with pytest.raises(ValueError, match="max_s"):
        await Agent("127.0.0.1:1", config=config).run("Turn on Wi-Fi", **kw)
    assert not os.listdir(tmp_path)
