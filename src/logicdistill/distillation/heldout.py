"""Held-out scoring of a distillation: accuracy overall, by stage, and by condition form.

Every held-out example carries a group (its task stage, or ``rule_override``) and a ``form`` (empty for a
plain task trace). The plain task examples give the headline accuracy; the forms say *which* way of
stating a condition the student reads, and which it ignores (measured: "a: no" in a rule's manual).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.student.examples import SelectionExample


def hits(student: Any, examples: Sequence[SelectionExample]) -> list[bool]:
    """Whether the student picks the gold candidate, per example (one batched scoring call)."""
    if not examples:
        return []
    picks = student.select_batch(list(examples))
    return [p.index == e.gold for p, e in zip(picks, examples, strict=True)]


def mean(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def by_group(scores: Sequence[bool], groups: Sequence[str]) -> dict[str, float]:
    """Accuracy per group (groups in sorted order); examples without a group ("") are left out."""
    out: dict[str, list[bool]] = {}
    for hit, group in zip(scores, groups, strict=True):
        if group:
            out.setdefault(group, []).append(hit)
    return {g: mean(v) for g, v in sorted(out.items())}


def by_form(scores: Sequence[bool], examples: Sequence[SelectionExample]) -> dict[str, dict[str, float]]:
    """``{form: {"accuracy": a, "count": n}}`` over the examples that have a form."""
    out: dict[str, list[bool]] = {}
    for hit, example in zip(scores, examples, strict=True):
        if example.form:
            out.setdefault(example.form, []).append(hit)
    return {f: {"accuracy": mean(v), "count": len(v)} for f, v in sorted(out.items())}


def recall(ranks: Sequence[int | None], k: int) -> dict[str, float]:
    """recall@j for j = 1..k: the share of golds ranked j or better by the retriever (None: not retrieved)."""
    n = max(len(ranks), 1)
    return {f"recall@{j}": sum(1 for r in ranks if r is not None and r <= j) / n for j in range(1, k + 1)}
