"""Results as a printed table (policies side by side) and as results JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from logicdistill.evaluation.runner import EvalResult
from logicdistill.files import write_atomic


def result_dict(result: EvalResult) -> dict[str, Any]:
    """The results object: task, policy, episodes, seed, metrics, and what they were measured on (the student
    run, scenario, map, teacher, Eq. 1 base version, package version; null where none applies)."""
    from logicdistill import __version__

    context = result.context
    return {
        "task": result.task,
        "policy": result.policy,
        "episodes": result.episodes,
        "seed": result.seed,
        "metrics": {k: _json_number(v) for k, v in result.metrics.items()},
        **{key: context.get(key) for key in CONTEXT_KEYS},
        "version": __version__,
    }


# Keys of the results JSON beside the SPEC's five (EvalResult.context fills them).
CONTEXT_KEYS = ("run", "scenario", "map", "teacher", "base_version")


def write_json(results: list[EvalResult], path: str | Path) -> None:
    """One object for one policy, a list of them for several; written atomically."""
    data: Any = result_dict(results[0]) if len(results) == 1 else [result_dict(r) for r in results]
    write_atomic(path, json.dumps(data, indent=2) + "\n")


# Metrics whose ratio to the reference policy means something: positive quantities of the same kind. Not
# speed or wall time (they measure the machine), not returns (negative or zero: a ratio misleads).
RATIO_METRICS = {"capture_rate", "mean_steps"}
# Averages over captured episodes only: shown with how many episodes they average.
PER_CAPTURE = {"mean_steps", "optimal_ratio"}
# Why a metric has no value (printed as "- (reason)" instead of nan).
NO_VALUE = {
    "mean_steps": "no capture",
    "optimal_ratio": "no capture",
    "steps_to_first_use": "never used",
    "first_new_function_step": "never used",
    "new_function_choice_rate": "no such stage",
    "wrong_new_function_rate": "no such stage",
}
PLAIN_ORACLE = "optimal"  # under a scenario it knows only the plain rules


def format_table(results: list[EvalResult], reference: str | None = None, scenario: str | None = None) -> str:
    """Metrics as rows, policies as columns; with ``reference`` the ratio to it is added for RATIO_METRICS.

    Under a ``scenario`` (default: the results' own) the header names it, and ``optimal`` is marked as the
    plain-rules oracle and is never the reference: it does not know the new rule.
    """
    scenario = scenario or next((r.context.get("scenario") for r in results if r.context.get("scenario")), None)
    if scenario:
        reference = None
    names = []
    for r in results:
        names += [k for k in r.metrics if k not in names]
    header = ["metric"] + [_column(r.policy, scenario) for r in results]
    ref = next((r for r in results if r.policy == reference), None)
    rows = []
    for name in names:
        cells = [name]
        for r in results:
            value = r.metrics.get(name)
            text = _fmt(value, name)
            if name in PER_CAPTURE and _usable(value) and r.metrics.get("capture_rate") is not None:
                text += f" (n={round(r.metrics['capture_rate'] * r.episodes)})"
            reference_value = None if ref is None else ref.metrics.get(name)
            if r is not ref and name in RATIO_METRICS and _usable(value) and _usable(reference_value):
                if reference_value:
                    text += f" ({value / reference_value:.2f}x)"
            cells.append(text)
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    first = results[0]
    where = f" scenario={scenario}" if scenario else ""
    out.append(
        f"task={first.task}{where} episodes={first.episodes} seeds={first.seed}..{first.seed + first.episodes - 1}"
    )
    if ref is not None and any(n in RATIO_METRICS for n in names):
        # (n=K) is printed only beside averages over captured episodes, which only capture tasks have.
        per_capture = any("capture_rate" in r.metrics and n in PER_CAPTURE for r in results for n in names)
        note = "; (n=K): an average over K captured episodes" if per_capture else ""
        out.append(f"(1.23x): the value divided by {ref.policy}'s{note}")
    if scenario and any(r.policy == PLAIN_ORACLE for r in results):
        out.append(f"{PLAIN_ORACLE} (plain rules): the oracle of the task without the scenario's new rules")
    return "\n".join(out)


def _column(policy: str, scenario: str | None) -> str:
    return f"{policy} (plain rules)" if scenario and policy == PLAIN_ORACLE else policy


def _usable(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: Any, name: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"- ({NO_VALUE.get(name, 'not measured')})"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
