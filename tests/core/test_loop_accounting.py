"""The loop's model-call accounting: image tokens are counted with the factor the serving
profile set in config (the profile is applied once, in `AgentConfig`, not again in the loop)."""

from __future__ import annotations

import json
from pathlib import Path

from fakes import TogglePhone

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.coords import image_tokens
from mobile_agent.llm.base import Message
from mobile_agent.llm.scripted import ScriptedModel

DONE = json.dumps({"name": "mobile_use", "arguments": {"action": "terminate", "status": "success"}})


def test_the_profile_sets_the_image_factor_once_in_config() -> None:
    assert AgentConfig().image_factor == 28
    assert AgentConfig(profile="gui-owl-7b").image_factor == 28
    assert AgentConfig(profile="gui-owl-1.5-8b").image_factor == 32
    assert AgentConfig(profile="gui-owl-1.5-8b", image_factor=28).image_factor == 28  # given wins


async def test_image_tokens_are_counted_with_the_profiles_factor(tmp_path: Path) -> None:
    sent: list[tuple[int, int]] = []

    def answer(messages: list[Message]) -> str:
        sent.extend((im.height, im.width) for m in messages for im in m.images())
        return f"<tool_call>\n{DONE}\n</tool_call>\n<conclusion>done</conclusion>"

    cfg = AgentConfig(runs_dir=tmp_path / "runs", mode="single", profile="gui-owl-1.5-8b")
    result = await Agent(TogglePhone(), config=cfg, models=ScriptedModel(answer)).run("Turn on Wi-Fi")
    assert result.status == "succeeded" and len(sent) == 1
    h, w = sent[0]
    assert image_tokens(h, w, 32) != image_tokens(h, w, 28)  # the factor matters for this image
    assert result.usage["image_tokens"] == image_tokens(h, w, 32)
    assert result.usage["per_role"]["single"]["image_tokens"] == image_tokens(h, w, 32)
