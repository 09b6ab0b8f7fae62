"""Model profiles: the single source of truth both the server and the agent read.

The vLLM launcher takes the served name, context length, images per prompt and pixel budget
from a profile; the agent takes the coordinate frame and the same pixel budget from it. So the
server and the client never disagree on how a screenshot is resized or what a point means.

The profiles live in the framework and `serving/` reads them from here, never the reverse. This
module stays standard library only: the launcher loads it inside the vLLM image, where the rest
of the framework's dependencies are absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_PROFILE",
    "GIB",
    "Architecture",
    "CoordinateFrame",
    "ModelProfile",
    "PromptFormat",
    "Sampling",
    "UnknownProfile",
    "get_profile",
    "list_profiles",
]

CoordinateFrame = Literal["resized", "norm1000"]
PromptFormat = Literal["gui-owl", "gui-owl-1.5"]

GIB = 1024**3


@dataclass(frozen=True)
class Architecture:
    """The transformer facts the planner needs: weights, KV-cache size and tensor-parallel limits."""

    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vision_heads: int  # the vision tower is split by tensor parallelism too


@dataclass(frozen=True)
class Sampling:
    """Recommended sampling: greedy, so that runs are reproducible and scores comparable."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024


@dataclass(frozen=True)
class ModelProfile:
    """Everything about one served model that the launcher, the planner and the agent share."""

    name: str  # the served model name clients pass as `model`
    hub_id: str
    family: Literal["qwen2.5-vl", "qwen3-vl"]
    coordinate_frame: CoordinateFrame
    image_factor: int  # sides are rounded to multiples of this (patch size x spatial merge)
    min_pixels: int
    max_pixels: int
    max_model_len: int  # the context we serve by default (the planner may shorten it)
    native_context: int  # the model's own maximum position embeddings
    images_per_prompt: int  # the Reflector sends before and after: 2
    params_billion: float  # all weights, language model and vision tower
    dtype_bytes: int  # bytes per weight and per KV-cache element (bf16 = 2)
    arch: Architecture
    sampling: Sampling = field(default_factory=Sampling)
    description: str = ""
    # the single mode's prompt and `mobile_use` vocabulary the model was trained on
    prompt_format: PromptFormat = "gui-owl"

    @property
    def weight_bytes(self) -> int:
        """Bytes of the weights at the served dtype."""
        return int(self.params_billion * 1e9 * self.dtype_bytes)

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of K and V for one token across all layers (unsharded)."""
        a = self.arch
        return 2 * a.num_layers * a.num_kv_heads * a.head_dim * self.dtype_bytes

    @property
    def max_image_tokens(self) -> int:
        """Visual tokens of one image at the top of the pixel budget (after the 2x2 merge)."""
        return self.max_pixels // (self.image_factor * self.image_factor)

    def image_tokens(self, width: int, height: int) -> int:
        """Visual tokens one screenshot of this size costs after the model's resize."""
        f = self.image_factor
        w = max(f, round(width / f) * f)
        h = max(f, round(height / f) * f)
        if w * h > self.max_pixels:
            beta = (width * height / self.max_pixels) ** 0.5
            w = max(f, int(width / beta / f) * f)
            h = max(f, int(height / beta / f) * f)
        return (w // f) * (h // f)

    @property
    def min_model_len(self) -> int:
        """The shortest context one agent request needs: a full-budget prompt of images plus
        about 4k tokens of instructions, history and answer; rounded up to 1024."""
        need = self.images_per_prompt * self.max_image_tokens + 4096
        return -(-need // 1024) * 1024

    @property
    def mm_processor_kwargs(self) -> dict[str, int]:
        """The pixel budget as vLLM's `--mm-processor-kwargs` takes it."""
        return {"min_pixels": self.min_pixels, "max_pixels": self.max_pixels}


# Qwen2.5-VL rounds to 28 (14-pixel patches merged 2x2); the budget below keeps a 1080x2400
# phone screen at full resolution (1092x2408, 3354 tokens) and caps larger screens.
_QWEN25_MAX_PIXELS = 4096 * 28 * 28  # 3_211_264
_QWEN25_MIN_PIXELS = 4 * 28 * 28  # 3_136
# Qwen3-VL rounds to 32 (16-pixel patches merged 2x2).
_QWEN3_MAX_PIXELS = 4096 * 32 * 32  # 4_194_304
_QWEN3_MIN_PIXELS = 4 * 32 * 32

_PROFILES: dict[str, ModelProfile] = {
    p.name: p
    for p in (
        ModelProfile(
            name="gui-owl-7b",
            hub_id="mPLUG/GUI-Owl-7B",
            family="qwen2.5-vl",
            coordinate_frame="resized",
            image_factor=28,
            min_pixels=_QWEN25_MIN_PIXELS,
            max_pixels=_QWEN25_MAX_PIXELS,
            max_model_len=32768,
            native_context=128000,
            images_per_prompt=2,
            params_billion=8.29,  # Qwen2.5-VL-7B: 7.6B language model + 0.67B vision tower
            dtype_bytes=2,
            arch=Architecture(
                num_layers=28,
                hidden_size=3584,
                num_attention_heads=28,
                num_kv_heads=4,
                head_dim=128,
                vision_heads=16,
            ),
            description="GUI-Owl 7B (Qwen2.5-VL-7B post-trained); absolute pixels of the resized image.",
        ),
        ModelProfile(
            name="gui-owl-32b",
            hub_id="mPLUG/GUI-Owl-32B",
            family="qwen2.5-vl",
            coordinate_frame="resized",
            image_factor=28,
            min_pixels=_QWEN25_MIN_PIXELS,
            max_pixels=_QWEN25_MAX_PIXELS,
            max_model_len=32768,
            native_context=128000,
            images_per_prompt=2,
            params_billion=33.45,  # Qwen2.5-VL-32B
            dtype_bytes=2,
            arch=Architecture(
                num_layers=64,
                hidden_size=5120,
                num_attention_heads=40,
                num_kv_heads=8,
                head_dim=128,
                vision_heads=16,
            ),
            description="GUI-Owl 32B, the model Mobile-Agent-v3 runs on; absolute pixels of the resized image.",
        ),
        ModelProfile(
            name="gui-owl-1.5-8b",
            # Listed in mPLUG's GUI-Owl-1.5 collection (qwen3_vl); the architecture figures are
            # Qwen3-VL-8B's and are to be checked against the checkpoint's config.json.
            hub_id="mPLUG/GUI-Owl-1.5-8B-Instruct",
            family="qwen3-vl",
            coordinate_frame="norm1000",
            image_factor=32,
            min_pixels=_QWEN3_MIN_PIXELS,
            max_pixels=_QWEN3_MAX_PIXELS,
            max_model_len=32768,
            native_context=262144,
            images_per_prompt=2,
            params_billion=8.77,
            dtype_bytes=2,
            arch=Architecture(
                num_layers=36,
                hidden_size=4096,
                num_attention_heads=32,
                num_kv_heads=8,
                head_dim=128,
                vision_heads=16,
            ),
            description="GUI-Owl-1.5 8B (Qwen3-VL based); points on a 0-1000 grid.",
            prompt_format="gui-owl-1.5",
        ),
    )
}

DEFAULT_PROFILE = "gui-owl-7b"


class UnknownProfile(KeyError):
    """No profile has this name; the message lists the ones that exist."""

    def __str__(self) -> str:
        return str(self.args[0])


def list_profiles() -> list[ModelProfile]:
    """All known profiles, in a stable order."""
    return list(_PROFILES.values())


def get_profile(name: str) -> ModelProfile:
    """The profile with this served name (or hub id, case-insensitive)."""
    key = name.strip().lower()
    for p in _PROFILES.values():
        if key in (p.name, p.hub_id.lower()):
            return p
    known = ", ".join(_PROFILES)
    raise UnknownProfile(f"unknown model profile {name!r}; known profiles: {known}")
