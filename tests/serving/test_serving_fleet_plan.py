"""`python -m serving plan --phones N`: replicas and GPUs for a fleet, checked by hand."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from mobile_agent.llm.profiles import get_profile
from serving.fleet_plan import GPU_TYPES, fleet_plan
from serving.planner import PlanError, plan

P7 = get_profile("gui-owl-7b")
H100 = GPU_TYPES["h100"]


def _replica():  # type: ignore[no-untyped-def]
    return plan(P7, gpu_memory_gib=80, gpus_per_node=8)


def test_tokens_and_replicas_match_the_hand_arithmetic() -> None:
    r = _replica()
    fp = fleet_plan(P7, r, H100, phones=1000, steps_per_min=6, mode="multi")
    # A step: 5 screenshots of 3,354 tokens + 4 prompts of 2,000 = 24,770 prefill; 4 x 500 decode.
    assert (fp.calls_per_step, fp.images_per_step) == (4, 5)
    assert fp.prefill_tokens_per_step == 24_770 and fp.decode_tokens_per_step == 2_000
    assert fp.steps_per_s == pytest.approx(100.0)  # 1,000 x 6 / 60
    assert fp.prefill_tokens_per_s == pytest.approx(2_477_000)
    assert fp.decode_tokens_per_s == pytest.approx(200_000)
    # One H100: 0.35 x 989e12 / (2 x 8.29e9 x 1.4) prefill tokens/s.
    assert fp.replica_prefill_tokens_per_s == pytest.approx(0.35 * 989e12 / (2 * 8.29e9 * 1.4))
    # Decode: batch = KV tokens / 5,854-token request; one iteration reads weights + the batch's KV.
    batch = min(256, r.kv_tokens_per_replica // 5_854)
    iter_s = (r.weights_gib_per_gpu * 2**30 + batch * 5_854 * 56 * 1024) / (3.35e12 * 0.6)
    assert fp.replica_decode_tokens_per_s == pytest.approx(batch / iter_s)
    load = 2_477_000 / fp.replica_prefill_tokens_per_s + 200_000 / fp.replica_decode_tokens_per_s
    assert fp.replicas == math.ceil(load / 0.8) == 262
    assert fp.gpus == 262 and fp.nodes == 33 and fp.data_parallel_size == 264  # 8 replicas per node
    assert "--data-parallel-size 264" in fp.explain()


def test_single_mode_sends_one_call_and_one_image() -> None:
    fp = fleet_plan(P7, _replica(), H100, phones=60, steps_per_min=1, mode="single")
    assert (fp.calls_per_step, fp.images_per_step) == (1, 1)
    assert fp.prefill_tokens_per_step == 3_354 + 2_000 and fp.decode_tokens_per_step == 500
    assert fp.steps_per_s == pytest.approx(1.0)
    assert fp.replicas == 1 and fp.gpus == 1 and fp.nodes == 1


def test_more_phones_never_need_fewer_gpus() -> None:
    r = _replica()
    for mode in ("multi", "single"):
        gpus = [fleet_plan(P7, r, H100, phones=n, mode=mode).gpus for n in range(1, 3001, 37)]
        assert gpus == sorted(gpus) and gpus[-1] > gpus[0]


@pytest.mark.parametrize("phones", [0, -4])
def test_bad_fleet_sizes_are_refused(phones: int) -> None:
    with pytest.raises(PlanError, match="--phones"):
        fleet_plan(P7, _replica(), H100, phones=phones)
    with pytest.raises(PlanError, match="--steps-per-min"):
        fleet_plan(P7, _replica(), H100, phones=10, steps_per_min=float("nan"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "serving", "plan", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_plans_a_fleet_as_json_and_text() -> None:
    res = _cli("--gpus", "8", "--gpu-type", "h100", "--phones", "1000", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["replica"]["tensor_parallel"] == 1 and out["replica"]["data_parallel"] == 8
    fleet = out["fleet"]
    assert (fleet["replicas"], fleet["gpus"], fleet["data_parallel_size"]) == (262, 262, 264)
    assert any("target utilisation" in line for line in fleet["explanation"])
    text = _cli("--gpus", "8", "--gpu-type", "h100", "--phones", "1000", "--mode", "single")
    assert text.returncode == 0 and "mode single" in text.stdout and "59 GPU(s)" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phones", "0"], "--phones must be a whole number of at least 1"),
        (["--phones", "-3"], "--phones must be a whole number of at least 1"),
        (["--phones", "nan"], "invalid int value"),
        (["--phones", "10", "--steps-per-min", "nan"], "--steps-per-min must be a positive number"),
        (["--phones", "10", "--steps-per-min", "0"], "--steps-per-min must be a positive number"),
    ],
)
def test_cli_refuses_bad_fleet_input_with_exit_2(args: list[str], message: str) -> None:
    res = _cli("--gpus", "1", "--gpu-memory", "80", *args)
    assert res.returncode == 2 and message in res.stderr
    assert res.stdout == ""
