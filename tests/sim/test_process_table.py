"""One process table: ps (its selections and -o), pidof, pgrep and kill agree, and uiautomator2's
server process is listed exactly while its JSON-RPC answers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import adbutils
import pytest
import uiautomator2 as u2
from sim_support import adb

from mobile_agent.sim import SimServer, connect_adb


@pytest.fixture(scope="module")
def serial() -> Iterator[str]:
    server = SimServer(count=1, port=0, seed=21).start()
    try:
        connect_adb(server.serials[0], timeout=15)
        yield server.serials[0]
    finally:
        subprocess.run(["adb", "disconnect", server.serials[0]], capture_output=True, timeout=20, check=False)
        server.stop()


@pytest.fixture(scope="module")
def device(serial: str) -> adbutils.AdbDevice:
    return adbutils.adb.device(serial)


def rows(device: adbutils.AdbDevice, cmd: str) -> list[list[str]]:
    out = device.shell2(cmd, v2=True)
    assert out.returncode == 0, out
    lines = out.stdout.splitlines()
    assert lines and lines[0].split()[:2] == ["USER", "PID"], lines
    return [line.split() for line in lines[1:]]


def u2_server_pid(device: adbutils.AdbDevice) -> int | None:
    """How uiautomator2's own keeper test finds the server: `ps -u shell`, last field app_process."""
    found = [int(r[1]) for r in rows(device, "ps -u shell") if r[-1] == "app_process"]
    assert len(found) <= 1
    return found[0] if found else None


def test_ps_selections_agree_with_ps_all(device: adbutils.AdbDevice) -> None:
    everything = rows(device, "ps -A")
    shell_rows = {(r[0], r[1], r[-1]) for r in everything if r[0] == "shell" and r[-1] not in ("ps",)}
    by_user = {(r[0], r[1], r[-1]) for r in rows(device, "ps -u shell") if r[-1] != "ps"}
    assert shell_rows == by_user
    assert {"adbd", "app_process", "sh"} <= {name for _, _, name in by_user}
    assert all(r[0] == "shell" for r in rows(device, "ps -u shell"))
    adbd = next(r for r in everything if r[-1] == "adbd")
    assert rows(device, f"ps -p {adbd[1]}") == [adbd]
    assert [r[1] for r in rows(device, "ps adbd")] == [adbd[1]]
    assert [r[1] for r in rows(device, "ps -u root -p 4200") if r[-1] == "adbd"] == [adbd[1]]  # a union
    # without a selection: this session only (the shell and ps itself)
    assert sorted(r[-1] for r in rows(device, "ps")) == ["ps", "sh"]


def test_ps_output_fields(device: adbutils.AdbDevice) -> None:
    out = device.shell2("ps -A -o PID,USER,NAME", v2=True).stdout.splitlines()
    assert out[0].split() == ["PID", "USER", "NAME"]
    assert any(line.split()[1:] == ["shell", "adbd"] for line in out[1:])
    names = device.shell2("ps -A -o NAME=", v2=True).stdout.split()
    assert "adbd" in names and "NAME" not in names  # empty headers: no header line
    args = device.shell2("ps -A -o ARGS", v2=True).stdout
    assert "com.wetest.uia2.Main" in args
    bad = device.shell2("ps -o NOPE", v2=True)
    assert bad.returncode == 1 and "bad -o NOPE" in bad.stderr


def test_pidof_pgrep_and_ps_give_the_same_pids(device: adbutils.AdbDevice) -> None:
    pid = u2_server_pid(device)
    assert pid is not None
    assert device.shell2("pidof app_process", v2=True).stdout.split() == [str(pid)]
    assert device.shell2("pgrep -f com.wetest.uia2.Main", v2=True).stdout.split() == [str(pid)]
    adbd = device.shell2("pgrep -l adbd", v2=True)
    assert adbd.returncode == 0 and adbd.stdout.split()[1] == "adbd"
    assert device.shell2("pgrep nothing-like-this", v2=True).returncode == 1
    assert device.shell2("pidof nothing-like-this", v2=True).returncode == 1
    # apps: pidof and ps -A agree
    device.shell("am start -n com.android.settings/com.android.settings.Settings")
    app = device.shell2("pidof com.android.settings", v2=True).stdout.strip()
    assert [r[1] for r in rows(device, "ps -A") if r[-1] == "com.android.settings"] == [app]


def test_kill_only_what_the_shell_owns(device: adbutils.AdbDevice) -> None:
    r = device.shell2("kill 1", v2=True)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    r = device.shell2("kill 99999", v2=True)
    assert r.returncode == 1 and "No such process" in r.stderr


def test_u2_server_process_lives_exactly_while_rpc_answers(serial: str, device: adbutils.AdbDevice) -> None:
    d = u2.connect(serial)
    assert d.info["displayWidth"] == 1080
    pid = u2_server_pid(device)
    assert pid is not None and pid > 0
    # killed: gone from ps, and nothing answers on tcp:9008 any more
    assert device.shell2(f"kill {pid}", v2=True).returncode == 0
    assert u2_server_pid(device) is None
    with pytest.raises(adbutils.AdbError):
        device.create_connection(adbutils.Network.TCP, 9008)
    # uiautomator2 launches it again (app_process over a shell stream): listed, and answering
    d.start_uiautomator()
    new_pid = u2_server_pid(device)
    assert new_pid is not None and new_pid != pid
    assert d.info["displayWidth"] == 1080
    # stopping closes that stream: the process ends with it
    d.stop_uiautomator()
    assert u2_server_pid(device) is None
    assert device.shell2("pidof app_process", v2=True).returncode == 1
    d.start_uiautomator()  # leave it running
    assert u2_server_pid(device) is not None


def test_adb_cli_sees_the_same_table(serial: str, device: adbutils.AdbDevice) -> None:
    res = adb(serial, "shell", "ps -u shell -o PID,NAME")
    assert res.returncode == 0
    listed = {line.split()[1]: line.split()[0] for line in res.stdout.decode().splitlines()[1:]}
    assert listed["adbd"] == device.shell("pidof adbd").strip()
