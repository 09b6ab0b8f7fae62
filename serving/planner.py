"""Choose tensor, pipeline and data parallel sizes for a profile on the GPUs at hand.

Large-model serving practice, applied in this order:
1. Tensor parallelism inside a node only (its all-reduces need NVLink-class bandwidth): the
   smallest size that holds the weights plus a useful KV cache, because every extra shard adds
   communication and takes a GPU from another replica.
2. Pipeline parallelism across nodes only when one node cannot hold the weights plus the KV
   cache (stage hand-offs are small, so they tolerate the slower inter-node network).
3. Data parallelism with whatever is left: independent replicas scale throughput linearly.

The memory model is an estimate meant to explain the choice, not to replace vLLM's own
profiling run; every figure it uses is printed in `ParallelPlan.lines`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mobile_agent.llm.profiles import GIB, ModelProfile

# Per-GPU memory vLLM needs beside weights and KV cache: CUDA graphs, NCCL buffers, the
# sampler and allocator slack (fixed), plus the activation peak of the profiling forward pass.
FIXED_OVERHEAD_GIB = 1.0
PROFILE_BATCH_TOKENS = 8192  # vLLM's default chunked-prefill batch for the profiling pass
ACTIVATION_FACTOR = 16  # live activation bytes per token ~ 16 x hidden x dtype (MLP + attention)

# A typical agent request: one phone screenshot plus instructions, history and the answer.
PHONE_SIZE = (1080, 2400)
PROMPT_TEXT_TOKENS = 2000
ANSWER_TOKENS = 500


class PlanError(ValueError):
    """The set-up cannot serve the model; the message says why and what would work."""


@dataclass(frozen=True)
class ParallelPlan:
    """A parallel layout and the reasons for it."""

    profile: str
    tensor_parallel: int
    pipeline_parallel: int
    data_parallel: int
    nodes: int
    gpus_per_node: int
    max_model_len: int
    gpu_memory_utilization: float
    weights_gib_per_gpu: float
    reserve_gib_per_gpu: float
    kv_cache_gib_per_gpu: float
    kv_bytes_per_token_per_gpu: int
    kv_tokens_per_replica: int
    request_tokens: int
    agent_tokens: int
    lines: tuple[str, ...]

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel

    @property
    def gpus_used(self) -> int:
        return self.gpus_per_replica * self.data_parallel

    @property
    def replicas_per_node(self) -> int:
        """Replicas started on each node (0 when one replica spans several nodes)."""
        return self.gpus_per_node // self.tensor_parallel if self.pipeline_parallel == 1 else 0

    @property
    def concurrent_requests(self) -> int:
        """Typical requests whose KV cache fits at once, over all replicas."""
        return self.data_parallel * (self.kv_tokens_per_replica // self.request_tokens)

    @property
    def concurrent_agents(self) -> int:
        """Agents that can step at once, each with its peak in-flight tokens, over all replicas."""
        return self.data_parallel * (self.kv_tokens_per_replica // self.agent_tokens)

    def explain(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class _Fit:
    tp: int
    pp: int
    weights: float
    reserve: float
    kv_gib: float
    kv_per_token: int
    kv_tokens: int


def valid_tensor_sizes(profile: ModelProfile, limit: int) -> list[int]:
    """Powers of two up to `limit` that split the attention, KV and vision heads evenly."""
    a = profile.arch
    sizes = []
    tp = 1
    while tp <= limit:
        kv_ok = a.num_kv_heads % tp == 0 or tp % a.num_kv_heads == 0  # beyond kv heads vLLM replicates them
        if a.num_attention_heads % tp == 0 and kv_ok and a.vision_heads % tp == 0:
            sizes.append(tp)
        tp *= 2
    return sizes


def _fit(profile: ModelProfile, tp: int, pp: int, gpu_gib: float, util: float) -> _Fit:
    a = profile.arch
    weights = profile.weight_bytes / (tp * pp) / GIB
    peak_tokens = max(PROFILE_BATCH_TOKENS, profile.images_per_prompt * profile.max_image_tokens)
    activation = peak_tokens * a.hidden_size * profile.dtype_bytes * ACTIVATION_FACTOR / tp / GIB
    reserve = FIXED_OVERHEAD_GIB + activation
    kv_gib = gpu_gib * util - weights - reserve
    layers_per_stage = math.ceil(a.num_layers / pp)
    kv_heads_per_gpu = max(1, a.num_kv_heads // tp)
    kv_per_token = 2 * layers_per_stage * kv_heads_per_gpu * a.head_dim * profile.dtype_bytes
    kv_tokens = max(0, int(kv_gib * GIB // kv_per_token))
    return _Fit(tp, pp, weights, reserve, kv_gib, kv_per_token, kv_tokens)


def _typical_tokens(profile: ModelProfile) -> tuple[int, int]:
    """(tokens of one typical request, peak tokens one agent has in flight).

    A step runs Manager (1 screenshot), Worker (1), then Reflector (2) beside Notetaker (1):
    the peak is the last pair, three screenshots and two prompts at once.
    """
    image = profile.image_tokens(*PHONE_SIZE)
    text = PROMPT_TEXT_TOKENS + ANSWER_TOKENS
    return image + text, 3 * image + 2 * text


def plan(
    profile: ModelProfile,
    gpu_memory_gib: float,
    gpus_per_node: int,
    nodes: int = 1,
    max_model_len: int | None = None,
    gpu_memory_utilization: float = 0.9,
    target_concurrency: int | None = None,
) -> ParallelPlan:
    """The parallel layout for `profile` on `nodes` x `gpus_per_node` GPUs of `gpu_memory_gib`.

    `target_concurrency` is the number of agents (phones) expected to step at once; without it
    the smallest layout that fits is chosen. Raises PlanError for set-ups that cannot work.
    """
    if gpus_per_node < 1:
        raise PlanError(f"need at least one GPU per node, got {gpus_per_node}")
    if nodes < 1:
        raise PlanError(f"need at least one node, got {nodes}")
    if gpu_memory_gib <= 0:
        raise PlanError(f"GPU memory must be positive, got {gpu_memory_gib} GiB")
    if not 0 < gpu_memory_utilization <= 1:
        raise PlanError(f"gpu_memory_utilization must be in (0, 1], got {gpu_memory_utilization}")
    if max_model_len is not None and not 0 < max_model_len <= profile.native_context:
        raise PlanError(
            f"max_model_len {max_model_len} is outside 1..{profile.native_context} "
            f"(the context {profile.name} was trained for)"
        )
    if target_concurrency is not None and target_concurrency < 1:
        raise PlanError(f"target_concurrency must be at least 1, got {target_concurrency}")

    need_len = max_model_len or profile.min_model_len
    request_tokens, agent_tokens = _typical_tokens(profile)
    util = gpu_memory_utilization

    # Candidates in order of preference: no pipeline first, then the fewest pipeline stages
    # (each a whole number of nodes); inside each, the smallest tensor-parallel size.
    tensor_sizes = valid_tensor_sizes(profile, gpus_per_node)
    fits: list[tuple[_Fit, int]] = []  # (fit, data-parallel replicas)
    indivisible: list[int] = []
    for pp in [1, *[d for d in range(2, nodes + 1) if nodes % d == 0]]:
        for tp in tensor_sizes:
            f = _fit(profile, tp, pp, gpu_memory_gib, util)
            if f.kv_gib <= 0 or f.kv_tokens < need_len:
                continue
            if gpus_per_node % tp:
                indivisible.append(tp)
                continue
            dp = (gpus_per_node // tp) * (nodes // pp)
            fits.append((f, dp))
        if fits:
            break

    if not fits:
        if indivisible:
            tp = indivisible[0]
            ok = [n for n in range(1, 2 * gpus_per_node + 1) if n % tp == 0]
            raise PlanError(
                f"{profile.name} needs tensor parallel {tp} here, which does not divide the "
                f"{gpus_per_node} GPUs per node; use a multiple of {tp} GPUs per node "
                f"(e.g. --gpus {max(n for n in ok if n <= gpus_per_node)})"
            )
        raise PlanError(_impossible(profile, gpu_memory_gib, gpus_per_node, nodes, util, need_len))

    chosen, dp = fits[0]
    short_of_target = False
    if target_concurrency is not None:

        def capacity(item: tuple[_Fit, int]) -> int:
            return item[1] * (item[0].kv_tokens // agent_tokens)

        meeting = [item for item in fits if capacity(item) >= target_concurrency]
        if meeting:
            chosen, dp = meeting[0]
        else:
            chosen, dp = max(fits, key=capacity)
            short_of_target = True

    served_len = max_model_len or min(profile.max_model_len, chosen.kv_tokens // 1024 * 1024)
    lines = _explain(
        profile,
        chosen,
        dp,
        nodes,
        gpus_per_node,
        gpu_memory_gib,
        util,
        served_len,
        max_model_len is None,
        request_tokens,
        agent_tokens,
    )
    if short_of_target:
        got = dp * (chosen.kv_tokens // agent_tokens)
        lines.append(
            f"WARNING: about {got} agents fit at once, fewer than the {target_concurrency} asked for; "
            "add GPUs or lower the image budget."
        )
    if max_model_len is not None and max_model_len < profile.min_model_len:
        lines.append(
            f"WARNING: max_model_len {max_model_len} is below the {profile.min_model_len} tokens a "
            f"{profile.images_per_prompt}-image request at full pixel budget can need; long prompts will be rejected."
        )
    return ParallelPlan(
        profile=profile.name,
        tensor_parallel=chosen.tp,
        pipeline_parallel=chosen.pp,
        data_parallel=dp,
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        max_model_len=served_len,
        gpu_memory_utilization=util,
        weights_gib_per_gpu=chosen.weights,
        reserve_gib_per_gpu=chosen.reserve,
        kv_cache_gib_per_gpu=chosen.kv_gib,
        kv_bytes_per_token_per_gpu=chosen.kv_per_token,
        kv_tokens_per_replica=chosen.kv_tokens,
        request_tokens=request_tokens,
        agent_tokens=agent_tokens,
        lines=tuple(lines),
    )


def _impossible(
    profile: ModelProfile, gpu_gib: float, gpus_per_node: int, nodes: int, util: float, need_len: int
) -> str:
    weights = profile.weight_bytes / GIB
    have = (
        f"{nodes} x {gpus_per_node} GPU(s) of {gpu_gib:g} GiB"
        if nodes > 1
        else f"{gpus_per_node} GPU(s) of {gpu_gib:g} GiB"
    )
    msg = (
        f"{profile.name} does not fit on {have}: its weights alone are {weights:.1f} GiB "
        f"({profile.params_billion}B parameters x {profile.dtype_bytes} bytes), and each GPU offers "
        f"{gpu_gib * util:.1f} GiB at utilisation {util:g}, which must also hold ~"
        f"{_fit(profile, 1, 1, gpu_gib, util).reserve:.1f} GiB of activations and overhead and a KV "
        f"cache of at least {need_len} tokens."
    )
    for pp in range(1, 65):
        for tp in valid_tensor_sizes(profile, 64):
            f = _fit(profile, tp, pp, gpu_gib, util)
            if f.kv_gib > 0 and f.kv_tokens >= need_len:
                return (
                    msg + f" It needs at least {tp * pp} GPUs of this size (tensor x pipeline = {tp} x {pp})."
                )
    return msg + " No layout of GPUs this size can hold it."


def _explain(
    profile: ModelProfile,
    f: _Fit,
    dp: int,
    nodes: int,
    gpus_per_node: int,
    gpu_gib: float,
    util: float,
    served_len: int,
    len_chosen: bool,
    request_tokens: int,
    agent_tokens: int,
) -> list[str]:
    total = nodes * gpus_per_node
    layout = f"tensor parallel {f.tp} x pipeline parallel {f.pp} x data parallel {dp}"
    lines = [
        f"Plan for {profile.name} ({profile.hub_id}) on {nodes} node(s) x {gpus_per_node} GPU(s) of {gpu_gib:g} GiB:",
        f"  layout: {layout} = {f.tp * f.pp * dp} of {total} GPUs",
        f"  weights: {profile.weight_bytes / GIB:.1f} GiB in total, {f.weights:.1f} GiB per GPU",
        f"  usable per GPU: {gpu_gib:g} GiB x {util:g} = {gpu_gib * util:.1f} GiB; "
        f"reserve for activations, CUDA graphs and buffers ~{f.reserve:.1f} GiB",
        f"  KV cache: {f.kv_gib:.1f} GiB per GPU at {f.kv_per_token // 1024} KiB per token per GPU "
        f"= {f.kv_tokens:,} tokens per replica",
    ]
    if f.tp == 1:
        where = "one GPU" if f.pp == 1 else "one GPU per pipeline stage"
        lines.append(
            f"  why TP 1: the weights and a useful KV cache fit on {where}, so no all-reduce is paid"
        )
    else:
        lines.append(
            f"  why TP {f.tp}: the smallest power of two dividing the {profile.arch.num_attention_heads} attention "
            f"and {profile.arch.num_kv_heads} KV heads that leaves room for the KV cache inside one node"
        )
    if f.pp > 1:
        lines.append(
            f"  why PP {f.pp}: one node cannot hold the weights plus the KV cache, so the "
            f"{profile.arch.num_layers} layers are split into {f.pp} stages, one per node "
            "(needs a Ray cluster across the nodes)"
        )
    else:
        lines.append("  no pipeline parallelism: one node holds a whole replica")
    if dp > 1:
        where = (
            "across nodes and inside each node"
            if nodes > 1 and gpus_per_node // f.tp > 1
            else ("one per node" if nodes > 1 else "inside the node")
        )
        lines.append(f"  data parallel {dp}: independent replicas {where}; throughput scales with them")
    lines.append(
        f"  max model length: {served_len:,} tokens"
        + (" (profile default, capped by the KV cache)" if len_chosen else " (as requested)")
    )
    per_replica_req = f.kv_tokens // request_tokens
    per_replica_agents = f.kv_tokens // agent_tokens
    lines.append(
        f"  expected concurrency: ~{per_replica_req * dp} requests of ~{request_tokens:,} tokens "
        f"(one {PHONE_SIZE[0]}x{PHONE_SIZE[1]} screenshot + prompt), i.e. ~{per_replica_agents * dp} agent(s) "
        f"stepping at once (~{agent_tokens:,} tokens in flight each: Reflector with 2 screenshots beside the Notetaker; "
        "a step sends ~5 screenshots in 4 requests)"
    )
    return lines
