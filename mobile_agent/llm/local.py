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
import time
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


class LocalChatModel:
    """`ChatModel` over a Qwen2.5-VL family checkpoint (GUI-Owl) loaded with transformers."""

    def __init__(
        self,
        model_path_or_id: str,
        *,
        name: str | None = None,
        device: str | None = None,
        dtype: str | None = None,
        max_new_tokens: int = 1024,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
    ) -> None:
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        self.model_ref = os.path.expanduser(model_path_or_id)
        self.name = name or model_path_or_id.rstrip("/").rsplit("/", 1)[-1]
        self.device = device
        self.dtype = dtype
        self.max_new_tokens = max_new_tokens
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self._model: Any = None
        self._processor: Any = None
        self._load_lock = asyncio.Lock()
        self._generate_lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    async def load(self) -> None:
        """Load the model now (it otherwise loads on the first chat); safe to call twice."""
        async with self._load_lock:
            if self._model is None:
                self._model, self._processor = await asyncio.to_thread(self._load_sync)

    def _load_sync(self) -> tuple[Any, Any]:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise ModelUnavailable(f"{INSTALL_HINT} ({exc})") from exc
        if _looks_like_path(self.model_ref) and not Path(self.model_ref).is_dir():
            raise ModelUnavailable(f"no model directory at {self.model_ref}")
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype_name = self.dtype or ("bfloat16" if device.startswith("cuda") else "float32")
        torch_dtype = "auto" if dtype_name == "auto" else getattr(torch, dtype_name)
        common: dict[str, Any] = {"local_files_only": _offline()}
        dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        model_kw: dict[str, Any] = {**common, dtype_kw: torch_dtype}
        if device == "cuda":
            model_kw["device_map"] = "auto"  # spread a large model over every visible GPU
        try:
            try:
                model = transformers.AutoModelForImageTextToText.from_pretrained(self.model_ref, **model_kw)
            except (ValueError, KeyError):
                model = transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(
                    self.model_ref, **model_kw
                )
            processor = self._load_processor(transformers, common)
        except OSError as exc:
            hint = " (HF_HUB_OFFLINE is set: only the local cache is searched)" if _offline() else ""
            raise ModelUnavailable(f"cannot load {self.model_ref}{hint}: {exc}") from exc
        if "device_map" not in model_kw:
            model = model.to(device)
        model.eval()
        return model, processor

    def _load_processor(self, transformers: Any, common: dict[str, Any]) -> Any:
        """AutoProcessor, or an image-only processor when that yields only a tokenizer."""
        try:
            processor = transformers.AutoProcessor.from_pretrained(self.model_ref, **common)
        except (ImportError, ValueError, TypeError):
            processor = None  # e.g. the video processor needs torchvision
        if processor is not None and hasattr(processor, "image_processor"):
            return processor
        tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_ref, **common)
        image_processor = transformers.AutoImageProcessor.from_pretrained(self.model_ref, **common)
        return image_only_processor_class()(
            image_processor=image_processor, tokenizer=tokenizer, chat_template=tokenizer.chat_template
        )

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResponse:
        await self.load()
        async with self._generate_lock:
            t0 = time.perf_counter()
            text, usage = await asyncio.to_thread(self._generate_sync, messages, max_tokens, temperature)
            return ChatResponse(text=text, usage=usage, model=self.name, latency_s=time.perf_counter() - t0)

    def _conversation(self, messages: list[Message]) -> tuple[list[dict[str, Any]], list[Any]]:
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

    def _generate_sync(
        self, messages: list[Message], max_tokens: int | None, temperature: float | None
    ) -> tuple[str, Usage]:
        import torch

        conv, images = self._conversation(messages)
        processor, model = self._processor, self._model
        try:
            prompt = processor.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
            image_kw: dict[str, Any] = {}
            if self.min_pixels is not None:
                image_kw["min_pixels"] = self.min_pixels
            if self.max_pixels is not None:
                image_kw["max_pixels"] = self.max_pixels
            inputs = processor(text=[prompt], images=images or None, return_tensors="pt", **image_kw)
            inputs = inputs.to(model.device)
            gen_kw: dict[str, Any] = {"max_new_tokens": max_tokens or self.max_new_tokens}
            if temperature:
                gen_kw.update(do_sample=True, temperature=temperature)
            else:
                gen_kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
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
        """Drop the model so its memory can be reclaimed."""
        async with self._load_lock:
            self._model = None
            self._processor = None
