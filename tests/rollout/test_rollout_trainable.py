"""Trainable, proven: exported step rows go through the tiny Qwen2.5-VL's processor and model (the
one the `local` backend tests use) and give a finite loss with labels masked to the assistant
turn. The rows are exactly what a trainer consumes: messages, images, response."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ci_guard import require_module

require_module("torch", "pip install 'mobile-agent[local]'")
require_module("transformers", "pip install 'mobile-agent[local]'")

import torch  # noqa: E402
from datasets import load_dataset  # noqa: E402
from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer  # noqa: E402

from mobile_agent.llm.local import image_only_processor_class  # noqa: E402
from serving.tiny_model import build_tiny_qwen  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen-rollout") / "model")


def test_exported_rows_give_a_finite_loss_on_the_assistant_turn_only(
    rollout_dir: Path, tiny_model: Path
) -> None:
    files = sorted(str(p) for p in (rollout_dir / "data" / "steps").glob("*.parquet"))
    steps = load_dataset("parquet", data_files=files, split="train").filter(lambda r: r["sft"])
    # the processor the `local` backend builds (the stock one wants torchvision for video)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model))
    processor = image_only_processor_class()(
        image_processor=AutoImageProcessor.from_pretrained(str(tiny_model)),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )
    model = AutoModelForImageTextToText.from_pretrained(str(tiny_model), dtype=torch.float32)
    row = steps[0]
    # a small pixel budget keeps the tiny model's prompt short; a trainer keeps the recorded size
    images = [im.convert("RGB").resize((im.width // 4, im.height // 4)) for im in row["images"]]
    prompt = processor.apply_chat_template(row["messages"], add_generation_prompt=True, tokenize=False)
    full = processor.apply_chat_template(
        [*row["messages"], {"role": "assistant", "content": [{"type": "text", "text": row["response"]}]}],
        tokenize=False,
    )
    assert full.startswith(prompt)
    p_ids = processor(text=[prompt], images=images, return_tensors="pt")["input_ids"]
    batch = processor(text=[full], images=images, return_tensors="pt")
    labels = batch["input_ids"].clone()
    labels[:, : p_ids.shape[1]] = -100  # only the assistant's answer is learned
    assert (labels != -100).sum() > 10
    assert (batch["input_ids"] == processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")).sum() > 0
    out = model(**batch, labels=labels)
    assert math.isfinite(out.loss.item()) and out.loss.item() > 0
    out.loss.backward()  # gradients flow: it trains
    assert any(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
