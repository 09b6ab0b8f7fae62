"""A tiny, randomly initialised GUI-Owl checkpoint, built offline (no hub access).

One recipe for every test of the model path: the `local` backend loads it with transformers
and `vllm serve` (the CPU build) serves it, so both run their real loading and generation code
on the same weights. A byte-level BPE tokenizer is trained in memory with Qwen's special tokens,
the chat template is a small Qwen-style one, the image processor is the PIL one, and the model
has a few hundred thousand parameters. Its answers are random text.

The sizes satisfy both runtimes: vLLM's CPU attention needs a head size of at least 32, so the
text model is 128 wide with 4 heads (2 KV heads) and the vision tower 64 wide with 2 heads;
`mrope_section` sums to half the head size; `max_position_embeddings` covers the profiles'
32k context. torch and transformers are imported only when a checkpoint is built.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "TinyModelError", "build_tiny_model", "build_tiny_qwen"]

Family = Literal["qwen2.5-vl", "qwen3-vl"]

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Accepts `image` parts (transformers) and `image_url` parts (vLLM passes OpenAI parts through).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url') %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = [
    "Open the settings app and turn on Wi-Fi.",
    '<tool_call>{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [540, 1210]}}</tool_call>',
    "<thinking>The screen shows the home page.</thinking> <conclusion>Tapped the icon.</conclusion>",
    "Send a message to Alice saying hello; set an alarm for 7:30 tomorrow.",
]

MAX_POSITIONS = 32768
TEXT = {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4}


class TinyModelError(RuntimeError):
    """The checkpoint cannot be built here (torch/transformers missing or too old)."""


def _tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(CORPUS, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _image_processor(family: Family) -> Any:
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    if family == "qwen3-vl":  # 16-pixel patches merged 2x2: sides round to 32
        return Qwen2VLImageProcessorPil(
            patch_size=16, merge_size=2, min_pixels=64 * 64, max_pixels=128 * 128,
            image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
        )  # fmt: skip
    return Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112)


def _text_config(ids: dict[str, int], vocab: int, mrope: list[int]) -> dict[str, Any]:
    return {
        **TEXT,
        "vocab_size": vocab,
        "num_key_value_heads": 2,
        "head_dim": 32,
        "max_position_embeddings": MAX_POSITIONS,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": mrope},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }


def _config(family: Family, ids: dict[str, int], vocab: int) -> Any:
    special: dict[str, Any] = {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }
    if family == "qwen3-vl":
        from transformers import Qwen3VLConfig

        return Qwen3VLConfig(
            text_config=_text_config(ids, vocab, [8, 4, 4]),
            vision_config={
                "depth": 2,
                "hidden_size": 64,
                "intermediate_size": 128,
                "num_heads": 2,
                "out_hidden_size": TEXT["hidden_size"],
                "patch_size": 16,
                "spatial_merge_size": 2,
                "num_position_embeddings": 64,
                "deepstack_visual_indexes": [1],
            },
            **special,
        )
    from transformers import Qwen2_5_VLConfig

    return Qwen2_5_VLConfig(
        text_config=_text_config(ids, vocab, [4, 6, 6]),
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_heads": 2,
            "out_hidden_size": TEXT["hidden_size"],
            "fullatt_block_indexes": [1],
            "window_size": 56,
        },
        **special,
    )


def _write_video_processor(path: Path, image_processor: Any, family: Family) -> None:
    """The video processor config the stock processor (vLLM's) insists on loading.

    Written as JSON: its class needs torchvision, which the project's own venv lacks. Videos are
    never sent (the launcher passes `video: 0`).
    """
    config = {
        "video_processor_type": "Qwen3VLVideoProcessor" if family == "qwen3-vl" else "Qwen2VLVideoProcessor",
        "patch_size": image_processor.patch_size,
        "merge_size": image_processor.merge_size,
        "temporal_patch_size": image_processor.temporal_patch_size,
        "image_mean": list(image_processor.image_mean),
        "image_std": list(image_processor.image_std),
        "size": dict(image_processor.size),
    }
    (path / "video_preprocessor_config.json").write_text(json.dumps(config, indent=2) + "\n")


MARK = ".mobile-agent-tiny-model"


def _claim(path: Path) -> Path:
    """Make `path` ours to write: new, empty, or written by us before (marked). A folder holding
    anything else (a real checkpoint, say) is refused untouched: overwriting its config and
    tokenizer beside its own shards would leave a broken mix."""
    if path.exists() and not path.is_dir():
        raise TinyModelError(f"{path} exists and is not a folder")
    if path.is_dir() and not (path / MARK).is_file() and any(path.iterdir()):
        raise TinyModelError(
            f"{path} is not empty and was not written by `tiny-model`; nothing was changed. "
            "Choose a new or empty folder."
        )
    path.mkdir(parents=True, exist_ok=True)
    (path / MARK).write_text("a tiny random checkpoint written by `python -m serving tiny-model`\n")
    return path


def build_tiny_model(path: Path, family: Family = "qwen2.5-vl", seed: int = 0) -> Path:
    """Write tokenizer, processor config, chat template and random weights to `path`."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise TinyModelError(f"building the tiny model needs torch and transformers: {exc}") from exc
    if family not in ("qwen2.5-vl", "qwen3-vl"):
        raise TinyModelError(f"unknown family {family!r}; choose qwen2.5-vl or qwen3-vl")

    path = _claim(Path(path))
    tokenizer = _tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    from mobile_agent.llm.local import image_only_processor_class

    processor = image_only_processor_class()(
        image_processor=_image_processor(family), tokenizer=tokenizer, chat_template=CHAT_TEMPLATE
    )
    processor.save_pretrained(path)
    _write_video_processor(path, processor.image_processor, family)

    config = _config(family, ids, len(tokenizer))
    torch.manual_seed(seed)
    model = transformers.AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(path)
    return path


def build_tiny_qwen(path: Path) -> Path:
    """The tiny Qwen2.5-VL (GUI-Owl-7B/32B architecture)."""
    return build_tiny_model(path, "qwen2.5-vl")
