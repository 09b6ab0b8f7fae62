"""Build, run and watch the `vllm serve` command for a profile and a parallel plan.

The command is an argv list (never a shell string), printed shell-quoted for the user to copy.
`check_endpoint` is the readiness probe the launcher and `mobile-agent doctor` share: the server
answers, the model is listed, and a one-token chat completion comes back.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

# The readiness probe lives in the framework (one probe for doctor, preflight, /healthz and here).
from mobile_agent.llm.probe import EndpointStatus as EndpointStatus
from mobile_agent.llm.probe import acheck_endpoint as acheck_endpoint
from mobile_agent.llm.probe import auth_headers as _headers
from mobile_agent.llm.probe import check_endpoint as check_endpoint
from mobile_agent.llm.probe import models_from as _models_from
from mobile_agent.llm.probe import root_url as _root_url
from mobile_agent.llm.probe import v1_url as _v1_url
from mobile_agent.llm.profiles import ModelProfile, get_profile
from serving.planner import ParallelPlan
from serving.process import STOP_GRACE_S, ServerStopped, start_group, stop_group

VLLM_INSTALL_HINT = "vLLM is not installed here: pip install 'mobile-agent[serve]' (needs a CUDA GPU)"
DP_RPC_PORT = 13345


class LaunchError(RuntimeError):
    """The server could not be started or did not become ready; the message says why."""


class SetupError(LaunchError):
    """Something is missing before anything runs (vLLM, nvidia-smi, a flag); exit status 2."""


@dataclass(frozen=True)
class GpuInventory:
    count: int
    memory_gib: float  # the smallest GPU's memory: a plan must fit on every GPU
    names: tuple[str, ...] = ()


def detect_gpus(nvidia_smi: str = "nvidia-smi") -> GpuInventory:
    """The GPUs on this node, read from nvidia-smi; LaunchError when there are none."""
    exe = shutil.which(nvidia_smi)
    if exe is None:
        raise SetupError(
            "nvidia-smi not found: no NVIDIA GPU here; pass --gpus and --gpu-memory to plan anyway"
        )
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        raise SetupError(f"nvidia-smi failed: {exc}") from exc
    return parse_nvidia_smi(out)


def parse_nvidia_smi(text: str) -> GpuInventory:
    """Parse `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` output."""
    names: list[str] = []
    mems: list[float] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, mem = line.rpartition(",")
        try:
            mems.append(float(mem.strip()) / 1024)  # MiB -> GiB
        except ValueError as exc:
            raise SetupError(f"unexpected nvidia-smi line: {line!r}") from exc
        names.append(name.strip())
    if not mems:
        raise SetupError("nvidia-smi lists no GPUs")
    return GpuInventory(count=len(mems), memory_gib=min(mems), names=tuple(names))


def build_command(
    profile: ModelProfile,
    plan: ParallelPlan,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    model_path: str | None = None,
    node_rank: int = 0,
    head_address: str | None = None,
    executable: str = "vllm",
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The `vllm serve` argv for one node of the plan (node 0 is the head that serves HTTP)."""
    if not 0 <= node_rank < plan.nodes:
        raise SetupError(f"node rank {node_rank} is outside 0..{plan.nodes - 1}")
    cmd = [
        executable,
        "serve",
        model_path or profile.hub_id,
        "--served-model-name",
        profile.name,
        "--host",
        host,
        "--port",
        str(port),
        "--max-model-len",
        str(plan.max_model_len),
        "--limit-mm-per-prompt",
        json.dumps({"image": profile.images_per_prompt, "video": 0}),
        "--mm-processor-kwargs",
        json.dumps(profile.mm_processor_kwargs),
        "--enable-prefix-caching",
        "--override-generation-config",
        json.dumps({"temperature": profile.sampling.temperature, "top_p": profile.sampling.top_p}),
        "--tensor-parallel-size",
        str(plan.tensor_parallel),
        "--pipeline-parallel-size",
        str(plan.pipeline_parallel),
        "--data-parallel-size",
        str(plan.data_parallel),
        "--gpu-memory-utilization",
        str(plan.gpu_memory_utilization),
    ]
    if plan.nodes > 1:
        if head_address is None:
            raise SetupError(f"the plan spans {plan.nodes} nodes: pass --head-address (the head node's IP)")
        if plan.pipeline_parallel > 1:
            # Pipeline stages on several nodes run through a Ray cluster the head drives.
            if node_rank != 0:
                raise SetupError(
                    "with pipeline parallelism only the head runs vllm; on the other nodes run "
                    f"`ray start --address {head_address}:6379`"
                )
            cmd += ["--distributed-executor-backend", "ray"]
        else:
            local = plan.replicas_per_node
            cmd += [
                "--data-parallel-size-local",
                str(local),
                "--data-parallel-address",
                head_address,
                "--data-parallel-rpc-port",
                str(DP_RPC_PORT),
            ]
            if node_rank > 0:
                cmd += ["--headless", "--data-parallel-start-rank", str(node_rank * local)]
    cmd += list(extra_args)
    return cmd


def format_command(cmd: Sequence[str]) -> str:
    """The argv as one shell-quoted line a user can paste."""
    return shlex.join(cmd)


def client_base_url(host: str, port: int) -> str:
    """The OpenAI-style base URL clients use (`mobile-agent run --base-url`)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"


def client_command(profile: ModelProfile, base_url: str) -> str:
    """The agent command with the server's profile and pixel budget (the same frame)."""
    cmd = f"mobile-agent run --base-url {base_url} --profile {profile.name}"
    if profile.max_pixels != get_profile(profile.name).max_pixels:
        cmd = f"MOBILE_AGENT_MAX_PIXELS={profile.max_pixels} {cmd}"
    return cmd


def wait_until_ready(
    base_url: str,
    model: str,
    *,
    timeout: float = 1800,
    interval: float = 2.0,
    api_key: str | None = None,
    alive: Callable[[], bool] = lambda: True,
    progress: Callable[[str], None] | None = None,
) -> float:
    """Poll `/health` then `/v1/models` until `model` is listed; returns seconds waited.

    `alive` lets the caller stop early when the server process died (loading can fail late).
    """
    root, v1 = _root_url(base_url), _v1_url(base_url)
    t0 = time.monotonic()
    deadline = t0 + timeout
    with httpx.Client(timeout=5, headers=_headers(api_key)) as client:
        while True:
            if not alive():
                raise LaunchError("the server process exited before it became ready (see its log above)")
            try:
                if client.get(f"{root}/health").status_code == 200:
                    resp = client.get(f"{v1}/models")
                    if resp.status_code == 200 and model in _models_from(resp):
                        return time.monotonic() - t0
            except (httpx.TransportError, ValueError):
                pass
            if time.monotonic() >= deadline:
                raise LaunchError(f"{model} was not ready at {root} after {timeout:g} s")
            if progress:
                progress(".")
            time.sleep(interval)


def _check_port_free(host: str, port: int) -> None:
    """SetupError when something already listens on host:port: vLLM would die on bind after
    the probe had found that other server ready (a previous launch, say) and called it ours."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return  # vLLM reports an unusable host itself
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SetupError(
                    f"port {port} on {host} is already in use (another server, or an earlier launch "
                    "still running?); stop it or pass another --port"
                ) from None


def run_server(
    cmd: Sequence[str],
    profile: ModelProfile,
    *,
    host: str,
    port: int,
    ready_timeout: float = 1800,
    env: dict[str, str] | None = None,
    stop_timeout: float = STOP_GRACE_S,
    out: Callable[[str], None] = lambda s: print(s, file=sys.stderr, end="", flush=True),
) -> int:
    """Start the server, wait until it serves the profile's model, then stay with it.

    Returns the server's exit status. Ctrl-C or SIGTERM stop the server and every process it
    started (its process group): SIGTERM, then SIGKILL after `stop_timeout` seconds.
    """
    if shutil.which(cmd[0]) is None:
        raise SetupError(VLLM_INSTALL_HINT)
    if "--headless" not in cmd:  # a headless node serves no HTTP
        _check_port_free(host, port)
    # Its own process group: vLLM's engine and workers are stopped with it.
    proc = start_group(cmd, env={**os.environ, **(env or {})})

    def stop(_signum: int, _frame: object) -> None:
        raise ServerStopped

    previous = signal.signal(signal.SIGTERM, stop)
    base = client_base_url(host, port)
    try:
        out(f"waiting for {profile.name} at {base} ")
        waited = wait_until_ready(
            base,
            profile.name,
            timeout=ready_timeout,
            api_key=(env or {}).get("VLLM_API_KEY") or os.environ.get("VLLM_API_KEY"),
            alive=lambda: proc.poll() is None,
            progress=out,
        )
        out(f'\nready after {waited:.0f} s. Use it with:\n  {client_command(profile, base)} "..."\n')
        return proc.wait()
    except KeyboardInterrupt:
        return stop_group(proc, stop_timeout, sig=signal.SIGINT)
    except ServerStopped:
        return stop_group(proc, stop_timeout)
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_group(proc, stop_timeout)  # bounded; a no-op past stragglers when it already exited
