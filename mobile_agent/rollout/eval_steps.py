"""Step-level evaluation on a rollout dataset, AndroidControl-style.

For each recorded step, the exact chat messages of that step (with the images the model saw) are
sent to a policy over the OpenAI HTTP API, and its answer is scored against the oracle's label
for that screen: action-type accuracy, grounding accuracy (the point inside the labelled
element's bounds, over steps whose label is a tap) and step success (type and every argument).
`--policy oracle` answers from the recorded labels through the same HTTP path: a check of the
pipeline that must score 100%, never a claim about a model.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from mobile_agent.redact import redact
from mobile_agent.rollout.rewards import step_reward, strict_action_json
from mobile_agent.rollout.steps import frame_of, map_action, parse_answer
from mobile_agent.testing import ChatRequest, StubChatServer

__all__ = ["DatasetError", "EvalOptions", "LabelServer", "evaluate", "load_steps", "to_openai"]

# the columns scoring reads (a shard without one is not a rollout's step table)
NEEDED = (
    "step_id", "task", "role", "frame", "messages", "images", "device_width", "device_height",
    "label_device", "label_model", "label_bounds",
)  # fmt: skip


class DatasetError(ValueError):
    """The step shards cannot be read, or lack the columns a step is scored with."""


@dataclass
class EvalOptions:
    dataset: str
    out_dir: str
    base_url: str | None = None  # None: the recorded-label oracle
    model: str | None = None
    limit: int | None = None
    concurrency: int = 4
    timeout_s: float = 300.0


def load_steps(dataset: str | Path, limit: int | None = None) -> Any:
    """The step rows with images as raw bytes (what the model was sent, not re-encoded)."""
    from datasets import Image as HFImage
    from datasets import List, load_dataset

    from mobile_agent.rollout.dataset import quiet

    quiet()

    root = Path(dataset)
    files = sorted(str(p) for p in (root / "data" / "steps").glob("*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"{dataset} has no data/steps/*.parquet (is it a `mobile-agent rollout` folder?)"
        )
    try:
        ds = load_dataset("parquet", data_files=files, split="train")
    except Exception as exc:  # pyarrow's and datasets' errors have no common base
        raise DatasetError(
            f"cannot read the step shards of {dataset} ({type(exc).__name__}: {exc}); run the same "
            "`mobile-agent rollout` command on that folder again to re-export them"
        ) from None
    missing = [c for c in NEEDED if c not in ds.column_names]
    if missing:
        raise DatasetError(f"the step shards of {dataset} lack column(s) {', '.join(missing)}")
    ds = ds.cast_column("images", List(HFImage(decode=False)))
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    return ds


def to_openai(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's messages as OpenAI chat messages, images back as PNG data URLs in order."""
    images = iter(row["images"])
    out = []
    for m in row["messages"]:
        parts: list[dict[str, Any]] = []
        for p in m["content"]:
            if p["type"] == "image":
                data = base64.b64encode(next(images)["bytes"]).decode()
                parts.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}})
            else:
                parts.append({"type": "text", "text": p["text"] or ""})
        out.append({"role": m["role"], "content": parts})
    return out


def _answer_text(role: str, action: dict[str, Any]) -> str:
    if role == "worker":
        return f"### Thought\n[recorded oracle label]\n### Action\n{json.dumps(action)}\n### Description\nlabel\n"
    call = json.dumps({"name": "mobile_use", "arguments": action})
    return f"<thinking>[recorded oracle label]</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>label</conclusion>"


class LabelServer:
    """An OpenAI-compatible server answering each step with its recorded oracle label (model frame);
    the step is named by the request's model name (its `step_id`)."""

    def __init__(self, rows: Any) -> None:
        self.labels = {r["step_id"]: (r["role"], json.loads(r["label_model"])) for r in rows}
        self.server = StubChatServer(self._respond, model="recorded-oracle-labels", keep_requests=False)

    def _respond(self, request: ChatRequest) -> str:
        role, action = self.labels[request.model]
        return _answer_text(role, action)

    def __enter__(self) -> LabelServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


async def _ask(client: httpx.AsyncClient, url: str, model: str, row: dict[str, Any]) -> tuple[str, str]:
    body = {"model": model, "messages": to_openai(row), "temperature": 0.0}
    try:
        r = await client.post(url, json=body)
        r.raise_for_status()
        return str(r.json()["choices"][0]["message"]["content"] or ""), ""
    except Exception as exc:
        return "", redact(f"{type(exc).__name__}: {exc}")


def score_row(row: dict[str, Any], text: str) -> dict[str, Any]:
    """One step's verdict: the answer parsed, mapped to the device, and scored against the label."""
    with Image.open(io.BytesIO(row["images"][-1]["bytes"])) as im:
        size = im.size
    frame = frame_of(row["frame"], size, (row["device_width"], row["device_height"]))
    action_model, why = parse_answer(row["role"], text)
    action_device = map_action(action_model, frame, to_device=True)
    label = json.loads(row["label_device"])
    r = step_reward(action_device, label, row["label_bounds"], strict_action_json(text) is not None)
    return {
        "step_id": row["step_id"],
        "task": row["task"],
        "label": label,
        "label_bounds": row["label_bounds"],
        "predicted": action_device,
        "predicted_model": action_model,
        "parse_error": why,
        "response": text,
        "grounded": r.point
        if label.get("action") in ("click", "long_press") and row["label_bounds"]
        else None,
        "reward": r.as_dict(),
        "image_size": list(size),
    }


async def evaluate(opts: EvalOptions) -> dict[str, Any]:
    """Score every step; writes OUT/eval.json and OUT/report.html; returns the summary."""
    ds = load_steps(opts.dataset, opts.limit)
    rows = list(ds)
    server = LabelServer(rows) if opts.base_url is None else None
    if server is not None:
        server.__enter__()
    base = opts.base_url or (server.server.base_url if server else "")
    url = base.rstrip("/") + "/chat/completions"
    sem = asyncio.Semaphore(max(1, opts.concurrency))
    try:
        async with httpx.AsyncClient(timeout=opts.timeout_s) as client:

            async def one(row: dict[str, Any]) -> dict[str, Any]:
                async with sem:
                    model = row["step_id"] if server is not None else str(opts.model)
                    text, err = await _ask(client, url, model, row)
                v = score_row(row, text)
                v["request_error"] = err
                return v

            verdicts = await asyncio.gather(*(one(r) for r in rows))
    finally:
        if server is not None:
            server.__exit__()
    n = len(verdicts)
    grounded = [v["grounded"] for v in verdicts if v["grounded"] is not None]
    summary = {
        "dataset": str(opts.dataset),
        "policy": "recorded oracle labels" if server is not None else opts.model,
        "base_url": redact(opts.base_url) if opts.base_url else None,  # printed and written
        "steps": n,
        "type_accuracy": sum(v["reward"]["type"] for v in verdicts) / n if n else None,
        "grounding_accuracy": sum(grounded) / len(grounded) if grounded else None,
        "grounding_steps": len(grounded),
        "step_success": sum(v["reward"]["success"] for v in verdicts) / n if n else None,
        "format_rate": sum(v["reward"]["format"] for v in verdicts) / n if n else None,
        "request_errors": sum(bool(v["request_error"]) for v in verdicts),
    }
    await asyncio.to_thread(_write, Path(opts.out_dir), summary, verdicts, rows)
    return summary


def _write(
    out: Path, summary: dict[str, Any], verdicts: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> None:
    from mobile_agent.rollout.eval_report import write_report

    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary | {"verdicts": verdicts}, indent=2, default=str)
    (out / "eval.json").write_text(text, encoding="utf-8")
    write_report(out / "report.html", summary, verdicts, {r["step_id"]: r for r in rows})
