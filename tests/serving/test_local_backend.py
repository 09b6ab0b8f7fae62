"""The transformers backend end to end on a tiny random Qwen2.5-VL built offline.

Skips when torch/transformers are missing, except under CI=true, where it must run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ci_guard import require_module
from PIL import Image

from mobile_agent.llm.base import ChatModel, ImagePart, Message, ModelUnavailable, TextPart

# CI installs the `local` extra: there a missing module fails the run instead of skipping it.
require_module("torch", "pip install 'mobile-agent[local]'")
require_module("transformers", "pip install 'mobile-agent[local]'")

from mobile_agent.llm.local import LocalChatModel  # noqa: E402
from serving.tiny_model import build_tiny_qwen  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen") / "model")


def _screen() -> Image.Image:
    img = Image.new("RGB", (108, 240), "white")
    img.paste((30, 120, 220), (10, 20, 98, 60))
    return img


def _messages(image: Image.Image) -> list[Message]:
    return [
        Message("system", "You operate an Android phone."),
        Message("user", [ImagePart(image), TextPart("Open the settings app.")]),
    ]


async def test_chat_with_an_image_returns_text_and_usage(tiny_model: Path) -> None:
    model = LocalChatModel(str(tiny_model), max_new_tokens=8)
    assert isinstance(model, ChatModel)
    assert not model.loaded
    resp = await model.chat(_messages(_screen()))
    assert model.loaded
    assert isinstance(resp.text, str) and resp.text
    assert resp.model == "model"
    # The prompt holds the image's visual tokens on top of the text; greedy decoding of 8.
    text_only = await model.chat([Message("user", "Open the settings app.")], max_tokens=4)
    assert resp.usage.prompt_tokens > text_only.usage.prompt_tokens + 4
    assert 0 < resp.usage.completion_tokens <= 8
    assert 0 < text_only.usage.completion_tokens <= 4
    # Greedy by default: the same question gives the same answer.
    again = await model.chat(_messages(_screen()))
    assert again.text == resp.text
    await model.aclose()
    assert not model.loaded


async def test_generation_leaves_the_event_loop_free(tiny_model: Path) -> None:
    model = LocalChatModel(str(tiny_model), max_new_tokens=32)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.002)

    task = asyncio.create_task(ticker())
    t0 = time.perf_counter()
    # Load plus two concurrent calls (Reflector and Notetaker run side by side).
    r1, r2 = await asyncio.gather(model.chat(_messages(_screen())), model.chat(_messages(_screen())))
    elapsed = time.perf_counter() - t0
    done.set()
    await task
    assert r1.text == r2.text
    # The ticker kept running while the model loaded and generated in worker threads.
    assert ticks >= 10, (ticks, elapsed)


async def test_roles_share_one_loaded_model_built_by_the_factory(tiny_model: Path) -> None:
    from mobile_agent.llm.factory import make_model

    # The factory passes one settings dict to any backend; server-only keys are accepted.
    settings = {"model": str(tiny_model), "base_url": "http://unused/v1", "api_key": None, "max_tokens": 6}
    worker = make_model("local", **settings)
    reflector = make_model("local", **settings)
    assert isinstance(worker, LocalChatModel) and isinstance(reflector, LocalChatModel)
    a = await worker.chat(_messages(_screen()))
    b = await reflector.chat(_messages(_screen()))
    assert a.text == b.text and a.usage.completion_tokens <= 6
    assert worker._engine is reflector._engine  # one copy of the weights for all roles
    await worker.aclose()
    assert (await reflector.chat([Message("user", "hi")], max_tokens=2)).usage.completion_tokens <= 2
    await reflector.aclose()


async def test_missing_directory_is_a_clear_unavailable_error(tmp_path: Path) -> None:
    model = LocalChatModel(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelUnavailable, match="no model directory"):
        await model.chat([Message("user", "hi")])


async def test_offline_hub_id_not_in_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = LocalChatModel("mPLUG/GUI-Owl-7B")
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        await model.chat([Message("user", "hi")])


def test_without_torch_the_error_says_how_to_install(tiny_model: Path) -> None:
    # A fresh interpreter where importing torch fails, as on a core-only install.
    code = (
        "import sys, asyncio; sys.modules['torch'] = None\n"
        "from mobile_agent.llm.local import LocalChatModel\n"
        "from mobile_agent.llm.base import Message, ModelUnavailable\n"
        f"m = LocalChatModel({str(tiny_model)!r})\n"
        "try:\n"
        "    asyncio.run(m.chat([Message('user', 'hi')]))\n"
        "except ModelUnavailable as e:\n"
        "    print('UNAVAILABLE', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert "UNAVAILABLE" in out.stdout, out.stderr
    assert "pip install 'mobile-agent[local]'" in out.stdout


class _StillPhone:
    """A device that shows one screen and records what it is asked to do (the device boundary)."""

    serial = "still-1"

    def __init__(self) -> None:
        self.actions: list[tuple[str, tuple[object, ...]]] = []
        self.image = Image.new("RGB", (1080, 2400), "white")

    async def info(self) -> object:
        from mobile_agent.device.base import DeviceInfo

        return DeviceInfo(self.serial, "still", "14", 1080, 2400)

    async def size(self) -> tuple[int, int]:
        return self.image.size

    async def screenshot(self) -> Image.Image:
        return self.image.copy()

    async def ui_tree(self) -> str:
        return "<hierarchy/>"

    async def current_app(self) -> str:
        return "com.android.launcher"

    async def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> object:  # tap, swipe, type_text, key, back, home, ...
        async def act(*args: object, **kwargs: object) -> None:
            self.actions.append((name, args))

        return act


@pytest.mark.parametrize("mode", ["multi", "single"])
async def test_agent_step_on_the_random_model_is_a_parse_failure_not_a_crash(
    tiny_model: Path, mode: str
) -> None:
    from mobile_agent.bus import Bus, EventType
    from mobile_agent.config import load_config
    from mobile_agent.loop import Runner

    # A small pixel budget keeps the tiny model's prompt short; the frame logic is the real one.
    config = load_config(
        mode=mode, max_steps=1, manager_retries=1, worker_retries=1, min_pixels=3136, max_pixels=112 * 112
    )
    model = LocalChatModel(str(tiny_model), max_new_tokens=12)
    bus = Bus()
    phone = _StillPhone()
    runner = Runner(
        phone, {"default": model, "worker": model, "manager": model, "single": model}, config, bus
    )
    result = await runner.run("Open the settings app.")
    await model.aclose()
    types = [e.type for e in bus.log]
    parse_errors = [e for e in bus.log if e.type == EventType.PARSE_ERROR]
    # Random text never parses: each attempt is a typed parse error carrying the raw answer, the
    # role is retried, and the run ends as a failure with a reason instead of an exception.
    assert len(parse_errors) >= 2, types
    assert all(e.data["raw"] and e.data["reason"] for e in parse_errors)
    assert result.status == "failed", result
    assert "internal" not in (result.error or ""), result
    assert not any(e.type == EventType.ERROR and e.data.get("kind") == "internal" for e in bus.log)
    assert types[-1] == EventType.TASK_FINISHED
    assert phone.actions == []  # nothing unparsed ever reached the phone
    calls = [e for e in bus.log if e.type == EventType.MODEL_CALL]
    assert calls and all(e.data["prompt_tokens"] > 0 for e in calls)


async def test_agent_builds_the_local_backend_from_its_config(tiny_model: Path) -> None:
    from mobile_agent.agent import build_models
    from mobile_agent.config import load_config

    config = load_config(
        backend="local", model=str(tiny_model), max_tokens=5, min_pixels=3136, max_pixels=112 * 112
    )
    models = build_models(config, ("manager", "worker", "reflector", "notetaker"))
    local = models["worker"]
    assert isinstance(local, LocalChatModel) and all(m is local for m in models.values())
    resp = await local.chat(_messages(_screen()))
    assert resp.text and 0 < resp.usage.completion_tokens <= 5
    await local.aclose()
