"""How many vLLM replicas and GPUs keep a fleet of phones fed.

The arithmetic, every figure of which `FleetPlan.lines` prints:

1. Tokens per step, from the profile: the images a step sends (each a 1080x2400 screenshot at
   the profile's image budget) plus a prompt per call are prefill; an answer per call is decode.
2. Demand: steps/s = phones x steps per minute / 60; prefill and decode tokens/s = steps/s x
   tokens per step.
3. Capacity of one replica (the layout `serving.planner.plan` picks for one node), from the
   GPU table below: prefill is compute-bound, decode is memory-bandwidth-bound.
4. A replica's time is shared between prefill and decode, so its load is
   prefill needed / prefill capacity + decode needed / decode capacity; replicas =
   ceil(load / TARGET_UTILIZATION), and at least enough for every phone's peak KV cache.

The throughput figures are an estimate from datasheet peaks and deliberately low efficiencies,
not a measurement: measure a replica (`vllm bench serve`) and prefer its figures when you have
them. Prefix caching is not counted (agent prompts share little beyond the system prompt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mobile_agent.llm.profiles import ModelProfile
from serving.planner import ANSWER_TOKENS, PHONE_SIZE, PROMPT_TEXT_TOKENS, ParallelPlan, PlanError

__all__ = [
    "DEFAULT_STEPS_PER_MIN",
    "GPU_TYPES",
    "STEP_SHAPES",
    "FleetPlan",
    "GpuType",
    "StepShape",
    "fleet_plan",
]


@dataclass(frozen=True)
class GpuType:
    """Datasheet figures of one GPU (NVIDIA's published dense BF16 tensor peak, no sparsity)."""

    name: str
    memory_gib: float
    bf16_tflops: float
    bandwidth_tb_s: float


GPU_TYPES: dict[str, GpuType] = {
    g.name: g
    for g in (
        GpuType("l4", 24, 121, 0.3),
        GpuType("l40s", 48, 362, 0.864),
        GpuType("a100-40gb", 40, 312, 1.555),
        GpuType("a100-80gb", 80, 312, 2.039),
        GpuType("h100", 80, 989, 3.35),  # SXM
        GpuType("h200", 141, 989, 4.8),
    )
}

# Conservative efficiencies (vLLM on a vision-language model usually does better on both):
PREFILL_MFU = 0.35  # share of the BF16 peak reached by prefill
# Prefill FLOPs per token = 2 x parameters x this: attention over a ~6k-token context and the
# vision tower, which sees 4 patches per image token, add about 40% to the matmuls.
PREFILL_FLOP_FACTOR = 1.4
BANDWIDTH_EFFICIENCY = 0.6  # share of HBM bandwidth a decode iteration reaches
MAX_BATCH = 256  # vLLM's default --max-num-seqs: the decode batch of one replica
TARGET_UTILIZATION = 0.8  # headroom for bursts: a replica is planned 80% busy

# One phone steps every 10 s: ~4 s of model calls and the action, screenshots and the agent's
# settle waits (2 s after each action). Pass your own measured rate with --steps-per-min.
DEFAULT_STEPS_PER_MIN = 6.0


@dataclass(frozen=True)
class StepShape:
    """Model calls and screenshots one step of a mode sends (see mobile_agent/loop/roles.py)."""

    calls: int
    images: int
    why: str


STEP_SHAPES: dict[str, StepShape] = {
    "multi": StepShape(4, 5, "Manager 1 image, Worker 1, Reflector 2 (before/after), Notetaker 1"),
    "single": StepShape(1, 1, "one end-to-end call with the current screen"),
}


@dataclass(frozen=True)
class FleetPlan:
    """Replicas and GPUs for a fleet, with the arithmetic behind them."""

    phones: int
    steps_per_min: float
    mode: str
    gpu_type: str
    calls_per_step: int
    images_per_step: int
    prefill_tokens_per_step: int
    decode_tokens_per_step: int
    steps_per_s: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    replica_prefill_tokens_per_s: float
    replica_decode_tokens_per_s: float
    load_replicas: float
    replicas_for_throughput: int
    replicas_for_kv: int
    replicas: int
    gpus_per_replica: int
    gpus: int
    nodes: int
    gpus_per_node: int
    data_parallel_size: int
    lines: tuple[str, ...]

    def explain(self) -> str:
        return "\n".join(self.lines)

    def as_dict(self) -> dict[str, object]:
        d = {k: v for k, v in self.__dict__.items() if k != "lines"}
        d["explanation"] = list(self.lines)
        return d


def _check(phones: float, steps_per_min: float) -> None:
    if isinstance(phones, bool) or not isinstance(phones, int) or phones < 1:
        raise PlanError(f"--phones must be a whole number of at least 1, got {phones!r}")
    if not (math.isfinite(steps_per_min) and steps_per_min > 0):
        raise PlanError(f"--steps-per-min must be a positive number, got {steps_per_min!r}")


def fleet_plan(
    profile: ModelProfile,
    replica: ParallelPlan,
    gpu: GpuType,
    phones: int,
    steps_per_min: float = DEFAULT_STEPS_PER_MIN,
    mode: str = "multi",
    gpu_memory_gib: float | None = None,
) -> FleetPlan:
    """The replicas of `replica`'s layout that serve `phones` stepping `steps_per_min` each."""
    _check(phones, steps_per_min)
    if mode not in STEP_SHAPES:
        raise PlanError(f"--mode must be one of {', '.join(STEP_SHAPES)}, got {mode!r}")
    shape = STEP_SHAPES[mode]
    image = profile.image_tokens(*PHONE_SIZE)
    prefill_step = shape.images * image + shape.calls * PROMPT_TEXT_TOKENS
    decode_step = shape.calls * ANSWER_TOKENS
    steps_s = phones * steps_per_min / 60
    need_prefill = steps_s * prefill_step
    need_decode = steps_s * decode_step

    g = replica.gpus_per_replica
    flops_per_token = 2 * profile.params_billion * 1e9 * PREFILL_FLOP_FACTOR
    cap_prefill = g * PREFILL_MFU * gpu.bf16_tflops * 1e12 / flops_per_token
    # A decode iteration reads this GPU's weights and every running sequence's KV cache once.
    request = replica.request_tokens
    batch = max(1, min(MAX_BATCH, replica.kv_tokens_per_replica // request))
    bytes_per_iter = (
        replica.weights_gib_per_gpu * 2**30 + batch * request * replica.kv_bytes_per_token_per_gpu
    )
    iter_s = bytes_per_iter / (gpu.bandwidth_tb_s * 1e12 * BANDWIDTH_EFFICIENCY)
    cap_decode = batch / iter_s

    load = need_prefill / cap_prefill + need_decode / cap_decode
    for_throughput = max(1, math.ceil(load / TARGET_UTILIZATION - 1e-9))
    # Worst case every phone is inside a model call at once, with its peak tokens in flight.
    in_flight = replica.agent_tokens if mode == "multi" else replica.request_tokens
    agents = max(1, replica.kv_tokens_per_replica // in_flight)
    for_kv = math.ceil(phones / agents)
    replicas = max(for_throughput, for_kv)
    gpus = replicas * g

    # The launcher fills whole nodes: `launch --nodes N` runs (GPUs per node / TP) x (N / PP) replicas.
    tp, pp = replica.tensor_parallel, replica.pipeline_parallel
    per_node = replica.gpus_per_node // tp if pp == 1 else 0
    nodes = math.ceil(replicas / per_node) if per_node else replicas * pp
    dp_size = per_node * nodes if per_node else replicas
    lines = [
        f"Fleet plan: {phones:,} phones x {steps_per_min:g} steps/min, mode {mode}, "
        f"{profile.name} on {gpu.name} GPUs",
        f"  per step: {shape.calls} call(s), {shape.images} image(s) ({shape.why})",
        f"    prefill {shape.images} x {image:,} image tokens + {shape.calls} x {PROMPT_TEXT_TOKENS:,} "
        f"prompt tokens = {prefill_step:,}; decode {shape.calls} x {ANSWER_TOKENS} = {decode_step:,}",
        f"  demand: {phones:,} x {steps_per_min:g} / 60 = {steps_s:,.1f} steps/s -> "
        f"prefill {need_prefill:,.0f} tokens/s, decode {need_decode:,.0f} tokens/s",
        f"  one replica (TP {replica.tensor_parallel} x PP {replica.pipeline_parallel} = {g} GPU(s)):",
        f"    prefill {g} x {PREFILL_MFU:g} x {gpu.bf16_tflops:g} TFLOPS / (2 x {profile.params_billion:g}B "
        f"x {PREFILL_FLOP_FACTOR:g}) = {cap_prefill:,.0f} tokens/s",
        f"    decode: batch {batch} / ({replica.weights_gib_per_gpu:.1f} GiB weights + {batch} x {request:,} "
        f"x {replica.kv_bytes_per_token_per_gpu // 1024} KiB KV per GPU) at {BANDWIDTH_EFFICIENCY:g} x "
        f"{gpu.bandwidth_tb_s:g} TB/s = {iter_s * 1e3:.1f} ms/iteration = {cap_decode:,.0f} tokens/s",
        f"  load: {need_prefill:,.0f} / {cap_prefill:,.0f} + {need_decode:,.0f} / {cap_decode:,.0f} "
        f"= {load:,.2f} replicas busy; / {TARGET_UTILIZATION:g} target utilisation, rounded up "
        f"= {for_throughput} replica(s)",
        f"  KV cache: {agents} phone(s) at peak ({in_flight:,} tokens each) per replica -> "
        f"{for_kv} replica(s) if all {phones:,} phones call the model at once",
        f"  => {replicas} replica(s) x {g} GPU(s) = {gpus} GPU(s)",
        f"  launcher layout: {nodes} node(s) of {replica.gpus_per_node} GPU(s), --tensor-parallel-size {tp}"
        + (f" --pipeline-parallel-size {pp}" if pp > 1 else "")
        + f" --data-parallel-size {dp_size}"
        + (
            f" ({per_node} per node, --data-parallel-size-local {per_node})" if per_node and nodes > 1 else ""
        ),
        f"  python -m serving launch --profile {profile.name} --gpus {replica.gpus_per_node} "
        f"--gpu-memory {gpu_memory_gib or gpu.memory_gib:g} --nodes {nodes} --dry-run   # the commands per node",
        "  estimate from datasheet peaks at conservative efficiencies (serving/fleet_plan.py); "
        "measure a replica and scale by its figures when you can",
    ]
    return FleetPlan(
        phones=phones,
        steps_per_min=steps_per_min,
        mode=mode,
        gpu_type=gpu.name,
        calls_per_step=shape.calls,
        images_per_step=shape.images,
        prefill_tokens_per_step=prefill_step,
        decode_tokens_per_step=decode_step,
        steps_per_s=steps_s,
        prefill_tokens_per_s=need_prefill,
        decode_tokens_per_s=need_decode,
        replica_prefill_tokens_per_s=cap_prefill,
        replica_decode_tokens_per_s=cap_decode,
        load_replicas=load,
        replicas_for_throughput=for_throughput,
        replicas_for_kv=for_kv,
        replicas=replicas,
        gpus_per_replica=g,
        gpus=gpus,
        nodes=nodes,
        gpus_per_node=replica.gpus_per_node,
        data_parallel_size=dp_size,
        lines=tuple(lines),
    )
