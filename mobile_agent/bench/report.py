"""Aggregate benchmark records into per-task and overall figures; write JSON and HTML.

The verified result (read from the phone) and the agent's own claim are kept side by side, and
their disagreement is counted, because a benchmark is only as trustworthy as its verifier.
"""

from __future__ import annotations

import html
import json
import os
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path
from typing import Any

from mobile_agent.bench.estimator import pass_at_k

__all__ = ["ORACLE_NOTE", "chart_svg", "print_table", "summarize", "write_html", "write_json"]

ORACLE_NOTE = (
    "Model: the scripted oracle policy, a test instrument of the framework. These figures measure "
    "the framework's execution, not any model's skill."
)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(records: list[dict[str, Any]], k: int, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Figures per task template and overall from the JSONL records (one per finished run)."""
    runs = [r for r in records if r.get("status") != "void"]
    void = [r for r in records if r.get("status") == "void"]
    by_instance: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by_instance[r["instance"]].append(r)
        by_task[r["task"]].append(r)

    def pass_k(instances: list[str], kk: int) -> float | None:
        vals = []
        for inst in instances:
            rs = by_instance[inst]
            n, c = len(rs), sum(1 for r in rs if r["verified"] >= 1.0)
            if n >= kk:
                vals.append(pass_at_k(n, c, kk))
        return _mean(vals)

    def figures(rs: list[dict[str, Any]]) -> dict[str, Any]:
        instances = sorted({r["instance"] for r in rs})
        n = len(rs)
        ok = sum(1 for r in rs if r["verified"] >= 1.0)
        claimed = sum(1 for r in rs if r.get("claimed_success"))
        disagree = sum(1 for r in rs if bool(r.get("claimed_success")) != (r["verified"] >= 1.0))
        return {
            "runs": n,
            "instances": len(instances),
            "verified_success": ok,
            "verified_rate": ok / n if n else None,
            "mean_score": _mean([float(r["verified"]) for r in rs]),
            "claimed_success": claimed,
            "claimed_rate": claimed / n if n else None,
            "disagreements": disagree,
            "false_claims": sum(1 for r in rs if r.get("claimed_success") and r["verified"] < 1.0),
            "pass@1": pass_k(instances, 1),
            f"pass@{k}": pass_k(instances, k),
            "mean_steps": _mean([float(r.get("steps", 0)) for r in rs]),
            "mean_seconds": _mean([float(r.get("seconds", 0.0)) for r in rs]),
            "model_calls": sum(int(r.get("model_calls", 0)) for r in rs),
            "tokens": sum(int(r.get("tokens", 0)) for r in rs),
            "errors": sum(1 for r in rs if r.get("status") == "error"),
            "injected_errors": sum(int(r.get("injected_errors", 0)) for r in rs),
            "runs_with_injected_errors": sum(1 for r in rs if r.get("injected_errors")),
            "recovered": sum(1 for r in rs if r.get("injected_errors") and r["verified"] >= 1.0),
        }

    tasks = {name: figures(rs) | {"app": rs[0].get("app", "")} for name, rs in sorted(by_task.items())}
    return {
        "meta": (meta or {}) | {"k": k, "generated": time.strftime("%Y-%m-%d %H:%M:%S")},
        "overall": figures(runs),
        "tasks": tasks,
        "void": [{"instance": r["instance"], "reason": r.get("reason", "")} for r in void],
        "runs": [
            {
                "instance": r["instance"],
                "attempt": r.get("attempt", 0),
                "status": r.get("status"),
                "verified": r["verified"],
                "run_dir": r.get("run_dir"),
            }
            for r in runs
        ],
        "failures": [
            {
                "instance": r["instance"],
                "attempt": r.get("attempt", 0),
                "status": r.get("status"),
                "reason": r.get("reason", ""),
                "answer": r.get("answer"),
                "run_dir": r.get("run_dir"),
            }
            for r in runs
            if r["verified"] < 1.0
        ],
    }


def write_json(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if v is None else fmt.format(v)


def _injected(o: dict[str, Any]) -> str:
    if not o.get("injected_errors"):
        return ""
    return (
        f"injected wrong actions {o['injected_errors']} in {o['runs_with_injected_errors']} runs, "
        f"{o['recovered']} of those runs still verified done · "
    )


def chart_svg(tasks: dict[str, dict[str, Any]]) -> str:
    """A horizontal bar chart: verified success vs the agent's claim, per task (inline SVG)."""
    names = list(tasks)
    row_h, label_w, bar_w = 22, 260, 420
    height = 40 + row_h * len(names)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" height="{height}" '
        'font-family="sans-serif" font-size="12" role="img" aria-label="success per task">',
        f'<text x="{label_w}" y="14" fill="#1a7f37">■ verified</text>'
        f'<text x="{label_w + 90}" y="14" fill="#8c959f">■ claimed by the agent</text>',
    ]
    for i, name in enumerate(names):
        t = tasks[name]
        y = 28 + i * row_h
        ver = t["verified_rate"] or 0.0
        cla = t["claimed_rate"] or 0.0
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{html.escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="17" fill="#f6f8fa"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 1}" width="{bar_w * ver:.1f}" height="8" fill="#1a7f37"/>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 10}" width="{bar_w * cla:.1f}" height="6" fill="#8c959f"/>'
        )
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 12}">{_pct(t["verified_rate"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _report_href(run_dir: str, page: Path) -> str:
    """A link from `page` to a run's report.html, relative so the folder works opened from disk."""
    target = Path(run_dir) / "report.html"
    try:
        rel = os.path.relpath(target.resolve(), page.parent.resolve())
    except ValueError:  # another drive (Windows): an absolute file URL instead
        return target.resolve().as_uri()
    return urllib.parse.quote(Path(rel).as_posix())


def _runs_list(summary: dict[str, Any], page: Path) -> str:
    items = []
    for r in summary.get("runs", []):
        label = f"{html.escape(str(r['instance']))} (attempt {r['attempt']})"
        if r.get("run_dir"):
            label = f'<a href="{html.escape(_report_href(str(r["run_dir"]), page))}">{label}</a>'
        verdict = "verified" if r["verified"] >= 1.0 else "not verified"
        items.append(f"<li>{label}: {html.escape(str(r['status']))}, {verdict}</li>")
    return "".join(items) or "<li>none</li>"


def write_html(summary: dict[str, Any], path: Path) -> None:
    """A self-contained report: overall figures, chart, per-task table, failures."""
    k = summary["meta"]["k"]
    o = summary["overall"]
    meta = summary["meta"]
    note = (
        ORACLE_NOTE
        if meta.get("oracle")
        else f"Model: {html.escape(str(meta.get('model', '')))} at {html.escape(str(meta.get('base_url', '')))}"
    )
    rows = []
    for name, t in summary["tasks"].items():
        rows.append(
            "<tr>"
            f"<td>{html.escape(name)}</td><td>{html.escape(t['app'])}</td><td>{t['runs']}</td>"
            f"<td>{_pct(t['verified_rate'])}</td><td>{_pct(t['claimed_rate'])}</td><td>{t['disagreements']}</td>"
            f"<td>{_pct(t['pass@1'])}</td>"
            + (f"<td>{_pct(t.get(f'pass@{k}'))}</td>" if k > 1 else "")
            + f"<td>{_num(t['mean_steps'])}</td><td>{_num(t['mean_seconds'])}</td>"
            f"<td>{t['model_calls']}</td><td>{t['tokens']}</td></tr>"
        )
    fails = (
        "".join(
            f"<li><b>{html.escape(f['instance'])}</b> (attempt {f['attempt']}): {html.escape(str(f['status']))} — "
            f"{html.escape(str(f['reason']))}{' — answer: ' + html.escape(str(f['answer'])) if f['answer'] else ''}"
            f"{' — <code>' + html.escape(str(f['run_dir'])) + '</code>' if f['run_dir'] else ''}</li>"
            for f in summary["failures"]
        )
        or "<li>none</li>"
    )
    voids = (
        "".join(f"<li>{html.escape(v['instance'])}: {html.escape(v['reason'])}</li>" for v in summary["void"])
        or "<li>none</li>"
    )
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>mobile-agent benchmark</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#24292f}}table{{border-collapse:collapse}}
td,th{{border:1px solid #d0d7de;padding:4px 8px;text-align:right}}td:first-child,th:first-child,td:nth-child(2){{text-align:left}}
.big{{font-size:1.4em}} .note{{background:#fff8c5;padding:8px;border:1px solid #d4a72c}}</style></head><body>
<h1>mobile-agent offline benchmark</h1>
<p class="note">{note}</p>
<p>mode <b>{html.escape(str(meta.get("mode", "")))}</b> · seeds {meta.get("seeds", "")} · n {meta.get("n", "")} · k {k} ·
parallel {meta.get("parallel", "")} · error rate {meta.get("error_rate", 0)} · wall {_num(meta.get("wall_seconds"))} s · {html.escape(meta["generated"])}</p>
<p class="big">verified success <b>{_pct(o["verified_rate"])}</b> ({o["verified_success"]}/{o["runs"]}) ·
agent's claim {_pct(o["claimed_rate"])} · disagreements {o["disagreements"]} ·
pass@1 {_pct(o["pass@1"])}{f" · pass@{k} {_pct(o.get(f'pass@{k}'))}" if k > 1 else ""}</p>
<p>{_injected(o)}mean steps {_num(o["mean_steps"])} · mean time {_num(o["mean_seconds"])} s · model calls {o["model_calls"]} · tokens {o["tokens"]}</p>
{chart_svg(summary["tasks"])}
<h2>Per task</h2><table><tr><th>task</th><th>app</th><th>runs</th><th>verified</th><th>claimed</th><th>disagree</th>
<th>pass@1</th>{f"<th>pass@{k}</th>" if k > 1 else ""}<th>steps</th><th>s</th><th>calls</th><th>tokens</th></tr>{"".join(rows)}</table>
<h2>Runs (each with its own report)</h2><ul>{_runs_list(summary, path)}</ul>
<h2>Failures</h2><ul>{fails}</ul><h2>Void instances (initial state already passed)</h2><ul>{voids}</ul>
</body></html>"""
    path.write_text(doc, encoding="utf-8")


def print_table(summary: dict[str, Any], console: Any = None) -> None:
    """The per-task table and overall line, with rich."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    k = summary["meta"]["k"]
    table = Table(title="mobile-agent benchmark (verified from device state)")
    cols = ["task", "runs", "verified", "claimed", "disagree", "pass@1"]
    cols += [f"pass@{k}"] if k > 1 else []
    cols += ["steps", "s", "calls", "tokens"]
    for col in cols:
        table.add_column(col, justify="left" if col == "task" else "right")

    def cells(name: str, t: dict[str, Any]) -> list[str]:
        row = [
            name,
            str(t["runs"]),
            _pct(t["verified_rate"]),
            _pct(t["claimed_rate"]),
            str(t["disagreements"]),
        ]
        row += [_pct(t["pass@1"])] + ([_pct(t.get(f"pass@{k}"))] if k > 1 else [])
        row += [_num(t["mean_steps"]), _num(t["mean_seconds"]), str(t["model_calls"]), str(t["tokens"])]
        return row

    for name, t in summary["tasks"].items():
        table.add_row(*cells(name, t))
    table.add_row(*cells("[b]overall[/b]", summary["overall"]))
    console.print(table)
    if summary["meta"].get("oracle"):
        console.print(f"[yellow]{ORACLE_NOTE}[/yellow]")
