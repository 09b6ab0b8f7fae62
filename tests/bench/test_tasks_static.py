"""The task catalogue and answer checking, without a phone."""

from mobile_agent.bench.base import answer_contains, norm_text
from mobile_agent.bench.tasks import ALL_TASKS, get_task


def test_at_least_forty_templates_over_every_app() -> None:
    assert len(ALL_TASKS) >= 40
    names = [c.name for c in ALL_TASKS]
    assert len(names) == len(set(names)), "task names must be unique"
    apps = " ".join(c.app for c in ALL_TASKS)
    for app in ("Settings", "Contacts", "Messages", "Clock", "Notes", "Calendar", "Gallery"):
        assert app in apps
    assert any(c.answers for c in ALL_TASKS), "information-retrieval tasks exist"
    assert any("+" in c.app for c in ALL_TASKS), "multi-app tasks exist"


def test_instances_are_deterministic_and_have_solutions() -> None:
    for cls in ALL_TASKS:
        a, b = cls.from_seed(3), cls.from_seed(3)
        assert a.goal == b.goal and a.params == b.params, cls.name
        assert a.goal and "{" not in a.goal, cls.name
        assert a.solution(), f"{cls.name} has no solution steps"
        assert a.max_steps >= 5


def test_seeds_vary_parameters() -> None:
    cls = get_task("contacts_add")
    goals = {cls.from_seed(s).goal for s in range(6)}
    assert len(goals) > 1


def test_special_text_is_covered() -> None:
    goals = " ".join(cls.from_seed(s).goal for cls in ALL_TASKS for s in range(4))
    assert '"' in goals and "'" in goals
    assert any(ord(ch) > 0x4E00 for ch in goals), "Chinese text"
    assert any(ord(ch) > 0x1F300 for ch in goals), "emoji"


def test_answer_normalisation() -> None:
    assert answer_contains("It's 555-123 4567.", "5551234567", "digits")
    assert not answer_contains("555123456", "5551234567", "digits")
    assert answer_contains("The earliest alarm is at 7:05 AM", "07:05", "time")
    assert answer_contains("19:30", "19:30", "time")
    assert answer_contains("7:30 pm", "19:30", "time")
    assert not answer_contains("7:30 am", "19:30", "time")
    assert answer_contains("You have three unread messages", "3", "number")
    assert answer_contains("3", "3", "number")
    assert not answer_contains("13", "3", "number")
    assert answer_contains("  Combination 1234. ", "Combination 1234")
    assert norm_text("“Hello”") == "hello"
    assert not answer_contains(None, "x")


def test_answer_with_several_candidates_fails() -> None:
    # natural answers, repeats and other formats of the one right value pass
    assert answer_contains("Your earliest alarm is at 06:30.", "06:30", "time")
    assert answer_contains("6:30 AM", "06:30", "time")
    assert answer_contains("06:30 (6:30 am), so 06:30", "06:30", "time")
    assert answer_contains("3 unread messages", "3", "number")
    assert answer_contains("three (3) unread; 3 in all", "3", "number")
    assert answer_contains("3 unread, the latest from 5551234567", "3", "number")
    assert answer_contains("Code 123456, again: 123 456", "123456", "digits")
    assert answer_contains("Mail Jane.Doe7@example.com.", "jane.doe7@example.com", "email")
    # ...any other candidate of the same kind fails, as does a look-alike superstring
    assert not answer_contains("06:30 or 6:45", "06:30", "time")
    assert not answer_contains("6:30 PM", "06:30", "time")
    assert not answer_contains(" ".join(str(i) for i in range(31)), "3", "number")
    assert not answer_contains("zero one two three four", "3", "number")
    assert not answer_contains("3 or 4", "3", "number")
    assert not answer_contains("123456, 123457", "123456", "digits")
    assert not answer_contains("555-123-4567 or 555-123-4568", "5551234567", "digits")
    assert not answer_contains(
        "jane.doe7@example.com, jane.doe8@example.com", "jane.doe7@example.com", "email"
    )
    assert not answer_contains("xjane.doe7@example.com", "jane.doe7@example.com", "email")
    assert not answer_contains("Combination 1234 or 4321", "Combination 1234")
    assert answer_contains('"Locker 42" says Combination 1234', "Combination 1234")
    # an empty expected value is never contained (it would make any answer pass)
    assert not answer_contains("anything", "")
    assert not answer_contains("anything", "", "email")
