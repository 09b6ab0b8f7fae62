"""The rollout dataset: step rows and trajectory rows as parquet shards, plus a dataset card.

`export(out_dir)` reads every finished sample (`samples/*/sample.json`), scores it
(`mobile_agent.rollout.rewards`), and writes `data/steps/*.parquet`, `data/trajectories/*.parquet`,
`README.md` (the card: schema, rewards, how it was made) and `summary.json` (counts, pass@k
curves, step accuracies, bytes per step). Rows are in a fixed order (task, seed, sample, call),
so the same samples always export to the same rows. Load with
`datasets.load_dataset("parquet", data_files=".../data/steps/*.parquet", split="train")`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from mobile_agent.rollout.card import write_card
from mobile_agent.rollout.rewards import (
    grpo_advantages,
    pass_at_k_advantages,
    pass_at_k_curve,
    pass_at_k_group_reward,
)
from mobile_agent.rollout.sample import SAMPLE_FILE
from mobile_agent.rollout.steps import step_row

__all__ = ["FILTERS", "export", "features", "load", "load_samples", "quiet"]

ROWS_PER_SHARD = 256
SCORED = ("success", "failure")
FILTERS = {
    "rl": "every step with its rewards",
    "sft": "steps of verified-successful trajectories only",
    "hard": "steps where the policy's action disagrees with the oracle's (step_success is false)",
}


def quiet() -> None:
    """No progress bars from `datasets` (a rollout prints its own progress)."""
    import datasets

    datasets.disable_progress_bars()
    datasets.utils.logging.set_verbosity_error()


def _features() -> tuple[Any, Any]:
    from datasets import Features, Image, List, Value

    quiet()

    ids = {
        "task": Value("string"),
        "instance_id": Value("string"),
        "seed": Value("int64"),
        "sample_id": Value("int64"),
        "goal": Value("string"),
        "status": Value("string"),
        "trajectory_reward": Value("float64"),
        "passk_advantage": Value("float64"),
        "grpo_advantage": Value("float64"),
        "policy": Value("string"),
        "model": Value("string"),
        "temperature": Value("float64"),
        "error_rate": Value("float64"),
        "mode": Value("string"),
        "frame": Value("string"),
    }
    steps = Features(
        ids
        | {
            "step_id": Value("string"),
            "call_index": Value("int64"),
            "step": Value("int64"),
            "role": Value("string"),
            "messages": List(
                {"role": Value("string"), "content": List({"type": Value("string"), "text": Value("string")})}
            ),
            "images": List(Image()),
            "image_width": Value("int64"),
            "image_height": Value("int64"),
            "device_width": Value("int64"),
            "device_height": Value("int64"),
            "response": Value("string"),
            "sampling": Value("string"),
            "parsed": Value("bool"),
            "parse_error": Value("string"),
            "action_model": Value("string"),
            "action_device": Value("string"),
            "action_type": Value("string"),
            "label_device": Value("string"),
            "label_model": Value("string"),
            "label_type": Value("string"),
            "label_bounds": List(Value("int64")),
            "ui_tree": Value("string"),
            "r_format": Value("float64"),
            "r_type": Value("float64"),
            "r_point": Value("float64"),
            "r_text": Value("float64"),
            "step_reward": Value("float64"),
            "step_success": Value("bool"),
            "sft": Value("bool"),
            "hard": Value("bool"),
        }
    )
    trajectories = Features(
        ids
        | {
            "verified": Value("float64"),
            "verifier_error": Value("string"),
            "agent_status": Value("string"),
            "agent_error": Value("string"),
            "reason": Value("string"),
            "answer": Value("string"),
            "claimed_success": Value("bool"),
            "steps": Value("int64"),
            "injected_errors": Value("int64"),
            "group_n": Value("int64"),
            "group_c": Value("int64"),
            "pass_k": Value("int64"),
            "group_reward": Value("float64"),
            "mean_step_reward": Value("float64"),
            "seconds": Value("float64"),
        }
    )
    return steps, trajectories


def features() -> tuple[Any, Any]:
    """(step features, trajectory features): the schema, built when `datasets` is imported."""
    return _features()


def load_samples(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every finished sample record, in the dataset's fixed order."""
    recs = []
    for path in (Path(out_dir) / "samples").glob(f"*/{SAMPLE_FILE}"):
        rec = json.loads(path.read_text(encoding="utf-8"))
        rec["_dir"] = str(path.parent)
        recs.append(rec)
    return sorted(recs, key=lambda r: (r["task"], int(r["seed"]), int(r["sample_id"])))


def _write_shards(rows: list[dict[str, Any]], features: Any, folder: Path) -> int:
    from datasets import Dataset

    folder.mkdir(parents=True, exist_ok=True)
    # No rows, no shard: `datasets` can neither write nor load an empty table (every sample
    # errored, e.g. a model server down from the start); the summary says 0 steps instead.
    chunks = [rows[i : i + ROWS_PER_SHARD] for i in range(0, len(rows), ROWS_PER_SHARD)]
    total = 0
    for i, chunk in enumerate(chunks):
        path = folder / f"train-{i:05d}-of-{len(chunks):05d}.parquet"
        Dataset.from_list(chunk, features=features).to_parquet(str(path))
        total += path.stat().st_size
    return total


def export(out_dir: str | Path, pass_k: int | None = None) -> dict[str, Any]:
    """Score every finished sample and (re)write the dataset; returns the summary."""
    out = Path(out_dir)
    t0 = time.perf_counter()
    config = json.loads((out / "rollout.json").read_text(encoding="utf-8"))
    samples = load_samples(out)
    k_cfg = int(config.get("k", 1))
    pk = max(1, min(pass_k or min(4, k_cfg), k_cfg))
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in samples:
        groups.setdefault(rec["instance_id"], []).append(rec)
    meta = {
        "policy": config.get("policy"),
        "model": config.get("model") or "oracle",
        "temperature": config.get("temperature"),
        "error_rate": config.get("error_rate"),
        "mode": config.get("mode"),
        "frame": config.get("frame"),
    }
    for members in groups.values():
        scored = [r for r in members if r["status"] in SCORED]
        n, c = len(scored), sum(r["status"] == "success" for r in scored)
        a_pos, a_neg = pass_at_k_advantages(n, c, min(pk, n)) if n else (0.0, 0.0)
        grpo = grpo_advantages([1.0 if r["status"] == "success" else 0.0 for r in scored])
        by_id = {id(r): a for r, a in zip(scored, grpo, strict=True)}
        for r in members:
            ok = r["status"] in SCORED
            r["_group"] = {
                "group_n": n,
                "group_c": c,
                "pass_k": min(pk, n) if n else 0,
                "group_reward": pass_at_k_group_reward(n, c, min(pk, n)) if n else None,
                "passk_advantage": (a_pos if r["status"] == "success" else a_neg) if ok else None,
                "grpo_advantage": by_id.get(id(r)),
                "trajectory_reward": (1.0 if r["status"] == "success" else 0.0) if ok else None,
            }
    step_rows: list[dict[str, Any]] = []
    traj_rows: list[dict[str, Any]] = []
    for rec in samples:
        g = rec["_group"]
        base = {
            "task": rec["task"],
            "instance_id": rec["instance_id"],
            "seed": int(rec["seed"]),
            "sample_id": int(rec["sample_id"]),
            "goal": rec["goal"],
            "status": rec["status"],
            "trajectory_reward": g["trajectory_reward"],
            "passk_advantage": g["passk_advantage"],
            "grpo_advantage": g["grpo_advantage"],
        } | meta
        made = [step_row(base, rec, call) for call in rec.get("calls", [])]
        rows = [r for r in made if r is not None]
        step_rows.extend(rows)
        timings = rec.get("timings") or {}
        traj_rows.append(
            base
            | {
                "verified": rec.get("verified"),
                "verifier_error": rec.get("verifier_error", ""),
                "agent_status": rec.get("agent_status", ""),
                "agent_error": rec.get("agent_error"),
                "reason": rec.get("reason", ""),
                "answer": rec.get("answer"),
                "claimed_success": bool(rec.get("claimed_success")),
                "steps": int(rec.get("steps") or 0),
                "injected_errors": int(rec.get("injected_errors") or 0),
                "group_n": g["group_n"],
                "group_c": g["group_c"],
                "pass_k": g["pass_k"],
                "group_reward": g["group_reward"],
                "mean_step_reward": (sum(r["step_reward"] for r in rows) / len(rows)) if rows else None,
                "seconds": timings.get("wall_s"),
            }
        )
    steps_f, traj_f = _features()
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    step_bytes = _write_shards(step_rows, steps_f, data / "steps")
    traj_bytes = _write_shards(traj_rows, traj_f, data / "trajectories")
    summary = _summary(config, samples, groups, step_rows, pk)
    summary["bytes"] = {
        "steps": step_bytes,
        "trajectories": traj_bytes,
        "per_step": round(step_bytes / len(step_rows)) if step_rows else 0,
    }
    summary["export_seconds"] = round(time.perf_counter() - t0, 3)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    write_card(out / "README.md", config, summary)
    return summary


def _summary(
    config: dict[str, Any],
    samples: list[dict[str, Any]],
    groups: dict[str, list[dict[str, Any]]],
    step_rows: list[dict[str, Any]],
    pk: int,
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in samples:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    nc = {
        inst: (
            sum(r["status"] in SCORED for r in members),
            sum(r["status"] == "success" for r in members),
        )
        for inst, members in groups.items()
    }
    per_task: dict[str, list[tuple[int, int]]] = {}
    for inst, (n, c) in nc.items():
        if n:
            per_task.setdefault(inst.split("#")[0], []).append((n, c))
    timing = {k: 0.0 for k in ("wall_s", "model_s", "label_s", "device_s", "settle_s", "write_s")}
    for r in samples:
        for key in timing:
            timing[key] += float((r.get("timings") or {}).get(key) or 0.0)
    steps = len(step_rows)
    return {
        "config": config,
        "samples": len(samples),
        "status_counts": counts,
        "excluded": counts.get("excluded", 0) + counts.get("void", 0),
        "errors": counts.get("error", 0),
        "steps": steps,
        "pass_k_for_advantages": pk,
        "pass_at_k": {
            "overall": pass_at_k_curve([v for v in nc.values() if v[0]]),
            "per_task": {t: pass_at_k_curve(v) for t, v in sorted(per_task.items())},
        },
        "step_accuracy": {
            "type": sum(r["r_type"] for r in step_rows) / steps if steps else None,
            "step_success": sum(r["step_success"] for r in step_rows) / steps if steps else None,
            "format": sum(r["r_format"] for r in step_rows) / steps if steps else None,
        },
        "timings_s": {k: round(v, 3) for k, v in timing.items()},
    }


def load(out_dir: str | Path, table: str = "steps", subset: str = "rl") -> Any:
    """The exported `steps` or `trajectories` table as a `datasets.Dataset`, filtered by `subset`
    (see FILTERS; `hard` applies to steps only)."""
    from datasets import load_dataset

    if subset not in FILTERS:
        raise ValueError(f"subset must be one of {', '.join(FILTERS)}, got {subset!r}")
    files = sorted(str(p) for p in (Path(out_dir) / "data" / table).glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no {table} shards under {out_dir}/data/{table}")
    ds = load_dataset("parquet", data_files=files, split="train")
    if subset == "sft":
        ds = ds.filter(lambda r: r["status"] == "success")
    elif subset == "hard":
        if table != "steps":
            raise ValueError("the hard subset is made of steps")
        ds = ds.filter(lambda r: r["hard"])
    return ds
