"""Renderings of a pursuit state: compact text for prompts, an ASCII frame, PNG frames and a GIF.

All take the unwrapped environment (``grid``, ``pursuers``, ``evaders``, ``captured``,
``step_count``, ``events``). Cells are written ``(row, col)``, row 0 at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.rules import Cell

PursuitEnv = Any  # tasks.pursuit.env.PursuitEnv, named only in annotations: env imports this module
Snapshot = Any  # tasks.pursuit.env.Snapshot, likewise


_COLORS = {
    "free": (250, 250, 245),
    "obstacle": (60, 60, 70),
    "zone": (250, 200, 200),
    "grid": (200, 200, 200),
    "pursuer": (40, 90, 200),
    "evader": (220, 60, 40),
    "captured": (150, 150, 150),
    "text": (20, 20, 20),
    "capture": (230, 150, 0),
}
_HEADER_PX = 18
_FOOTER_PX = 34  # the legend line and the rules line


def _pursuer_char(i: int) -> str:
    return str(i) if i < 10 else chr(ord("a") + i - 10)


def _marked(env: PursuitEnv, step: int) -> set[Cell]:
    return {c for e in env.events if e.is_active(step) for c in e.marked_cells()}


def describe_state(env: PursuitEnv) -> str:
    """The state as compact text for a prompt: map, step, unit positions, obstacles, rules in force."""
    grid = env.grid
    lines = [
        f"Map {grid.name}: {grid.height} rows x {grid.width} columns, cells (row, col), row 0 at the top.",
        f"Step {env.step_count} of {env.max_steps} (steps taken so far).",
        "Pursuers: " + ", ".join(f"P{i} at {tuple(p)}" for i, p in enumerate(env.pursuers)) + ".",
        "Evaders: "
        + ", ".join(f"E{k} {'captured' if env.captured[k] else 'at'} {tuple(e)}" for k, e in enumerate(env.evaders))
        + ".",
    ]
    if grid.obstacles.any():
        lines.append("Obstacles (# obstacle, . free):")
        lines.extend("".join("#" if o else "." for o in row) for row in grid.obstacles)
    else:
        lines.append("Obstacles: none.")
    rules = [e.rule_text() for e in env.active_events]
    if rules:
        lines.append("Rules in force:")
        lines.extend(f"- {r}" for r in rules)
    return "\n".join(lines)


def ascii_frame(env: PursuitEnv) -> str:
    """The grid as text: ``0``, ``1``.. pursuers, ``E`` evader, ``x`` captured, ``#`` obstacle, ``!`` danger."""
    rows = [["#" if o else "." for o in row] for row in env.grid.obstacles]
    for r, c in _marked(env, env.step_count):
        if 0 <= r < len(rows) and 0 <= c < len(rows[0]) and rows[r][c] == ".":
            rows[r][c] = "!"
    for k, (r, c) in enumerate(env.evaders):
        rows[r][c] = "x" if env.captured[k] else "E"
    for i, (r, c) in enumerate(env.pursuers):
        rows[r][c] = _pursuer_char(i)
    return "\n".join("".join(row) for row in rows)


def _draw(env: PursuitEnv, snap: Snapshot, cell_px: int) -> Image.Image:
    grid = env.grid
    width = max(grid.width * cell_px, 300)  # room for the legend under a small map
    height = grid.height * cell_px + _HEADER_PX + _FOOTER_PX
    image = Image.new("RGB", (width, height), _COLORS["free"])
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    caught = bool(len(snap.captured)) and all(snap.captured)
    status = "  CAPTURED" if caught else ""
    draw.text((4, 3), f"{grid.name}  step {snap.step}/{env.max_steps}{status}", fill=_COLORS["text"], font=font)
    marked = _marked(env, snap.step)

    def box(cell: Cell, inset: int = 0) -> tuple[int, int, int, int]:
        r, c = cell
        top = _HEADER_PX + r * cell_px
        return c * cell_px + inset, top + inset, (c + 1) * cell_px - 1 - inset, top + cell_px - 1 - inset

    for r in range(grid.height):
        for c in range(grid.width):
            fill = _COLORS["obstacle"] if grid.obstacles[r, c] else _COLORS["zone" if (r, c) in marked else "free"]
            draw.rectangle(box((r, c)), fill=fill, outline=_COLORS["grid"])
    inset = max(2, cell_px // 8)
    for k, cell in enumerate(snap.evaders):
        color = _COLORS["captured" if snap.captured[k] else "evader"]
        draw.ellipse(box(cell, inset), fill=color)
    for i, cell in enumerate(snap.pursuers):
        draw.rectangle(box(cell, inset), fill=_COLORS["pursuer"])
        x0, y0, _, _ = box(cell, inset)
        draw.text((x0 + 3, y0 + 2), _pursuer_char(i), fill=(255, 255, 255), font=font)
    for k, cell in enumerate(snap.evaders):  # the capture mark: a cross over the caught evader, drawn on top
        if snap.captured[k]:
            x0, y0, x1, y1 = box(cell, 1)
            draw.line((x0, y0, x1, y1), fill=_COLORS["capture"], width=3)
            draw.line((x0, y1, x1, y0), fill=_COLORS["capture"], width=3)
    _legend(draw, font, grid.height * cell_px + _HEADER_PX, _rules_note(env, snap.step))
    return image


def _legend(draw: ImageDraw.ImageDraw, font: Any, top: int, note: str) -> None:
    """Under the grid: what each mark means, then the rules' arrival and what is in force."""
    x = 4
    for label, color, shape in (
        ("pursuer", "pursuer", "square"),
        ("evader", "evader", "disc"),
        ("caught", "capture", "cross"),
        ("danger", "zone", "square"),
    ):
        swatch = (x, top + 4, x + 9, top + 13)
        if shape == "disc":
            draw.ellipse(swatch, fill=_COLORS[color])
        elif shape == "cross":
            draw.line(swatch, fill=_COLORS[color], width=2)
            draw.line((swatch[0], swatch[3], swatch[2], swatch[1]), fill=_COLORS[color], width=2)
        else:
            draw.rectangle(swatch, fill=_COLORS[color], outline=_COLORS["grid"])
        draw.text((x + 13, top + 3), label, fill=_COLORS["text"], font=font)
        x += 13 + 7 * len(label) + 12
    draw.text((4, top + 19), note, fill=_COLORS["text"], font=font)


def _rules_note(env: PursuitEnv, step: int) -> str:
    """``NEW RULE danger_zone (step 4)`` on the frame a rule arrives, ``rules: danger_zone`` while in force."""
    arrived = [e.kind for e in env.events if e.step == step]
    if arrived:
        return f"NEW RULE at step {step}: {', '.join(arrived)}"
    active = [e.kind for e in env.events if e.is_active(step)]
    return f"rules in force: {', '.join(active)}" if active else "rules: the plain rules"


def png_frame(env: PursuitEnv, cell_px: int = 32) -> Image.Image:
    """The current state as an image (pursuers blue squares, evaders red discs, danger cells pink)."""
    return _draw(env, env.history[-1], cell_px)


def history_frames(env: PursuitEnv, cell_px: int = 32) -> list[Image.Image]:
    """One image per step of the episode so far (from ``env.history``)."""
    return [_draw(env, snap, cell_px) for snap in env.history]


def save_gif(frames: Sequence[Image.Image | np.ndarray], path: str | Path, duration_ms: int = 400) -> Path:
    """Write frames (images or HxWx3 arrays) as a looping GIF animation."""
    if not frames:
        raise UserError("no frames to write")
    images = [f if isinstance(f, Image.Image) else Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def render_episode(env: Any, path: str | Path, cell_px: int = 32) -> Path:
    """Write the episode played so far on ``env`` (wrapped or not) as a GIF."""
    return save_gif(history_frames(env.unwrapped, cell_px), path)
