"""A chat model run in-process with transformers: GUI-Owl without a vLLM server.

For a single phone on a workstation, or for tests on a tiny checkpoint. Needs the `local`
extra (torch, transformers, accelerate). The model loads lazily on the first call; generation
runs in a worker thread so the event loop (bus, API, device I/O) stays responsive, and calls
are serialised because one model instance generates one sequence at a time here.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mobile_agent.llm.base import (
    ChatResponse,
    ImagePart,
    Message,
    ModelResponseError,
    ModelUnavailable,
    TextPart,
    Usage,
)

INSTALL_HINT = "the local backend needs torch and transformers: pip install 'mobile-agent[local]'"
_DTYPES = ("auto", "bfloat16", "float16", "float32")
_SERVER_ONLY = frozenset({"base_url", "api_key", "timeout_s", "retries", "image_format", "backend"})


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _looks_like_path(ref: str) -> bool:
    """A local directory rather than a hub id (hub ids are exactly "org/name")."""
    return (
        ref.startswith(("/", ".", "~"))
        or ref.count("/") > 1
        or (os.sep != "/" and os.sep in ref)
        or Path(ref).exists()
    )


@functools.cache
def image_only_processor_class() -> type:
    """A Qwen2.5-VL processor without the video processor.

    The stock processor insists on a video processor whose class needs torchvision; screenshots
    never need it. Saved checkpoints that use this class are loaded back through it too.
    """
    from transformers import Qwen2_5_VLProcessor
    from transformers.processing_utils import ProcessorMixin

    class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):
        def __init__(
            self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None, **kw: Any
        ):
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

    return ImageOnlyQwen2_5_VLProcessor


@dataclass
class _Engine:
    """One loaded checkpoint, shared by every `LocalChatModel` that names it.

    The four roles each get a model from the factory; they must not load the weights four
    times. Generation is serialised per engine: one forward pass at a time on one model.
    """

    ref: str
    device: str | None
    dtype: str | None
    model: Any = None
    processor: Any = None
    users: int = 0
    load_lock: threading.Lock = field(default_factory=threading.Lock)
    generate_lock: threading.Lock = field(default_factory=threading.Lock)

    def ensure_loaded(self) -> None:
        with self.load_lock:
            if self.model is None:
                self.model, self.processor = _load(self.ref, self.device, self.dtype)


_ENGINES: dict[tuple[str, str | None, str | None], _Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _acquire(ref: str, device: str | None, dtype: str | None) -> _Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.setdefault((ref, device, dtype), _Engine(ref, device, dtype))
        engine.users += 1
    try:
        engine.ensure_loaded()
    except BaseException:
        _release(engine)
        raise
    return engine


def _release(engine: _Engine) -> None:
    with _ENGINES_LOCK:
        engine.users -= 1
        if engine.users <= 0 and _ENGINES.get((engine.ref, engine.device, engine.dtype)) is engine:
            del _ENGINES[(engine.ref, engine.device, engine.dtype)]


def _load(ref: str, device: str | None, dtype: str | None) -> tuple[Any, Any]:
    """Load model and processor (blocking; runs in a worker thread)."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ModelUnavailable(f"{INSTALL_HINT} ({exc})") from exc
    if _looks_like_path(ref) and not Path(ref).is_dir():
        raise ModelUnavailable(f"no model directory at {ref}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype_name = dtype or ("bfloat16" if device.startswith("cuda") else "float32")
    torch_dtype = "auto" if dtype_name == "auto" else getattr(torch, dtype_name)
    common: dict[str, Any] = {"local_files_only": _offline()}
    dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    model_kw: dict[str, Any] = {**common, dtype_kw: torch_dtype}
    if device == "cuda":
        model_kw["device_map"] = "auto"  # spread a large model over every visible GPU
    model: Any
    try:
        try:
            model = transformers.AutoModelForImageTextToText.from_pretrained(ref, **model_kw)
        except (ValueError, KeyError):
            model = transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(ref, **model_kw)
        processor = _load_processor(transformers, ref, common)
    except OSError as exc:
        hint = " (HF_HUB_OFFLINE is set: only the local cache is searched)" if _offline() else ""
        raise ModelUnavailable(f"cannot load {ref}{hint}: {exc}") from exc
    if "device_map" not in model_kw:
        model = model.to(device)
    model.eval()
    return model, processor


def _load_processor(transformers: Any, ref: str, common: dict[str, Any]) -> Any:
    """AutoProcessor, or an image-only processor when that yields only a tokenizer."""
    try:
        processor = transformers.AutoProcessor.from_pretrained(ref, **common)
    except (ImportError, ValueError, TypeError):
        processor = None  # e.g. the video processor needs torchvision
    if processor is not None and hasattr(processor, "image_processor"):
        return processor
    tokenizer = transformers.AutoTokenizer.from_pretrained(ref, **common)
    image_processor = transformers.AutoImageProcessor.from_pretrained(ref, **common)
    return image_only_processor_class()(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=tokenizer.chat_template
    )


class LocalChatModel:
    """`ChatModel` over a Qwen2.5-VL family checkpoint (GUI-Owl) loaded with transformers.

    `model` is accepted as another name for `model_path_or_id`, and the server-only settings
    the model factory passes to every backend (base_url, api_key, timeout_s, retries,
    image_format) are accepted and unused, so one settings dict serves every backend.
    """

    def __init__(
        self,
        model_path_or_id: str | None = None,
        *,
        model: str | None = None,
        name: str | None = None,
        device: str | None = None,
        dtype: str | None = None,
        max_new_tokens: int | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        **server_only: Any,
    ) -> None:
        ref = model_path_or_id or model
        if not ref:
            raise ValueError("the local backend needs a model directory or hub id (--model PATH)")
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        unknown = set(server_only) - _SERVER_ONLY
        if unknown:
            raise TypeError(f"unexpected settings for the local backend: {', '.join(sorted(unknown))}")
        self.model_ref = os.path.expanduser(ref)
        self.name = name or ref.rstrip("/").rsplit("/", 1)[-1]
        self.device = device
        self.dtype = dtype
        self.max_new_tokens = max_new_tokens or max_tokens or 1024
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self._engine: _Engine | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    async def load(self) -> None:
        """Load the model now (it otherwise loads on the first chat); safe to call twice."""
        async with self._lock:
            if self._engine is None:
                self._engine = await asyncio.to_thread(_acquire, self.model_ref, self.device, self.dtype)

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResponse:
        await self.load()
        engine = self._engine
        if engine is None:  # closed while loading
            raise ModelUnavailable(f"{self.name} was closed")
        t0 = time.perf_counter()
        temp = self.temperature if temperature is None else temperature
        text, usage = await asyncio.to_thread(self._generate_sync, engine, messages, max_tokens, temp)
        return ChatResponse(text=text, usage=usage, model=self.name, latency_s=time.perf_counter() - t0)

    @staticmethod
    def _conversation(messages: list[Message]) -> tuple[list[dict[str, Any]], list[Any]]:
        conv: list[dict[str, Any]] = []
        images: list[Any] = []
        for m in messages:
            parts: list[dict[str, Any]] = []
            for p in m.parts():
                if isinstance(p, ImagePart):
                    images.append(p.image if p.image.mode == "RGB" else p.image.convert("RGB"))
                    parts.append({"type": "image"})
                elif isinstance(p, TextPart):
                    parts.append({"type": "text", "text": p.text})
            conv.append({"role": m.role, "content": parts})
        return conv, images

    def _pixel_budget(self) -> dict[str, Any]:
        """The image budget as this transformers version's processor takes it.

        The agent already resized the screenshot to this budget, so the processor's own resize
        is a no-op and the model answers in the frame the agent expects.
        """
        if self.min_pixels is None and self.max_pixels is None:
            return {}
        import transformers

        if int(transformers.__version__.split(".")[0]) >= 5:
            size = {}
            if self.min_pixels is not None:
                size["shortest_edge"] = self.min_pixels  # a pixel count, despite the name
            if self.max_pixels is not None:
                size["longest_edge"] = self.max_pixels
            return {"size": size}
        budget = {"min_pixels": self.min_pixels, "max_pixels": self.max_pixels}
        return {k: v for k, v in budget.items() if v is not None}

    def _generate_sync(
        self, engine: _Engine, messages: list[Message], max_tokens: int | None, temperature: float | None
    ) -> tuple[str, Usage]:
        import torch

        conv, images = self._conversation(messages)
        processor, model = engine.processor, engine.model
        image_kw = self._pixel_budget()
        gen_kw: dict[str, Any] = {"max_new_tokens": max_tokens or self.max_new_tokens}
        if temperature:
            gen_kw.update(do_sample=True, temperature=temperature, top_p=self.top_p or 1.0)
        else:  # greedy, the profiles' recommendation: reproducible runs
            gen_kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with engine.generate_lock:
            try:
                prompt = processor.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
                inputs = processor(text=[prompt], images=images or None, return_tensors="pt", **image_kw)
                inputs = inputs.to(model.device)
                if self.seed is not None:
                    torch.manual_seed(self.seed)
                with torch.inference_mode():
                    out = model.generate(**inputs, **gen_kw)
            except (RuntimeError, ValueError, TypeError, IndexError) as exc:
                raise ModelResponseError(f"local generation failed: {exc}") from exc
        prompt_len = int(inputs["input_ids"].shape[1])
        new = out[0, prompt_len:]
        pad = getattr(model.generation_config, "pad_token_id", None)
        completion = int((new != pad).sum()) if pad is not None else int(new.shape[0])
        text = processor.batch_decode(new.unsqueeze(0), skip_special_tokens=True)[0]
        return text, Usage(prompt_tokens=prompt_len, completion_tokens=completion)

    async def aclose(self) -> None:
        """Let go of the shared weights; the last user frees them."""
        async with self._lock:
            if self._engine is not None:
                _release(self._engine)
                self._engine = None
