"""A self-contained HTML report of a run directory (images inlined, no external files).

Each step shows BEFORE and AFTER screenshots (downscaled JPEG data URLs) with the tap point or
swipe arrow drawn at the mapped device point, then each role's thought and output, the measured
screen change, the outcome, notes and timings. Rebuild any time with `write_report(run_dir)`.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from pathlib import Path
from typing import Any

from PIL import Image

from mobile_agent.bus import EventType
from mobile_agent.eventlog import read_events

__all__ = ["render_report", "write_report"]

THUMB_WIDTH = 360

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}
header h1{margin:0 0 6px;font-size:20px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:13px}
.succeeded{background:#1f9d55;color:#fff}.failed{background:#cc1f1a;color:#fff}.cancelled{background:#8a8f98;color:#fff}
main{padding:16px 24px;max-width:1200px}
.summary td{padding:2px 12px 2px 0;vertical-align:top}
.step{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin:16px 0;padding:12px 16px}
.step h2{font-size:16px;margin:0 0 8px}
.row{display:flex;gap:16px;flex-wrap:wrap}
.shots{display:flex;gap:8px}
figure{margin:0;width:180px}
.shot{position:relative;width:180px;line-height:0}
.shot img{width:100%;display:block;box-sizing:border-box;border:1px solid #ccd}
.shot svg{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}
figcaption{font-size:11px;color:#667;text-align:center}
.roles{flex:1;min-width:320px;font-size:13px}
.role{border-left:3px solid #8aa;padding:2px 8px;margin:6px 0}
.role b{text-transform:capitalize}
.manager{border-color:#6f42c1}.worker{border-color:#0366d6}.reflector{border-color:#e36209}
.notetaker{border-color:#28a745}.single{border-color:#0366d6}.problem{border-color:#cc1f1a;background:#fff5f5}
pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;font-size:12px;background:#f6f8fa;padding:4px 6px;border-radius:4px}
.outcome-A{color:#1f9d55;font-weight:700}.outcome-B{color:#e36209;font-weight:700}.outcome-C{color:#cc1f1a;font-weight:700}
.timing{color:#667;font-size:12px}
"""


def _data_url(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with Image.open(path) as src:
            im: Image.Image = src.convert("RGB")
            w, h = im.size
            if w > THUMB_WIDTH:
                im = im.resize((THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), Image.Resampling.BILINEAR)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=70)
    except OSError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _verified(result: dict[str, Any]) -> str:
    """The external verdict (a benchmark's device-state check), if any, beside the agent's claim."""
    score = result.get("verified")
    if score is None:
        return "not verified (the status above is the agent's own claim)"
    verdict = "passed" if float(score) >= 1.0 else "failed"
    detail = result.get("verified_detail") or ""
    return escape(f"verified: {verdict} (score {float(score):g}){' · ' + detail if detail else ''}")


def _marker(points: list[list[int]], size: list[int] | None, kind: str) -> str:
    """An SVG overlay in device coordinates: a ring at a tap, an arrow for a swipe."""
    if not points or not size:
        return ""
    w, h = size
    r = max(w, h) * 0.02
    sw = max(w, h) * 0.008
    parts = [
        f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="ah" markerWidth="6" markerHeight="6" refX="3" refY="3" orient="auto">'
        '<path d="M0,0 L6,3 L0,6 z" fill="#ff2d55"/></marker></defs>',
    ]
    if kind == "swipe" and len(points) >= 2:
        (x1, y1), (x2, y2) = points[0], points[1]
        parts.append(
            f'<line class="swipe" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#ff2d55" '
            f'stroke-width="{sw:.1f}" marker-end="url(#ah)"/>'
        )
        parts.append(f'<circle cx="{x1}" cy="{y1}" r="{r * 0.6:.1f}" fill="#ff2d55" opacity="0.6"/>')
    else:
        x, y = points[0]
        parts.append(
            f'<circle class="tap" cx="{x}" cy="{y}" r="{r:.1f}" fill="none" stroke="#ff2d55" stroke-width="{sw:.1f}"/>'
        )
        parts.append(f'<circle cx="{x}" cy="{y}" r="{sw:.1f}" fill="#ff2d55"/>')
    parts.append("</svg>")
    return "".join(parts)


def _pre(text: Any) -> str:
    if text is None or text == "":
        return ""
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False)
    return f"<pre>{escape(text)}</pre>"


def _role_block(ev: dict[str, Any]) -> str:
    t = ev["type"]
    d = ev.get("data", {})
    if t == EventType.PLAN:
        plan = "\n".join(f"{i}. {p}" for i, p in enumerate(d.get("plan", []), 1))
        status = "finished" if d.get("finished") else "in progress"
        return (
            f'<div class="role manager"><b>manager</b> ({status})'
            f"{_pre(d.get('thought'))}<div>Completed:</div>{_pre(d.get('completed'))}"
            f"<div>Plan:</div>{_pre(plan)}<div>Current subgoal: {escape(d.get('subgoal', ''))}</div></div>"
        )
    if t == EventType.ACTION_PROPOSED:
        role = ev.get("role") or "worker"
        return (
            f'<div class="role {escape(role)}"><b>{escape(role)}</b>{_pre(d.get("thought"))}'
            f"<div>Action:</div>{_pre(d.get('action'))}<div>Intended: {escape(d.get('description', ''))}</div></div>"
        )
    if t == EventType.REFLECTION:
        outcome = d.get("outcome", "?")
        extra = ""
        if d.get("disagreement"):
            extra = f" (the Reflector said {escape(str(d.get('claimed')))}, but the screen did not change)"
        src = d.get("source", "reflector")
        return (
            f'<div class="role reflector"><b>{escape(src)}</b> outcome '
            f'<span class="outcome-{escape(outcome)}">{escape(outcome)}</span>{extra}'
            f"{_pre(d.get('thought'))}{_pre(d.get('error'))}</div>"
        )
    if t == EventType.NOTES:
        return f'<div class="role notetaker"><b>notetaker</b>{_pre(d.get("notes") or "(no notes)")}</div>'
    if t == EventType.PARSE_ERROR:
        return (
            f'<div class="role problem"><b>{escape(str(d.get("role")))}</b> answer unusable '
            f"(attempt {d.get('attempt')}): {escape(str(d.get('reason')))}{_pre(d.get('raw'))}</div>"
        )
    if t == EventType.ACTION_FAILED:
        return f'<div class="role problem"><b>action failed</b>{_pre(d.get("error"))}</div>'
    if t == EventType.ESCALATION:
        return f'<div class="role problem"><b>escalation</b>{_pre(d.get("reason"))}</div>'
    if t == EventType.HUMAN_REQUESTED:
        return f'<div class="role"><b>asked the human</b> ({escape(str(d.get("kind")))}){_pre(d.get("prompt"))}</div>'
    if t == EventType.HUMAN_REPLIED:
        verdict = "approved" if d.get("approved") else "declined"
        return f'<div class="role"><b>human replied</b> ({verdict}){_pre(d.get("text"))}</div>'
    if t == EventType.ANSWER:
        return f'<div class="role worker"><b>answer</b>{_pre(d.get("text"))}</div>'
    if t == EventType.SCREEN_DIFF:
        changed = "changed" if d.get("changed") else "NO CHANGE"
        return f'<div class="timing">measured screen change: {float(d.get("diff", 0)) * 100:.2f}% ({changed})</div>'
    if t == EventType.ERROR:
        return f'<div class="role problem"><b>error</b> ({escape(str(d.get("where")))}){_pre(d.get("message"))}</div>'
    if t == EventType.STEP_FINISHED:
        tm = d.get("timings", {})
        models = ", ".join(f"{k} {v:.2f}s" for k, v in (tm.get("model_s") or {}).items())
        return (
            f'<div class="timing">step {tm.get("wall_s", 0):.2f}s · models: {escape(models) or "-"} · '
            f"device {tm.get('device_s', 0):.2f}s · settle {tm.get('settle_s', 0):.2f}s · "
            f"overhead {tm.get('overhead_s', 0) * 1000:.0f} ms</div>"
        )
    return ""


def render_report(run_dir: Path, events: list[dict[str, Any]], result: dict[str, Any]) -> str:
    steps: dict[int, list[dict[str, Any]]] = {}
    for ev in events:
        if ev.get("step") is not None:
            steps.setdefault(int(ev["step"]), []).append(ev)
    status = str(result.get("status", "failed"))
    usage = result.get("usage", {}) or {}
    timings = result.get("timings", {}) or {}
    model = result.get("model")
    summary = [
        ("Instruction", escape(str(result.get("instruction", "")))),
        (
            "Status",
            f'<span class="badge {escape(status)}">{escape(status)}</span> {escape(str(result.get("reason", "")))}',
        ),
        ("Answer", escape(str(result.get("answer"))) if result.get("answer") is not None else "-"),
        ("Steps", escape(str(result.get("steps", 0)))),
        ("Mode", escape(str(result.get("mode", "")))),
        ("Model", escape(json.dumps(model, ensure_ascii=False)) if model else "-"),
        ("Device", escape(str(result.get("device", "-")))),
        (
            "Verified",
            _verified(result),
        ),
        (
            "Time",
            f"{float(timings.get('total_s') or 0):.1f} s total, model {float(timings.get('model_total_s') or 0):.1f} s",
        ),
        (
            "Tokens",
            f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} completion "
            f"in {usage.get('calls', 0)} calls ({usage.get('image_tokens', 0)} image tokens)",
        ),
    ]
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>mobile-agent run: {escape(str(result.get('instruction', '')))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(str(result.get('instruction', '')))}</h1>"
        f'<span class="badge {escape(status)}">{escape(status)}</span></header><main>',
        '<table class="summary">',
        *(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in summary),
        "</table>",
    ]
    for n in sorted(steps):
        evs = steps[n]
        executed: dict[str, Any] | None = next(
            (e for e in evs if e["type"] == EventType.ACTION_EXECUTED), None
        )
        points = executed["data"].get("device_points") if executed else None
        size = executed["data"].get("device_size") if executed else None
        kind = (executed["data"].get("action") or {}).get("action", "") if executed else ""
        shots = []
        for phase in ("before", "after"):
            shot: dict[str, Any] | None = next(
                (e for e in evs if e["type"] == EventType.SCREEN and e["data"].get("phase") == phase), None
            )
            if shot is None:
                continue
            url = _data_url(run_dir / str(shot["data"].get("file", "")))
            if url is None:
                continue
            dsize = size or [shot["data"].get("width"), shot["data"].get("height")]
            overlay = _marker(points or [], dsize, kind) if phase == "before" else ""
            shots.append(
                f'<figure><div class="shot"><img alt="step {n} {phase}" src="{url}">{overlay}</div>'
                f"<figcaption>{phase}</figcaption></figure>"
            )
        blocks = "".join(_role_block(e) for e in evs)
        out.append(
            f'<section class="step" id="step-{n}"><h2>Step {n}</h2><div class="row">'
            f'<div class="shots">{"".join(shots)}</div><div class="roles">{blocks}</div></div></section>'
        )
    out.append("</main></body></html>")
    return "\n".join(out)


def write_report(run_dir: str | Path) -> Path:
    """(Re)build RUN/report.html from events.jsonl, result.json and the step screenshots."""
    run_dir = Path(run_dir)
    result_path = run_dir / "result.json"
    result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.exists() else {}
    html = render_report(run_dir, read_events(run_dir), result)
    path = run_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
