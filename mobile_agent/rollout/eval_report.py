"""The eval-steps HTML report: the figures, then the worst steps as screenshots with the labelled
element (green box), the label's point (green) and the policy's point (red) marked."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

__all__ = ["WORST", "marked_screenshot", "write_report"]

WORST = 12


def marked_screenshot(
    png: bytes, device_size: tuple[int, int], verdict: dict[str, Any], width: int = 270
) -> str:
    """A small JPEG data URL of the step's screen with both points drawn (device coordinates)."""
    with Image.open(io.BytesIO(png)) as im:
        img = im.convert("RGB")
    sx, sy = img.width / device_size[0], img.height / device_size[1]
    draw = ImageDraw.Draw(img)
    if verdict.get("label_bounds"):
        x1, y1, x2, y2 = verdict["label_bounds"]
        draw.rectangle([x1 * sx, y1 * sy, x2 * sx, y2 * sy], outline=(0, 170, 0), width=6)

    def dot(point: Any, color: tuple[int, int, int]) -> None:
        if point and len(point) == 2:
            x, y = point[0] * sx, point[1] * sy
            draw.ellipse([x - 18, y - 18, x + 18, y + 18], outline=color, width=7)

    dot((verdict.get("label") or {}).get("coordinate"), (0, 170, 0))
    dot((verdict.get("predicted") or {}).get("coordinate"), (220, 0, 0))
    img.thumbnail((width, width * 4))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def write_report(
    path: Path, summary: dict[str, Any], verdicts: list[dict[str, Any]], rows: dict[str, Any]
) -> None:
    worst = sorted(verdicts, key=lambda v: (v["reward"]["total"], v["step_id"]))[:WORST]
    cards = []
    for v in worst:
        row = rows[v["step_id"]]
        src = marked_screenshot(row["images"][-1]["bytes"], (row["device_width"], row["device_height"]), v)
        cards.append(
            f'<figure><img src="{src}" alt="{html.escape(v["step_id"])}"><figcaption>'
            f"<b>{html.escape(v['step_id'])}</b><br>label: <code>{html.escape(json.dumps(v['label']))}</code>"
            f"<br>policy: <code>{html.escape(json.dumps(v['predicted']))}</code>"
            f"<br>reward {v['reward']['total']:.1f} · {'success' if v['reward']['success'] else 'miss'}"
            + (f"<br>parse: {html.escape(v['parse_error'])}" if v["parse_error"] else "")
            + "</figcaption></figure>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>mobile-agent eval-steps</title>
<style>body{{font-family:sans-serif;margin:2em}}figure{{display:inline-block;width:290px;vertical-align:top;margin:8px}}
code{{font-size:11px;word-break:break-all}}td,th{{padding:4px 10px;text-align:left}}</style></head><body>
<h1>Step-level evaluation</h1>
<p>Policy: {html.escape(str(summary["policy"]))} · dataset {html.escape(summary["dataset"])}</p>
<table><tr><th>steps</th><td>{summary["steps"]}</td></tr>
<tr><th>type accuracy</th><td>{_pct(summary["type_accuracy"])}</td></tr>
<tr><th>grounding accuracy</th><td>{_pct(summary["grounding_accuracy"])} of {summary["grounding_steps"]} tap steps</td></tr>
<tr><th>step success</th><td>{_pct(summary["step_success"])}</td></tr>
<tr><th>format (parsed without repair)</th><td>{_pct(summary["format_rate"])}</td></tr>
<tr><th>request errors</th><td>{summary["request_errors"]}</td></tr></table>
<h2>Worst steps</h2><p>Green: the labelled element and the oracle's point; red: the policy's point.</p>
{"".join(cards)}</body></html>"""
    path.write_text(page, encoding="utf-8")
