"""A bar chart of one metric across policies, drawn with Pillow (no plotting dependency)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from logicdistill.evaluation.runner import EvalResult


def bar_chart(results: list[EvalResult], metric: str, path: Path, title: str | None = None) -> Path | None:
    """Horizontal bars of ``metric`` per policy; None when no policy has a finite value."""
    rows = [(r.policy, r.metrics.get(metric)) for r in results]
    rows = [(name, float(v)) for name, v in rows if isinstance(v, (int, float)) and math.isfinite(v)]
    if not rows:
        return None
    width, bar_h, left, top = 640, 28, 150, 40
    img = Image.new("RGB", (width, top + bar_h * len(rows) + 20), "white")
    draw = ImageDraw.Draw(img)
    draw.text((10, 10), title or metric, fill="black")
    peak = max(abs(v) for _, v in rows) or 1.0
    for i, (name, value) in enumerate(rows):
        y = top + i * bar_h
        length = int((width - left - 80) * abs(value) / peak)
        draw.text((10, y + 7), name, fill="black")
        draw.rectangle(
            [left, y + 4, left + length, y + bar_h - 4], fill=(70, 110, 190) if value >= 0 else (190, 80, 70)
        )
        draw.text((left + length + 6, y + 7), f"{value:.3f}", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
