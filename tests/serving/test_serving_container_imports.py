"""The vLLM container's launcher runs with only what that container has.

docker-compose runs `python3 -m serving launch ...` inside the official vLLM image, from
read-only mounts of this repository. The image has Python and httpx but none of the framework's
other dependencies (adbutils, uiautomator2, rich, sqlalchemy, ...). So the launcher is run here
in a subprocess without site-packages (`python -S`), with `PYTHONPATH` holding exactly the
folders docker-compose mounts (read from docker-compose.yml, so dropping a mount fails this
test) plus httpx and its own requirements.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from test_serving_compose import COMPOSE, ENV_EXAMPLE, REPO, interpolate, read_env_file

from mobile_agent.llm.profiles import get_profile


def _vllm_service() -> dict[str, Any]:
    compose = interpolate(yaml.safe_load(COMPOSE.read_text()), read_env_file(ENV_EXAMPLE))
    return compose["services"]["vllm"]


def _repo_mounts(vllm: dict[str, Any]) -> dict[str, Path]:
    """The repository folders mounted on the container's PYTHONPATH: {path there: folder here}."""
    root = PurePosixPath(vllm["environment"]["PYTHONPATH"])
    mounts: dict[str, Path] = {}
    for volume in vllm["volumes"]:
        source, target, *mode = volume.split(":")
        if not PurePosixPath(target).is_relative_to(root):
            continue  # caches and model weights, not code
        assert source.startswith("./"), f"mount code from the repository: {volume}"
        assert mode == ["ro"], f"mount the repository read-only: {volume}"
        mounts[str(PurePosixPath(target).relative_to(root))] = REPO / source
    return mounts


def _httpx_and_requirements() -> list[Path]:
    """httpx and what it requires (no extras), as the folders or files Python imports them from."""
    seen: set[str] = set()
    todo = ["httpx"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in md.distribution(name).requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    tops = {
        top
        for top, dists in md.packages_distributions().items()
        if any(canonicalize_name(d) in seen for d in dists)
    }
    paths = []
    for top in sorted(tops):
        spec = importlib.util.find_spec(top)
        assert spec is not None and spec.origin, top
        origin = Path(spec.origin)
        paths.append(origin.parent if origin.name == "__init__.py" else origin)
    return paths


def _sandbox(tmp_path: Path, mounts: dict[str, Path]) -> Path:
    """A PYTHONPATH folder like the container's: the mounts, then httpx and its requirements."""
    root = tmp_path / "opt"
    root.mkdir()
    for there, here in mounts.items():
        (root / there).symlink_to(here, target_is_directory=True)
    for path in _httpx_and_requirements():
        (root / path.name).symlink_to(path, target_is_directory=path.is_dir())
    return root


def _run(root: Path, tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """`python -S` (no site-packages) with only the sandbox on PYTHONPATH, away from the repository."""
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    env = {"PYTHONPATH": str(root), "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-S", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _entrypoint(vllm: dict[str, Any]) -> list[str]:
    entry = list(vllm["entrypoint"])
    assert entry[:4] == ["python3", "-m", "serving", "launch"]
    return entry[1:]


def test_the_sandbox_has_none_of_the_framework_dependencies(tmp_path: Path) -> None:
    root = _sandbox(tmp_path, _repo_mounts(_vllm_service()))
    for module in ("pydantic", "PIL", "adbutils", "rich"):
        proc = _run(root, tmp_path, ["-c", f"import {module}"])
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, module


def test_the_compose_launcher_runs_with_only_the_mounts_and_httpx(tmp_path: Path) -> None:
    vllm = _vllm_service()
    root = _sandbox(tmp_path, _repo_mounts(vllm))
    proc = _run(root, tmp_path, [*_entrypoint(vllm), "--dry-run", "--gpus", "1", "--gpu-memory", "80"])
    assert proc.returncode == 0, proc.stderr
    profile = get_profile(read_env_file(ENV_EXAMPLE).get("MODEL_PROFILE") or "gui-owl-7b")
    cmd = proc.stdout.split()
    assert cmd[:3] == ["vllm", "serve", profile.hub_id]
    assert cmd[cmd.index("--served-model-name") + 1] == profile.name
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8000"


def test_the_launcher_probe_reaches_the_network_with_only_httpx(tmp_path: Path) -> None:
    # The readiness probe the launcher waits with goes through httpx's transport (httpcore, anyio):
    # a closed port must come back as a report, not an import error.
    root = _sandbox(tmp_path, _repo_mounts(_vllm_service()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    proc = _run(root, tmp_path, ["-m", "serving", "check", "--base-url", url, "--timeout", "5"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip(), proc.stderr


def test_a_missing_mount_stops_the_launcher(tmp_path: Path) -> None:
    # The check can fail: without the framework's folder the launcher cannot start.
    vllm = _vllm_service()
    mounts = {there: here for there, here in _repo_mounts(vllm).items() if there != "mobile_agent"}
    root = _sandbox(tmp_path, mounts)
    proc = _run(root, tmp_path, [*_entrypoint(vllm), "--dry-run", "--gpus", "1", "--gpu-memory", "80"])
    assert proc.returncode != 0
    assert "No module named 'mobile_agent'" in proc.stderr


@pytest.mark.parametrize("module", ["mobile_agent.llm.probe", "mobile_agent.llm.profiles"])
def test_what_the_launcher_imports_from_the_framework_needs_only_httpx(tmp_path: Path, module: str) -> None:
    root = _sandbox(tmp_path, {"mobile_agent": REPO / "mobile_agent"})
    code = (
        f"import json, sys, {module}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names))))"
    )
    proc = _run(root, tmp_path, ["-c", code])
    assert proc.returncode == 0, proc.stderr
    httpx_and_requirements = {p.name.removesuffix(".py") for p in _httpx_and_requirements()}
    assert set(json.loads(proc.stdout)) - httpx_and_requirements <= {"mobile_agent", "__main__"}
