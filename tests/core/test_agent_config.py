"""Settings from keywords and MOBILE_AGENT_* variables, per-role overrides, profiles, policy."""

from __future__ import annotations

import pytest

from mobile_agent.actions import Click, Type
from mobile_agent.config import AgentConfig, ConfigError, load_config
from mobile_agent.policy import Policy


def test_defaults() -> None:
    c = AgentConfig()
    assert (c.base_url, c.model, c.backend, c.mode, c.max_steps, c.notetaker) == (
        "http://127.0.0.1:8000/v1", "gui-owl-7b", "openai", "multi", 25, True,
    )  # fmt: skip


def test_environment_and_per_role_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOBILE_AGENT_BASE_URL", "http://gpu-a:8000/v1/")
    monkeypatch.setenv("MOBILE_AGENT_MANAGER__MODEL", "gui-owl-32b")
    monkeypatch.setenv("MOBILE_AGENT_MANAGER__BASE_URL", "http://gpu-b:8000/v1")
    monkeypatch.setenv("MOBILE_AGENT_REFLECTOR__MODEL", "gui-owl-32b")
    monkeypatch.setenv("MOBILE_AGENT_NOTETAKER", "off")
    monkeypatch.setenv("MOBILE_AGENT_MAX_STEPS", "12")
    c = load_config()
    assert c.base_url == "http://gpu-a:8000/v1" and c.max_steps == 12 and c.notetaker is False
    assert c.model_settings("manager")["model"] == "gui-owl-32b"
    assert c.model_settings("manager")["base_url"] == "http://gpu-b:8000/v1"
    assert c.model_settings("reflector")["base_url"] == "http://gpu-a:8000/v1"
    assert c.model_settings("worker")["model"] == "gui-owl-7b"
    assert c.distinct_endpoints()
    # keyword overrides beat the environment; None means "not given"
    assert load_config(max_steps=3, model=None).max_steps == 3


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_notetaker_is_a_real_boolean(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MOBILE_AGENT_NOTETAKER", value)
    with pytest.raises(ConfigError, match="MOBILE_AGENT_NOTETAKER"):
        load_config()


def test_profile_sets_frame_and_budget_unless_given() -> None:
    c = load_config(profile="gui-owl-1.5-8b")
    assert c.frame == "norm1000" and c.model == "gui-owl-1.5-8b" and c.max_pixels == 4096 * 32 * 32
    c = load_config(profile="gui-owl-1.5-8b", frame="resized", model="mine")
    assert c.frame == "resized" and c.model == "mine"
    with pytest.raises(ConfigError, match="unknown model profile 'nope'"):
        load_config(profile="nope")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"base_url": "localhost:8000"}, "MOBILE_AGENT_BASE_URL"),
        ({"mode": "both"}, "MOBILE_AGENT_MODE"),
        ({"min_pixels": 10_000_000, "max_pixels": 1_000_000}, "min_pixels"),
        ({"temperature": 5}, "MOBILE_AGENT_TEMPERATURE"),
    ],
)
def test_validation_messages(kw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(**kw)


UI = """<hierarchy>
<node text="" bounds="[0,0][1080,2400]">
  <node text="Password" focused="true" password="true" bounds="[40,400][1040,500]" />
  <node text="Send" bounds="[800,2200][1040,2300]" clickable="true" />
  <node text="Details" bounds="[40,1000][1040,1100]" />
</node></hierarchy>"""


def test_policy() -> None:
    p = Policy("confirm", ("send", "pay", "delete"))
    assert p.check(Type(text="hunter2"), ui_xml=UI) == "typing into a password field"
    assert "'Send'" in (p.check(Click(coordinate=(0, 0)), device_point=(900, 2250), ui_xml=UI) or "")
    assert p.check(Click(coordinate=(0, 0)), device_point=(500, 1050), ui_xml=UI) is None
    assert "pay" in (p.check(Click(coordinate=(0, 0)), "Pay the bill now") or "")
    assert p.check(Click(coordinate=(0, 0)), "open the sender list") is None  # whole words only
    assert Policy("allow", ("send",)).check(Click(coordinate=(0, 0)), "send it", ui_xml=UI) is None
