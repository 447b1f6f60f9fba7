"""Results as a printed table (policies side by side) and as SPEC §6 JSON."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from logicdistill.evaluation.runner import EvalResult


def result_dict(result: EvalResult) -> dict[str, Any]:
    """The SPEC §6 object: task, policy, episodes, seed, metrics."""
    return {
        "task": result.task,
        "policy": result.policy,
        "episodes": result.episodes,
        "seed": result.seed,
        "metrics": {k: _json_number(v) for k, v in result.metrics.items()},
    }


def write_json(results: list[EvalResult], path: str | Path) -> None:
    """One object for one policy, a list of them for several; written atomically."""
    data: Any = result_dict(results[0]) if len(results) == 1 else [result_dict(r) for r in results]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:  # disk full, a directory in the way: leave no stray temp file behind
        Path(tmp).unlink(missing_ok=True)
        raise


# Metrics whose ratio to the reference policy is worth printing next to the value.
RATIO_METRICS = {"capture_rate", "mean_steps", "mean_return", "decisions_per_s"}


def format_table(results: list[EvalResult], reference: str | None = None) -> str:
    """Metrics as rows, policies as columns; with ``reference`` the ratio to it is added for RATIO_METRICS."""
    names = []
    for r in results:
        names += [k for k in r.metrics if k not in names]
    header = ["metric"] + [r.policy for r in results]
    ref = next((r for r in results if r.policy == reference), None)
    rows = []
    for name in names:
        cells = [name]
        for r in results:
            value = r.metrics.get(name)
            text = _fmt(value)
            if (
                ref is not None
                and r is not ref
                and name in RATIO_METRICS
                and value is not None
                and ref.metrics.get(name)
            ):
                text += f" ({value / ref.metrics[name]:.2f}x)"
            cells.append(text)
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    first = results[0]
    out.append(f"task={first.task} episodes={first.episodes} seeds={first.seed}..{first.seed + first.episodes - 1}")
    return "\n".join(out)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
