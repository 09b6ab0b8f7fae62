"""The oracle over real HTTP: routing of parallel runs, image frames, every role's format."""

from __future__ import annotations

import base64
import io

import adbutils
import openai
import pytest
from PIL import Image

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.oracle import OracleServer
from mobile_agent.bench.tasks import get_task
from mobile_agent.roles.parsing import (
    parse_manager,
    parse_notetaker,
    parse_reflector,
    parse_single,
    parse_worker,
)


def _url(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def _ask(
    client: openai.AsyncOpenAI, model: str, role: str, instruction: str, images: list[Image.Image]
) -> str:
    system = "You operate a phone." if role == "single" else f"# Role: {role}\nYou are the {role}."
    if role == "single":
        system += '\n<tools>{"name": "mobile_use"}</tools>'
        user = f"The user query: {instruction}"
    else:
        user = f"### Instruction\n{instruction}\n"
    content = [{"type": "text", "text": user}] + [
        {"type": "image_url", "image_url": {"url": _url(i)}} for i in images
    ]
    r = await client.chat.completions.create(
        model=model, messages=[{"role": "system", "content": system}, {"role": "user", "content": content}]
    )
    return r.choices[0].message.content or ""


@pytest.fixture(scope="module")
def two_phones():
    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=2, port=0, seed=0).start()
    try:
        for s in sim.serials:
            connect_adb(s)
        yield sim
    finally:
        for s in sim.serials:
            try:
                adbutils.AdbClient(host="127.0.0.1", port=5037).disconnect(s)
            except Exception:
                pass
        sim.stop()


@pytest.mark.parametrize("frame", ["resized", "norm1000"])
async def test_same_instruction_on_two_phones_and_frames(two_phones, frame: str) -> None:
    a, b = two_phones.serials
    adb_a, adb_b = AdbShell(a), AdbShell(b)
    task_a, task_b = get_task("wifi_on").from_seed(0), get_task("wifi_on").from_seed(0)
    await task_a.initialize(adb_a)
    await task_b.initialize(adb_b)
    await adb_b.start("com.android.settings")  # phone B is one step further
    with OracleServer(frame=frame) as server:
        model_a = server.oracle.register(task_a, a, adb_a)
        model_b = server.oracle.register(task_b, b, adb_b)
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="none", max_retries=0)
        shot = Image.new("RGB", (546, 1204))  # half the device's size: the frame the model "saw"
        wa = parse_worker(await _ask(client, model_a, "Worker", task_a.goal, [shot]))
        wb = parse_worker(await _ask(client, model_b, "Worker", task_b.goal, [shot]))
        assert wa.action.to_json() == {"action": "open", "text": "Settings"}
        x, y = wb.action.coordinate
        sw = Screen.from_xml(await adb_b.ui_xml()).switch_for("Wi-Fi")
        assert sw is not None
        sx, sy = (x * 2, y * 2) if frame == "resized" else (x * 1080 / 1000, y * 2400 / 1000)
        left, top, right, bottom = sw.clickable_self_or_ancestor().bounds
        assert left <= sx <= right and top <= sy <= bottom, (x, y, sw.bounds)
        # the other roles, in their documented formats
        m = parse_manager(await _ask(client, model_b, "Manager", task_b.goal, [shot]))
        assert not m.finished and m.plan and "Wi-Fi" in m.subgoal
        same = parse_reflector(await _ask(client, model_b, "Reflector", task_b.goal, [shot, shot]))
        assert same.outcome == "C"
        changed = parse_reflector(
            await _ask(
                client, model_b, "Reflector", task_b.goal, [shot, Image.new("RGB", (546, 1204), "white")]
            )
        )
        assert changed.outcome == "A"
        assert not isinstance(
            parse_notetaker(await _ask(client, model_b, "Notetaker", task_b.goal, [shot])), Exception
        )
        single = parse_single(await _ask(client, model_b, "single", task_b.goal, [shot]))
        assert single.action.to_json()["action"] == "click"
        # once the phone's state passes, the Manager says finished and the Worker terminates
        await adb_b.put_setting("global", "wifi_on", "1")
        assert parse_manager(await _ask(client, model_b, "Manager", task_b.goal, [shot])).finished
        assert parse_worker(await _ask(client, model_b, "Worker", task_b.goal, [shot])).action.to_json() == {
            "action": "terminate",
            "status": "success",
        }
        # an unknown model name with an instruction two runs share cannot be routed
        with pytest.raises(openai.InternalServerError, match="share this instruction"):
            await _ask(client, "gui-owl-7b", "Worker", task_a.goal, [shot])
        server.oracle.unregister(model_b)
        w = parse_worker(await _ask(client, "gui-owl-7b", "Worker", task_a.goal, [shot]))
        assert w.action.to_json()["action"] == "open", "a unique instruction is matched by text"
        await client.close()
