"""The parallelism planner's decisions on worked cases, and the profiles it reads."""

from __future__ import annotations

import pytest

from mobile_agent.llm.profiles import GIB, UnknownProfile, get_profile, list_profiles
from serving.planner import PlanError, plan, valid_tensor_sizes

P7 = get_profile("gui-owl-7b")
P32 = get_profile("gui-owl-32b")


def test_profiles_share_frame_and_budget_facts() -> None:
    names = [p.name for p in list_profiles()]
    assert names[:2] == ["gui-owl-7b", "gui-owl-32b"]
    assert P7.hub_id == "mPLUG/GUI-Owl-7B" and P32.hub_id == "mPLUG/GUI-Owl-32B"
    assert {p.coordinate_frame for p in list_profiles()} == {"resized", "norm1000"}
    for p in list_profiles():
        assert p.images_per_prompt >= 2  # the Reflector sends before and after
        assert p.min_pixels < p.max_pixels
        assert p.sampling.temperature == 0.0
    # Qwen2.5-VL-7B: 28 layers x 4 KV heads x 128 x 2 (K and V) x 2 bytes = 56 KiB per token.
    assert P7.kv_bytes_per_token == 56 * 1024
    assert P32.kv_bytes_per_token == 256 * 1024
    # A 1080x2400 phone screen stays whole in the budget: 1092x2408 -> 39 x 86 patches.
    assert P7.image_tokens(1080, 2400) == 39 * 86
    assert get_profile("mPLUG/GUI-Owl-32B") is P32


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProfile) as err:
        get_profile("gui-owl-70b")
    assert "gui-owl-7b" in str(err.value) and "gui-owl-32b" in str(err.value)


def test_7b_on_one_80gb_gpu_is_a_single_replica() -> None:
    pl = plan(P7, gpu_memory_gib=80, gpus_per_node=1)
    assert (pl.tensor_parallel, pl.pipeline_parallel, pl.data_parallel) == (1, 1, 1)
    assert pl.max_model_len == P7.max_model_len
    assert pl.weights_gib_per_gpu == pytest.approx(8.29e9 * 2 / GIB)
    # ~54 GiB of KV cache at 56 KiB a token: about a million tokens, dozens of agents.
    assert 900_000 < pl.kv_tokens_per_replica < 1_100_000
    assert pl.concurrent_agents > 30
    text = pl.explain()
    assert "tensor parallel 1" in text and "KV cache" in text and "agent" in text


def test_32b_on_two_40gb_gpus_needs_tensor_parallel_2() -> None:
    pl = plan(P32, gpu_memory_gib=40, gpus_per_node=2)
    assert (pl.tensor_parallel, pl.pipeline_parallel, pl.data_parallel) == (2, 1, 1)
    # Weights take 31 of the 36 usable GiB on each GPU: the context is capped by the cache,
    # but still holds a two-screenshot request.
    assert P32.min_model_len <= pl.max_model_len < P32.max_model_len
    assert pl.max_model_len <= pl.kv_tokens_per_replica
    assert "why TP 2" in pl.explain()


def test_32b_on_four_nodes_of_8x24gb_uses_tp_inside_nodes_and_dp_across() -> None:
    pl = plan(P32, gpu_memory_gib=24, gpus_per_node=8, nodes=4)
    # TP 2 leaves 31 GiB of weights on a 21.6 GiB budget; TP 4 fits with room for the cache,
    # so one node holds two replicas and no pipeline is needed: 8 replicas over 32 GPUs.
    assert plan_layout(pl) == (4, 1, 8)
    assert pl.replicas_per_node == 2
    assert pl.gpus_used == 32
    assert pl.max_model_len == P32.max_model_len


def test_pipeline_parallel_only_when_one_node_cannot_hold_the_model() -> None:
    # Two nodes of one 40 GB GPU: no node holds 62 GiB of weights, so two pipeline stages.
    pl = plan(P32, gpu_memory_gib=40, gpus_per_node=1, nodes=2)
    assert plan_layout(pl) == (1, 2, 1)
    assert "why PP 2" in pl.explain()
    # Same two nodes with 80 GB GPUs: each node holds a replica, so data parallel instead.
    assert plan_layout(plan(P32, gpu_memory_gib=80, gpus_per_node=1, nodes=2)) == (1, 1, 2)


def test_target_concurrency_can_widen_tensor_parallel() -> None:
    small = plan(P32, gpu_memory_gib=80, gpus_per_node=2)
    assert plan_layout(small) == (1, 1, 2)
    wide = plan(P32, gpu_memory_gib=80, gpus_per_node=2, target_concurrency=small.concurrent_agents + 2)
    assert plan_layout(wide) == (2, 1, 1)
    assert wide.concurrent_agents >= small.concurrent_agents + 2


def test_impossible_setups_are_refused_with_reasons() -> None:
    with pytest.raises(PlanError) as err:
        plan(P32, gpu_memory_gib=24, gpus_per_node=1)
    msg = str(err.value)
    assert "62.3 GiB" in msg and "at least 4 GPUs" in msg
    with pytest.raises(PlanError, match="at least one GPU"):
        plan(P7, gpu_memory_gib=80, gpus_per_node=0)
    with pytest.raises(PlanError, match="does not divide the 3 GPUs"):
        plan(P32, gpu_memory_gib=40, gpus_per_node=3)
    with pytest.raises(PlanError, match="max_model_len"):
        plan(P7, gpu_memory_gib=80, gpus_per_node=1, max_model_len=10_000_000)
    # An explicit context the cache cannot hold is refused rather than silently shortened.
    with pytest.raises(PlanError):
        plan(P32, gpu_memory_gib=40, gpus_per_node=1, nodes=1, max_model_len=32768)


def test_tensor_sizes_divide_the_heads() -> None:
    assert valid_tensor_sizes(P32, 16) == [1, 2, 4, 8]  # 40 heads: 16 does not divide them
    assert valid_tensor_sizes(P7, 8) == [1, 2, 4]  # 28 heads: 8 does not divide them


def plan_layout(pl: object) -> tuple[int, int, int]:
    return (pl.tensor_parallel, pl.pipeline_parallel, pl.data_parallel)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [(1080, 2400), (1440, 3200), (720, 1600), (2560, 1600)])
def test_profile_image_tokens_agree_with_the_agents_resize(size: tuple[int, int]) -> None:
    from mobile_agent.coords import image_tokens, smart_resize

    w, h = size
    for p in (P7, P32):
        rh, rw = smart_resize(h, w, factor=p.image_factor, min_pixels=p.min_pixels, max_pixels=p.max_pixels)
        assert p.image_tokens(w, h) == image_tokens(rh, rw, p.image_factor)
        assert p.image_tokens(w, h) <= p.max_image_tokens
