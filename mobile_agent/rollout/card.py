"""The dataset card (README.md) written beside the parquet shards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["write_card"]

_TEMPLATE = """---
configs:
- config_name: steps
  data_files: data/steps/*.parquet
  default: true
- config_name: trajectories
  data_files: data/trajectories/*.parquet
license: apache-2.0
task_categories:
- image-text-to-text
tags:
- gui-agent
- android
- rollouts
---
# mobile-agent rollouts

Made by `mobile-agent rollout` on virtual phones (mobile-agent's offline benchmark tasks).
Trajectory rewards are read from the phone's state by each task's verifier, never from the
agent's claim. {policy_note}

## Configuration

```json
{config}
```

## Contents

- {samples} samples; status counts: {counts} (`excluded`/`void`: the verifier failed or the
  instance was void, never scored; `error`: the model server or the framework failed, not a policy failure)
- {steps} step rows; pass@k (unbiased, all instances): {curve}

## Tables

- `steps` (one row per action request): `messages` (the exact chat sent; image parts are
  placeholders for `images`, in order, at the size the model saw), `response` (raw),
  `action_model`/`action_device` (parsed, JSON), `label_device`/`label_model` (the oracle's
  move on that screen), `label_bounds`, `ui_tree` (uiautomator XML at that step), step rewards
  `r_format`, `r_type`, `r_point`, `r_text`, `step_reward`, `step_success`; the trajectory's
  `trajectory_reward`, `passk_advantage`, `grpo_advantage`; filters `sft`, `hard`.
- `trajectories` (one row per sample): ids, `status`, `trajectory_reward`, `verified`,
  `group_n`, `group_c`, `pass_k`, `group_reward`, both advantages, the agent's own ending.

Formulas and sources: docs/training.md of mobile-agent.

```python
from datasets import load_dataset
steps = load_dataset("parquet", data_files="data/steps/*.parquet", split="train")
sft = steps.filter(lambda r: r["sft"])       # verified-successful trajectories only
hard = steps.filter(lambda r: r["hard"])     # policy and oracle disagree
```
"""


def write_card(path: Path, config: dict[str, Any], summary: dict[str, Any]) -> None:
    oracle = config.get("policy") == "oracle"
    note = (
        "The policy was the scripted oracle (a test instrument of the framework, with injected "
        f"errors at rate {config.get('error_rate')}), not a model."
        if oracle
        else f"The policy was the model `{config.get('model')}` at temperature {config.get('temperature')}."
    )
    curve = summary["pass_at_k"]["overall"]
    text = _TEMPLATE.format(
        policy_note=note,
        config=json.dumps(config, indent=2),
        samples=summary["samples"],
        counts=json.dumps(summary["status_counts"]),
        steps=summary["steps"],
        curve=", ".join(f"pass@{k}={v:.3f}" for k, v in curve.items()) or "n/a",
    )
    path.write_text(text, encoding="utf-8")
