"""Verifiers read the phone over adb: initial states never pass, wrong outcomes are caught."""

from __future__ import annotations

import pytest

from mobile_agent.bench.base import TaskSetupError
from mobile_agent.bench.drive import drive
from mobile_agent.bench.tasks import ALL_TASKS, get_task
from mobile_agent.bench.tasks.common import sent_to
from mobile_agent.bench.tasks.messages import SendText
from mobile_agent.bench.tasks.settings import WifiOn


async def test_every_template_starts_unsolved(phone) -> None:
    for cls in ALL_TASKS:
        phone.reset()
        task = cls.from_seed(0)
        await task.initialize(phone.adb)  # raises TaskSetupError if it already passed
        assert await task.is_successful(phone.adb, answer=None) == 0.0, task.instance_id


async def test_initial_state_that_passes_is_rejected(phone) -> None:
    class AlreadyOn(WifiOn):
        name = "wifi_on_already"

        async def setup(self, adb) -> None:
            await adb.put_setting("global", "wifi_on", "1")

    phone.reset()
    with pytest.raises(TaskSetupError, match="already passes"):
        await AlreadyOn.from_seed(0).initialize(phone.adb)


async def test_message_sent_to_the_wrong_contact_fails(phone) -> None:
    phone.reset()
    task = SendText.from_seed(1)
    await task.initialize(phone.adb)
    # Do it wrong on the phone itself (adb input only): same text, another contact.
    assert task.params["name"] != "Marisol Haddad"
    wrong = SendText(task.params | {"name": "Marisol Haddad", "number": "5550001111"}, seed=1)
    await wrong.initialize(phone.adb)
    finished, _, moves = await drive(wrong, phone.adb)
    assert finished and moves, "the wrong message was really sent through the UI"
    assert await wrong.is_successful(phone.adb) == 1.0
    assert await task.is_successful(phone.adb) == 0.0
    # ...and sending it right afterwards still fails: the text also went to someone else.
    await drive(task, phone.adb, max_steps=8)
    assert task.params["body"] in await sent_to(phone.adb, task.params["number"])
    assert await task.is_successful(phone.adb) == 0.0


async def test_wrong_setting_is_caught(phone) -> None:
    phone.reset()
    task = get_task("wifi_on").from_seed(0)
    await task.initialize(phone.adb)
    other = get_task("bluetooth_off").from_seed(0)
    await other.initialize(phone.adb)
    await drive(other, phone.adb)
    assert await other.is_successful(phone.adb) == 1.0
    assert await task.is_successful(phone.adb) == 0.0


async def test_wrong_answer_is_caught(phone) -> None:
    phone.reset()
    task = get_task("info_contact_phone").from_seed(2)
    await task.initialize(phone.adb)
    right = task.params["number"]
    assert await task.is_successful(phone.adb, answer=f"It is {right}.") == 1.0
    assert await task.is_successful(phone.adb, answer=right[:-1] + str((int(right[-1]) + 1) % 10)) == 0.0
    assert await task.is_successful(phone.adb, answer=None) == 0.0
