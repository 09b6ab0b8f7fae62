"""`content query|update|delete --where` over real adb: one query engine (mobile_agent/sim/where.py)
with SQLite's semantics for the phone and the `content` command alike (AND binds tighter than OR,
AND/OR inside quotes are text, a clause SQLite would refuse is an error that changes nothing)."""

from __future__ import annotations

import time

import adbutils

CONTACTS = "content://com.android.contacts/contacts"


def sh(device: adbutils.AdbDevice, cmd: str) -> tuple[int, str, str]:
    r = device.shell2(cmd, v2=True)
    return r.returncode, r.stdout, r.stderr


def ids(out: str) -> list[str]:
    return [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("Row: ")]


def test_or_and_precedence_as_in_sqlite(device: adbutils.AdbDevice) -> None:
    query = f"content query --uri {CONTACTS} --projection _id --where"
    assert sorted(ids(sh(device, f'{query} "_id=1 OR _id=2"')[1])) == ["1", "2"]
    assert ids(sh(device, f'{query} "_id=1 OR _id=2 AND _id=3"')[1]) == ["1"]
    assert sorted(ids(sh(device, f'{query} "_id>=2 AND _id<=3 OR _id=1"')[1])) == ["1", "2", "3"]


def test_and_or_inside_quotes_are_text(device: adbutils.AdbDevice) -> None:
    name = "Tom AND Jerry OR Spike"
    sh(device, f"content insert --uri {CONTACTS} --bind \"display_name:s:{name}\" --bind number:s:5550100")
    code, out, _ = sh(
        device, f"content query --uri {CONTACTS} --projection display_name --where \"display_name='{name}'\""
    )
    assert (code, out) == (0, f"Row: 0 display_name={name}\n")


def test_update_and_delete_take_or(device: adbutils.AdbDevice) -> None:
    sh(device, f"content insert --uri {CONTACTS} --bind display_name:s:Zed1 --bind number:s:1")
    sh(device, f"content insert --uri {CONTACTS} --bind display_name:s:Zed2 --bind number:s:2")
    where = "display_name='Zed1' OR display_name='Zed2'"
    assert sh(device, f'content update --uri {CONTACTS} --bind email:s:z@x.org --where "{where}"')[0] == 0
    out = sh(device, f"content query --uri {CONTACTS} --projection email --where \"email='z@x.org'\"")[1]
    assert len(ids(out)) == 2
    assert sh(device, f'content delete --uri {CONTACTS} --where "{where}"')[0] == 0
    out = sh(device, f'content query --uri {CONTACTS} --where "{where}"')[1]
    assert out == "No result found.\n"


def test_bad_clause_is_an_error_and_deletes_nothing(device: adbutils.AdbDevice) -> None:
    before = sh(device, f"content query --uri {CONTACTS}")[1]
    code, _, err = sh(device, f'content delete --uri {CONTACTS} --where "_id=1 OR ="')
    assert code == 1 and 'SQLiteException: near "=": syntax error' in err
    code, _, err = sh(device, f'content delete --uri {CONTACTS} --where "colour=1"')
    assert code == 1 and "SQLiteException: no such column: colour" in err
    assert sh(device, f"content query --uri {CONTACTS}")[1] == before


def test_like_with_many_wildcards_answers_at_once(device: adbutils.AdbDevice) -> None:
    """LIKE was a translated regex (`.*a.*a...b`): this query held a worker for minutes."""
    name = "a" * 40
    sh(device, f"content insert --uri {CONTACTS} --bind display_name:s:{name} --bind number:s:1")
    hostile = "%a" * 12 + "%b"
    where = f"display_name LIKE '{hostile}'"
    r = device.shell2(f'content query --uri {CONTACTS} --where "{where}"', timeout=10)
    assert (r.returncode, r.output.strip()) == (0, "No result found.")
    # LIKE keeps its meaning: `%` any run, `_` one character, case-insensitive, `.` and `*` literal
    query = f"content query --uri {CONTACTS} --projection display_name --where"
    assert name in sh(device, f"{query} \"display_name LIKE '{'%A' * 12}%'\"")[1]
    assert name in sh(device, f"{query} \"display_name LIKE '{'_' * 40}'\"")[1]
    assert "Row:" not in sh(device, f"{query} \"display_name LIKE '{'_' * 39}'\"")[1]
    assert "Row:" not in sh(device, f"{query} \"display_name LIKE 'a.*'\"")[1]


def test_dangling_and_or_is_an_error_not_an_empty_match(device: adbutils.AdbDevice) -> None:
    """`_id=1 AND` read as `_id = '1 AND'`: no rows, exit 0, and a delete that silently did nothing."""
    before = sh(device, f"content query --uri {CONTACTS}")[1]
    for where in ("_id=1 AND", "_id=1 OR", "_id=1 2", "display_name=Tom Jerry", "display_name='Tom"):
        code, out, err = sh(device, f'content delete --uri {CONTACTS} --where "{where}"')
        assert code == 1 and "syntax error" in err, (where, code, out, err)
        code, out, err = sh(device, f'content query --uri {CONTACTS} --where "{where}"')
        assert code == 1 and "syntax error" in err, (where, code, out, err)
    assert sh(device, f"content query --uri {CONTACTS}")[1] == before
    assert ids(sh(device, f'content query --uri {CONTACTS} --projection _id --where "_id=1"')[1]) == ["1"]


def test_a_long_clause_is_parsed_in_linear_time(device: adbutils.AdbDevice) -> None:
    """Each blank of a run was tried as the start of ` AND `: 60k blanks took ~40 s in a worker."""
    where = "_id=1" + " " * 60_000 + "x"
    start = time.monotonic()
    code, _, err = sh(device, f'content query --uri {CONTACTS} --where "{where}"')
    assert code == 1 and "syntax error" in err
    assert time.monotonic() - start < 5
    spaced = "_id=1" + " " * 30_000 + "OR" + "\t" * 10 + "_id=2"
    out = sh(device, f'content query --uri {CONTACTS} --projection _id --where "{spaced}"')[1]
    assert sorted(ids(out)) == ["1", "2"]
