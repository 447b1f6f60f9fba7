"""Stage records as the API's JSON (SPEC §8): candidates with probabilities, chosen, forced, result."""

from __future__ import annotations

import json
import math
from typing import Any

from logicdistill.agent.stages import StageRecord


def jsonable(value: Any) -> Any:
    """Plain JSON data: numpy arrays and numbers become lists and numbers, anything else its string."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        return str(obj)

    return _finite(json.loads(json.dumps(value, default=default)))


def _finite(value: Any) -> Any:
    """NaN and infinities (not JSON: the response would fail to encode, a 500) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _probability(p: Any) -> float:
    p = float(p)
    return round(p, 6) if math.isfinite(p) else 0.0


def candidates(record: StageRecord) -> list[dict[str, Any]]:
    """Each candidate with its probability: the student's where it scored them; a program's choice is certain
    (p 1 for the chosen function, 0 for the rest)."""
    if record.probs:
        return [{"name": name, "p": _probability(p)} for name, p in record.probs]
    names = list(record.shown) if record.shown is not None else list(record.candidates)
    return [{"name": n, "p": 1.0 if n == record.chosen else 0.0} for n in names]


def stage_answer(record: StageRecord) -> dict[str, Any]:
    return {
        "stage": record.stage,
        "candidates": candidates(record),
        "chosen": record.chosen,
        "forced": bool(getattr(record, "forced", False)),
        "result": jsonable(record.result),
        "ok": record.ok,
        "error": record.error,
        "facts": dict(record.facts),
    }
