"""The meaning of a "use when": conditions over yes/no facts, and the one evaluator that labels the curriculum.

A manual's condition is a stage (or any stage), a conjunction of ``fact: yes/no`` literals (none: always)
and a rank. Among the candidates whose stage matches and whose literals all hold, the highest rank wins: a
priority chain ranks its links, and a function for a rule in force outranks the plain functions it
replaces (the teacher's usage programs do exactly this: the rule's function is chosen even where a plain
function's condition also holds). No fitting candidate: ``none``. A fact that is not stated is ``no``, as in
the usage programs (``facts.get(name)``) and as for a rule not in force (its fact is absent).

The evaluator is deliberately tiny, so that it is obviously right; the curriculum never states a label it
did not compute here, and a draw where two candidates tie at the top is redrawn (:class:`Ambiguous`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Facts = Mapping[str, bool]


@dataclass(frozen=True)
class Condition:
    """When a function fits: at ``stage`` (None: any), every ``(fact, value)`` literal holds; ``rank`` breaks
    a tie between fitting functions (higher wins)."""

    literals: tuple[tuple[str, bool], ...] = ()
    stage: str | None = None
    rank: int = 0

    def holds(self, stage: str, facts: Facts) -> bool:
        if self.stage is not None and self.stage != stage:
            return False
        return all(bool(facts.get(fact, False)) == value for fact, value in self.literals)


class Ambiguous(ValueError):
    """Two or more candidates fit with the same top rank: no single right answer."""


def gold(conditions: Mapping[str, Condition], stage: str, facts: Facts) -> str | None:
    """The name of the one candidate to call at ``stage`` given ``facts``; None when none fits."""
    fitting = [(c.rank, name) for name, c in conditions.items() if c.holds(stage, facts)]
    if not fitting:
        return None
    top = max(rank for rank, _ in fitting)
    best = [name for rank, name in fitting if rank == top]
    if len(best) > 1:
        raise Ambiguous(f"{sorted(best)} all fit at rank {top}")
    return best[0]


def facts_named(conditions: Sequence[Condition]) -> list[str]:
    """Every fact the conditions mention, in first-mention order."""
    return list(dict.fromkeys(fact for c in conditions for fact, _ in c.literals))
