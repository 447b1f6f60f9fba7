"""Metrics that many tasks compute the same way (a task's ``aggregate`` may use them)."""

from __future__ import annotations

import math

from logicdistill.tasks.base import EpisodeRecord


def return_stats(records: list[EpisodeRecord]) -> dict[str, float]:
    """``mean_return`` and its standard error ``return_stderr`` over episodes (``stats["return"]`` if given)."""
    returns = [float(r.stats.get("return", r.total_reward)) for r in records]
    n = len(returns)
    mean = sum(returns) / n if n else math.nan
    var = sum((x - mean) ** 2 for x in returns) / (n - 1) if n > 1 else 0.0
    return {"mean_return": mean, "return_stderr": math.sqrt(var / n) if n else math.nan}


def pooled_agreement(records: list[EpisodeRecord]) -> float:
    """``action_agreement``: agreeing decisions over all decisions (``stats["agreeing_steps"]``, ``["decisions"]``)."""
    decisions = sum(int(r.stats.get("decisions", 0)) for r in records)
    agreeing = sum(int(r.stats.get("agreeing_steps", 0)) for r in records)
    return agreeing / decisions if decisions else math.nan
